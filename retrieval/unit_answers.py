"""Questions about an administrative unit: what it became (or was made of) in 2025, which NTM documents govern
merged units on the asked date, and what the indexed documents say about NTM status after a merge."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Sequence

from knowledge.admin_units import PACKAGE, REARRANGED_FROM, AdminUnits, split_level
from knowledge.catalogue import CatalogueEntry
from knowledge.dates import vn_date
from knowledge.status import STATUS_LABELS, status_on
from knowledge.text import fold, folded_words
from knowledge.unit_lookup import Lookup
from retrieval.doc_facts import card_citation
from retrieval.evidence import Answer, Citation
from retrieval.extractive import source_line
from retrieval.query import QueryPlan
from retrieval.unit_text import describe, other_names

MERGED_TOPIC = "đvhc sau sắp xếp"  # the catalogue topic of documents about units formed by a re-arrangement
GOVERNING_LIMIT = 3  # documents listed as governing merged units: those in force, then the latest expired one
# A unit question that also asks about NTM (status after a merge, guidance, criteria) gets the documents too.
_ASKS_NTM = re.compile(r"\b(?:ntm|nong thon moi|dat chuan|danh hieu|tieu chi|cong nhan|huong dan|van ban|qd|cv|"
                       r"cong van|quyet dinh|nang cao|kieu mau|chuan)\b")
# What a message asks when it asks about a unit itself (folded): what it now belongs to, what it was formed
# from, its new or old name. "Sau sáp nhập" alone is not such a cue: most of those questions ask about NTM.
_MERGED = r"(?:sap nhap|sat nhap|nhap|gop|hop nhat|hop thanh|thanh lap|lap|hinh thanh|chia)"
_UNIT_CUES = re.compile(r"\b(?:(?<!nam )(?:nay|gio|bay gio|hien nay) (?:la|thuoc)|thuoc (?:tp|thanh pho|tinh|xa|phuong|"
                        r"don vi|dv) nao|la (?:phuong|xa|tinh|don vi) (?:gi|nao)|" + _MERGED +
                        r" (?:vao|vo|voi|thanh|ve) (?:(?:nhung|cac|may) )?(?:dau|xa|phuong|don vi|dv|tinh|tp)|" +
                        _MERGED + r" tu (?:(?:nhung|cac|may|bao nhieu|bao nhiu) )?(?:xa|phuong|don vi|dv|tinh)|"
                        r"gom (?:nhung|cac) (?:xa|phuong|don vi|dv|tinh)|ten (?:moi|cu|la gi)|doi ten|"
                        r"truoc (?:day|kia) la|(?:con|van) (?:ton tai|khong|ko)\b|bi chia)")
# The questions put to the documents about NTM status after a merge, one quote each (an officer's two ways of
# asking: how a merged commune is recognised, and whether it must be re-assessed).
STATUS_QUESTIONS = ("xã mới hình thành sau sáp nhập được công nhận đạt chuẩn nông thôn mới như thế nào",
                    "sau sắp xếp đơn vị hành chính, xã mới có phải đánh giá lại chuẩn nông thôn mới không")


def is_unit_question(plan: QueryPlan, found: Sequence[Lookup]) -> bool:
    """True when the message asks what became of a unit, or only names one ("xã Long Trị A?")."""
    if not found:
        return False
    folded = plan.folded or fold(plan.text)
    if _UNIT_CUES.search(folded):
        return True
    rest = folded
    for f in found:
        for unit in f.units:
            rest = rest.replace(fold(unit.short), " ")
    rest = re.sub(r"\b(?:xa|phuong|thi tran|huyen|quan|thi xa|thanh pho|tp|tinh|dac khu|cu|moi|o dau|dau|"
                  r"the nao|sao|a|ah|nhi|vay|ha)\b", " ", rest)
    return not re.search(r"[a-z]{2,}", rest)


def with_units(plan: QueryPlan, found: Sequence[Lookup], units: AdminUnits) -> QueryPlan:
    """The plan searching the other era's names too, both ways (passages before 2025 use the old names). Only a
    unit named by its new name may be answered by a passage that names its old communes or old province: a
    passage about the new unit, or about another old one it took in, is not about an old unit asked for."""
    extra: list[str] = []
    aliases: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    alternatives: dict[str, tuple[str, ...]] = {}
    for f in found:
        if f.status != "found":
            continue
        extra += other_names(units, f)
        for unit in f.units:
            if unit.era != "new" or unit.tier != "commune":
                continue
            olds = [link.unit for link in units.from_old.get(unit, ())]
            for key, names in ((fold(unit.short), [u.short for u in olds]),
                               (fold(split_level(unit.province)[1]), [split_level(u.province)[1] for u in olds])):
                names = [n for n in dict.fromkeys(names) if fold(n) != key]
                alternatives[key] = alternatives.get(key, ()) + tuple(names)
                aliases.append((tuple(key.split()), tuple(" ".join(folded_words(n)) for n in names)))

    def widened(p: QueryPlan) -> QueryPlan:
        entities = [e + tuple(m for m in alternatives.get(fold(e[0]), ()) if m not in e) for e in p.entities]
        return replace(p, units=tuple(found), entities=tuple(entities), retrieval_extra=" ".join(extra),
                       aliases=tuple(dict.fromkeys(a for a in aliases if a[1])))

    return replace(widened(plan), asks=tuple((ask, widened(sub)) for ask, sub in plan.asks))


def mapping_citation(n: int, units: AdminUnits, quote: str) -> Citation:
    """The data package cited as the source of a mapping, with its version."""
    return Citation(n=n, document_id=PACKAGE, number=None, title=f"Dữ liệu đơn vị hành chính {units.source}",
                    location="bảng đơn vị trước và sau sắp xếp năm 2025 (63 → 34 tỉnh; xã cũ → xã mới)",
                    page=None, source=f"{PACKAGE}=={units.version}", quote=quote, score=1.0)


def governing(catalogue: Sequence[CatalogueEntry], as_of) -> list[tuple[CatalogueEntry, str]]:
    """Central documents about units formed by re-arrangement, with their status on `as_of`: the NTM ones in
    force, the latest NTM guidance no longer in force (for titles won before), then others in force."""
    found = [e for e in catalogue if e.level == "central" and any(fold(t) == fold(MERGED_TOPIC) for t in e.topics)]
    rated = sorted(((e, status_on(e, as_of, catalogue)[0]) for e in found), key=lambda es: es[0].signed or "",
                   reverse=True)
    live = [(e, s) for e, s in rated if s in ("in_force", "amended")]
    about_ntm = [(e, s) for e, s in rated if "ntm" in folded_words(e.title)]
    chosen = [x for x in about_ntm if x in live] + [x for x in about_ntm if x not in live][:1] + \
        [x for x in live if x not in about_ntm]
    return chosen[:GOVERNING_LIMIT]


def _said(units: AdminUnits, f: Lookup, found: Sequence[Lookup]) -> list[str]:
    """What became of one named unit; a district named with some of its communes gets one line, not its table."""
    said = describe(units, f)
    district = f.units[0] if f.units[0].tier == "district" else None
    if district and any(u.district == district.name for g in found if g is not f for u in g.units):
        said = said[:1]
    return ([f.reason] if f.reason else []) + said


def unit_answer(plan: QueryPlan, found: Sequence[Lookup], units: AdminUnits, catalogue: Sequence[CatalogueEntry],
                cards, status_quotes: Sequence[Citation], about: Sequence[Citation] = (), as_of=None) -> Answer:
    """The answer to a question about units: the mapping first; the documents on NTM in merged units and what
    the indexed documents say only when the message asks about NTM too."""
    if not any(f.status == "found" for f in found):
        return Answer("\n".join(f.reason for f in found), False, ())
    as_of = as_of or plan.as_of
    lines, said_all = [], []
    for f in found:
        said = _said(units, f, found) if f.status == "found" else [f.reason]
        said_all += said if f.status == "found" else []
        lines += [f"• {x}" + (" [1]" if f.status == "found" and i == len(said) - 1 else "") for i, x in enumerate(said)]
    citations = [mapping_citation(1, units, " ".join(said_all))]
    if re.search(r"\b(?:bao nhieu|may|bn|con) (?:tinh|tinh thanh)\b", plan.folded or fold(plan.text)):
        eras = {era: sum(u.era == era for u in units.provinces) for era in ("old", "new")}
        lines.insert(0, f"• Sau sắp xếp năm 2025 cả nước có {eras['new']} tỉnh, thành phố (trước đó {eras['old']}).")
    if any(u.era == "old" for f in found if f.status == "found" for u in f.units):
        lines.append(f"(Đơn vị mới áp dụng từ {vn_date(REARRANGED_FROM)}, mốc ghi trong danh mục văn bản của hệ thống.)")
    if _ASKS_NTM.search(plan.folded or fold(plan.text)):
        lines += _documents(plan, catalogue, cards, status_quotes, about, as_of, citations)
    elif rules := governing(catalogue, as_of):  # one line naming them; the officer asks on to read them
        lines.append(f"(Văn bản về NTM ở đơn vị sau sắp xếp, theo danh mục, tình trạng {_when(plan, as_of)}: "
                     + "; ".join(f"{e.number} ({STATUS_LABELS[st]})" for e, st in rules) + ".)")
    text = "\n".join(lines) + "\n\nCăn cứ:\n" + "\n".join(source_line(c, False) for c in citations)
    return Answer(text, True, tuple(citations))


def _when(plan: QueryPlan, as_of) -> str:
    """ "hiện nay", or the date the request asked for: today's date would be a number no quote states."""
    return f"ngày {vn_date(as_of.isoformat())}" if plan.as_of_source == "request" else "hiện nay"


