"""Questions about an administrative unit: what it became (or was made of) in 2025, which NTM documents govern
merged units on the asked date, and what the indexed documents say about NTM status after a merge."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Sequence

from knowledge.admin_units import PACKAGE, REARRANGED_FROM, REARRANGED_SOURCE, AdminUnits, name_key, split_level
from knowledge.catalogue import CatalogueEntry
from knowledge.dates import vn_date
from knowledge.status import STATUS_LABELS, status_on
from knowledge.text import fold, folded_words
from knowledge.unit_lookup import Lookup
from retrieval.doc_facts import CARD_LABEL
from retrieval.evidence import Answer, Citation
from retrieval.extractive import source_line
from retrieval.query import QueryPlan
from retrieval.search import SearchResult
from retrieval.unit_text import describe, other_names

MERGED_TOPIC = "đvhc sau sắp xếp"  # the catalogue topic of documents about units formed by a re-arrangement
GOVERNING_LIMIT = 5  # documents listed as governing merged units; the catalogue has five central ones today
STATUS_QUOTES = 2  # passages quoted on keeping or re-assessing NTM status after a merge
# What a message asks when it asks about a unit itself (folded): merged, now part of, formed from, renamed.
_UNIT_CUES = re.compile(r"\b(?:sap nhap|sat nhap|sap xep|hop nhat|nhap (?:vao|voi)|gop (?:vao|voi)?|nay thuoc|"
                        r"gio thuoc|bay gio (?:la|thuoc)|nay la|gio la|truoc (?:day|kia) la|ten (?:moi|cu)|doi ten|"
                        r"hinh thanh tu|gom (?:nhung|cac)? ?(?:xa|phuong|don vi|tinh)|thuoc (?:xa|phuong|tinh) nao|"
                        r"thanh (?:xa|phuong|tinh) nao|xa moi|xa cu|don vi moi|con (?:khong|ko|k)\b|con ton tai)")
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


def _province_alternatives(units: AdminUnits, name: str) -> tuple[str, ...]:
    """A province's names in the other era: "Cần Thơ" → Hậu Giang, Sóc Trăng; "Hậu Giang" → Cần Thơ."""
    out: list[str] = []
    for unit in units.by_name.get(name_key(name), ()):
        if unit.tier == "province":
            links = units.to_new.get(unit, ()) if unit.era == "old" else units.from_old.get(unit, ())
            out += [link.unit.short for link in links if link.unit.short != unit.short]
    return tuple(dict.fromkeys(out))


def with_units(plan: QueryPlan, found: Sequence[Lookup], units: AdminUnits) -> QueryPlan:
    """The plan searching the other era's names too: passages written before 2025 use the old names, and a
    passage about an old commune may name neither its new commune nor its new province."""
    extra: list[str] = []
    loose: set[str] = set()
    alternatives: dict[str, tuple[str, ...]] = {}
    for f in found:
        if f.status != "found":
            continue
        names = other_names(units, f)
        extra += names
        shorts = tuple(split_level(n[:1].upper() + n[1:])[1] for n in names)
        for unit in f.units:
            alternatives[fold(unit.short)] = alternatives.get(fold(unit.short), ()) + shorts
            if unit.era == "new" and shorts:  # a passage from before 2025 names it by its old names only
                loose |= set(folded_words(f"{unit.level} {unit.short} {unit.province}"))
    def widened(p: QueryPlan) -> QueryPlan:
        entities = []
        for e in p.entities:
            provinces = _province_alternatives(units, e[0])
            if provinces:  # a province named by its new name: a pre-2025 passage names the old ones instead
                loose.update(folded_words(e[0]))
            entities.append(e + tuple(m for m in alternatives.get(fold(e[0]), ()) + provinces if m not in e))
        return replace(p, units=tuple(found), entities=tuple(entities), retrieval_extra=" ".join(extra),
                       loose_words=tuple(sorted(loose)))

    asks = tuple((ask, widened(sub)) for ask, sub in plan.asks)
    return replace(widened(plan), asks=asks)


def mapping_citation(n: int, units: AdminUnits, quote: str) -> Citation:
    """The data package cited as the source of a mapping, with its version."""
    return Citation(n=n, document_id=PACKAGE, number=None, title=f"Dữ liệu đơn vị hành chính {units.source}",
                    location="bảng đơn vị trước và sau sắp xếp năm 2025 (63 → 34 tỉnh; xã cũ → xã mới)",
                    page=None, source=f"{PACKAGE}=={units.version}", quote=quote, score=1.0)


def governing(catalogue: Sequence[CatalogueEntry], plan: QueryPlan) -> list[tuple[CatalogueEntry, str]]:
    """Central documents about units formed by re-arrangement, with their status on the asked date, in force first."""
    found = [e for e in catalogue if e.level == "central" and any(fold(t) == fold(MERGED_TOPIC) for t in e.topics)]
    rated = [(e, status_on(e, plan.as_of, catalogue)[0]) for e in found]
    rated.sort(key=lambda es: (es[1] not in ("in_force", "amended"), -(int((es[0].signed or "0")[:4]))))
    return rated[:GOVERNING_LIMIT]


def _card_citation(n: int, card: SearchResult, plan: QueryPlan) -> Citation:
    where = f"{CARD_LABEL}, tình trạng tính đến {vn_date(plan.as_of.isoformat())}"
    return Citation(n=n, document_id=card.doc_id, number=card.number, title=card.title or card.number or "",
                    location=where, page=None, source=card.source, quote=card.text.splitlines()[0],
                    score=round(card.score, 6), chunk_id=card.chunk_id)


def unit_answer(plan: QueryPlan, found: Sequence[Lookup], units: AdminUnits, catalogue: Sequence[CatalogueEntry],
                cards, status_quotes: Sequence[Citation]) -> Answer:
    """The answer to a question about units: the mapping, the governing documents and the quoted documents."""
    if not any(f.status == "found" for f in found):
        return Answer("\n".join(f.reason for f in found), False, ())
    lines, citations = [f"Đơn vị hành chính (theo dữ liệu {units.source}):"], []
    for f in found:
        if f.status != "found":
            lines.append(f"• {f.reason}")
            continue
        said = describe(units, f)
        citations.append(mapping_citation(len(citations) + 1, units, " ".join(said)))
        lines += [f"• {s}" for s in ([f.reason] if f.reason else []) + said]
        lines[-1] += f" [{citations[-1].n}]"
    lines.append(f"• Đợt sắp xếp này áp dụng từ {vn_date(REARRANGED_FROM)} (theo thẻ văn bản {REARRANGED_SOURCE}).")
    rules = governing(catalogue, plan)
    if rules:
        lines.append(f"\nVăn bản về NTM với đơn vị hình thành sau sắp xếp (tình trạng ngày {vn_date(plan.as_of.isoformat())}):")
    for entry, status in rules:
        card = next(iter(cards(entry)), None)
        mark = ""
        if card is not None:
            citations.append(_card_citation(len(citations) + 1, card, plan))
            mark = f" [{citations[-1].n}]"
        lines.append(f"• {entry.type} {entry.number}: {entry.title} — {STATUS_LABELS[status]}{mark}")
    cited = {x.document_id for x in citations}
    quoted = [c for c in status_quotes if c.document_id not in cited and not cited.add(c.document_id)][:STATUS_QUOTES]
    if quoted:
        lines.append("\nVăn bản nói về danh hiệu NTM sau sáp nhập:")
    for c in quoted:
        citations.append(replace(c, n=len(citations) + 1))
        lines.append(f"• Theo {c.number or c.title}: “{c.quote}” [{citations[-1].n}]")
    text = "\n".join(lines) + "\n\nCăn cứ:\n" + "\n".join(source_line(c, False) for c in citations)
    return Answer(text, True, tuple(citations))


def unit_note(found: Sequence[Lookup], units: AdminUnits) -> str:
    """One paragraph naming both eras of the units a question names, appended to an answer about something else."""
    said = [describe(units, f)[0] for f in found if f.status == "found"]
    return f"\n\nĐơn vị nêu trong câu hỏi (theo dữ liệu {units.source}): " + " ".join(said) if said else ""