def _documents(plan: QueryPlan, catalogue: Sequence[CatalogueEntry], cards, status_quotes: Sequence[Citation],
               about: Sequence[Citation], as_of, citations: list[Citation]) -> list[str]:
    """The catalogue's documents on NTM in merged units (status on `as_of`) and one quote of each kind."""
    lines = [f"\nVăn bản về NTM ở đơn vị hình thành sau sắp xếp (tình trạng {_when(plan, as_of)}):"]
    for entry, status in governing(catalogue, as_of):
        cited = card_citation(len(citations) + 1, list(cards(entry)))
        if cited is not None:
            citations.append(cited)
        lines.append(f"• {entry.type} {entry.number}: {entry.title} — {STATUS_LABELS[status]}"
                     + (f" [{cited.n}]" if cited else ""))
    seen = {x.document_id for x in citations}
    for quotes in (about, status_quotes):
        quote = next((c for c in quotes if c.document_id not in seen), None)
        if quote is not None:
            seen.add(quote.document_id)
            citations.append(replace(quote, n=len(citations) + 1))
            lines.append(f"• Theo {quote.number or quote.title}: “{quote.quote}” [{citations[-1].n}]")
    return lines


def unit_note(found: Sequence[Lookup], units: AdminUnits) -> str:
    """One paragraph naming both eras of the communes and districts a question names (provinces only when merged
    into one of another name), appended to an answer about something else."""
    said = [describe(units, f)[0] for f in found if f.status == "found" and _changed(units, f)]
    return f"\n\nĐơn vị nêu trong câu hỏi (theo dữ liệu {units.source}): " + " ".join(said) if said else ""


def _changed(units: AdminUnits, f: Lookup) -> bool:
    """Whether a named unit has another name or belongs elsewhere now (what the note would tell the officer)."""
    unit = f.units[0]
    if unit.tier != "province":
        return True
    links = units.to_new.get(unit, ()) if unit.era == "old" else ()
    return any(link.unit.short != unit.short for link in links)
