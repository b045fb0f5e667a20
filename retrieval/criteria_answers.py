"""Questions about what a criterion requires, answered from the criteria table: the set that governs (period,
level, grade), the criterion's name and group, the commune groups, and a threshold only where a corpus file
states it; otherwise which appendix of which decision holds it."""

from __future__ import annotations

import re
from typing import Callable, Sequence

from knowledge.catalogue import CatalogueEntry, entry_for
from knowledge.criteria import CriteriaSet, CriteriaTable
from knowledge.text import fold, folded_words
from retrieval.criteria_asks import CriteriaAsk
from retrieval.doc_facts import card_citation
from retrieval.evidence import Answer, Citation, location_of, split_sentences
from retrieval.extractive import source_line
from retrieval.search import SearchResult
from retrieval.validity import validity_note

# The card lines a criteria answer rests on: the criteria list, the groups, the summary, the title.
_CARD_LINES = ("Danh sách", "Tóm tắt:", "Thẻ văn bản:", "Tình trạng tính đến")
QUOTE_SENTENCES = 3  # sentences quoted for one stated threshold (a value may sum up a few sentences)
Passage = Callable[[str, str], "SearchResult | None"]  # (words, corpus file) → a chunk of that file


def _title(s: CriteriaSet) -> str:
    amended = f"; sửa đổi bởi {', '.join(s.amended_by)}" if s.amended_by else ""
    where = f", {s.appendix}" if s.appendix else ""
    return f"Bộ tiêu chí {s.level} {s.grade} giai đoạn {s.period} ({s.document}{where}{amended})"


def _criterion_lines(ask: CriteriaAsk, names: Sequence[str], other: tuple[CriteriaSet, Sequence[str]] | None
                     ) -> tuple[list[str], str]:
    """Each asked criterion's name and group; a number beyond this set is read in the other period's set
    ("TC10 bộ mới với TC18 bộ 2021-2025"), else said not to exist."""
    s = ask.set
    if not ask.numbers:
        return [], ""
    if not names:
        return [], f"Tài liệu hiện có không nêu tên các tiêu chí của bộ này; danh sách nằm ở {s.missing_where}."
    lines, wrong = [], []
    for n in ask.numbers:
        in_set = s if 1 <= n <= len(names) else other[0] if other and 1 <= n <= len(other[1]) else None
        if in_set is None:
            wrong.append(n)
            continue
        listed = names if in_set is s else other[1]
        group = in_set.group_of(n)
        said = f"Tiêu chí số {n}" + ("" if in_set is s else f" của bộ giai đoạn {in_set.period} ({in_set.document})")
        said += f": {listed[n - 1]}"
        if group:
            said += f", thuộc nhóm “{group}”" + ("" if in_set.groups_in_corpus else
                                                 f" (theo cách xếp nhóm của {in_set.document})")
        lines.append(said + ".")
    problem = f"{_title(s)} chỉ có {len(names)} tiêu chí; không có tiêu chí số " \
              f"{', '.join(map(str, wrong))}." if wrong else ""
    return lines, problem


def _structure_lines(s: CriteriaSet, names: Sequence[str], regions: int) -> list[str]:
    """How the set is built: its criteria and indicators, content groups, commune groups or regions."""
    lines = []
    if names:
        lines.append(f"Bộ có {len(names)} tiêu chí" + (f", {s.indicators} chỉ tiêu" if s.indicators else "") + ".")
    if s.groups:
        lines.append(f"{len(s.groups)} nhóm nội dung: " + "; ".join(
            f"{name} (tiêu chí {', '.join(map(str, members))})" for name, members in s.groups) + "."
            + ("" if s.groups_in_corpus else f" Cách xếp tiêu chí vào nhóm theo {s.document}; tài liệu hiện có chỉ "
                                              "nêu tên nhóm."))
    if s.commune_groups:
        lines.append(f"Mỗi tiêu chí có mức riêng cho {len(s.commune_groups)} nhóm xã: " + "; ".join(
            f"nhóm {n}: {d}" for n, d in s.commune_groups) + ".")
    elif s.zoning == "regions":
        lines.append(f"Mức đạt chia theo {regions} vùng.")
    return lines


def _zone_lines(ask: CriteriaAsk, regions: int) -> tuple[list[str], str]:
    """What the set says about the asked region or commune group (definitions), and a problem if it has none."""
    s, lines = ask.set, []
    zoned = {"regions": f"mức đạt chia theo {regions} vùng",
             "groups": f"mỗi tiêu chí có mức riêng cho {len(s.commune_groups)} nhóm xã"}.get(
        s.zoning, "bảng tiêu chí không ghi cách chia mức đạt của bộ này")
    if ask.group is not None:
        definition = dict(s.commune_groups).get(ask.group)
        if not s.commune_groups:
            return [], f"{_title(s)} không chia xã theo nhóm; {zoned}."
        if definition is None:
            return [], f"{_title(s)} chia xã thành {len(s.commune_groups)} nhóm; không có nhóm {ask.group}."
        lines.append(f"Xã nhóm {ask.group}: {definition}.")
    if ask.region is not None:
        if s.zoning != "regions":
            return lines, f"{_title(s)} không chia mức đạt theo vùng; {zoned}."
        lines.append(s.zoning_note or f"Mức đạt của bộ này chia theo {regions} vùng.")
    return lines, ""


def _stated_for(ask: CriteriaAsk, folded: str) -> list:
    """The stated facts that answer the ask: of its criterion; without one, those sharing words with the message
    ("tỷ lệ hài lòng"), else all of the set."""
    out = []
    for fact in ask.set.stated:
        if ask.number is not None and fact.criterion not in (None, ask.number):
            continue
        if ask.number is not None and fact.criterion is None and ask.set.level == "xã":
            continue
        out.append(fact)
    if ask.number is None and out:  # the facts sharing most words with the message, else all of the set
        asked = set(folded.split()) - _COMMON
        shared = {id(f): len(asked & (set(folded_words(f.indicator)) - _COMMON)) for f in out}
        best = max(shared.values())
        out = [f for f in out if shared[id(f)] == best] if best else out
    return out


_COMMON = frozenset("ty le xa huyen tinh ntm nong thon moi dat chuan muc cua va cac nguoi dan bao nhieu can phai "
                    "co may bn la gi the nao tu tro len theo duoc tieu chi dac thu kieu mau dieu kien yeu cau nhung".split())


def _quote_of(r: SearchResult, value: str) -> str:
    """The sentences of a chunk that hold the stated value's numbers (so every number said is quoted)."""
    wanted = set(re.findall(r"\d+(?:,\d+)?", value))
    holds = {r.text[s:e]: {n for n in wanted if re.search(rf"(?<![\d,]){re.escape(n)}(?![\d,])", r.text[s:e])}
             for s, e in split_sentences(r.text)}  # the value's numbers each sentence states, found once
    held: list[str] = []
    while wanted and len(held) < QUOTE_SENTENCES:  # greedy: the sentence quoting most of the numbers not yet quoted
        best = max(holds, key=lambda x: len(holds[x] & wanted), default="")
        covered = holds.get(best, set()) & wanted
        if not covered:
            break
        held.append(best)
        wanted -= covered
    return " … ".join(sorted(held, key=r.text.find)) if held else r.text[:200]


def criteria_answer(ask: CriteriaAsk, folded: str, as_of, catalogue: Sequence[CatalogueEntry], cards,
                    table: CriteriaTable, passage: Passage | None = None) -> Answer:
    """The table's answer: name and group, group definitions, stated thresholds, and where the rest is."""
    if ask.set is None:
        return Answer(ask.problem, False, ())
    s = ask.set
    entry = entry_for(catalogue, s.document)
    regions = len(table.regions)
    other = next((o for o in table.sets if o.period != s.period and o.level == s.level and o.grade == s.grade), None)
    names = s.criteria(catalogue)
    criterion, problem = _criterion_lines(ask, names, (other, other.criteria(catalogue))
                                          if other and ask.both_periods else None)
    if ask.structure:
        criterion = _structure_lines(s, names, regions) + criterion
        if other and ask.both_periods:  # "bộ trước có bao nhiêu TC, bộ 2026-2030 còn mấy TC"
            criterion += [f"{_title(other)}: " + " ".join(_structure_lines(other, other.criteria(catalogue), regions))]
    zone, zone_problem = _zone_lines(ask, regions)
    stated = _stated_for(ask, folded) if ask.wants_threshold else []
    if (problem or zone_problem) and not (criterion or zone or stated):
        return Answer(problem or zone_problem, False, ())
    cited = card_citation(1, list(cards(entry)), _CARD_LINES) if entry else None
    citations: list[Citation] = [cited] if cited else []
    mark = " [1]" if citations else ""
    lines = [f"{_title(s)}:"] + [f"• {x}{mark}" for x in criterion + zone] + [f"• {p}" for p in (problem, zone_problem) if p]
    for fact in stated:
        found = passage(fact.find or f"{fact.indicator} {fact.value}", fact.corpus_file) if passage else None
        cite = ""
        same = next((c for c in citations if found is not None and c.chunk_id == found.chunk_id), None)
        if same is not None:  # the same passage holds several facts: cite it once
            cite = f" [{same.n}]"
        elif found is not None:
            citations.append(Citation.of(len(citations) + 1, found, found.title or fact.document,
                                         location_of(found.path, found.page), _quote_of(found, fact.value), found.page))
            cite = f" [{citations[-1].n}]"
        where = f" ({fact.applies_to})" if fact.applies_to else ""
        if fact.applies_to and (ask.region or ask.group):  # a province's own level is no region's or group's
            where = f" mức riêng của {fact.applies_to}, không phải mức theo vùng hay nhóm xã"
        lines.append(f"• Tài liệu hiện có nêu{where}: {fact.indicator}: {fact.value} — theo {fact.document}.{cite}")
    # a province's own threshold answers only a question about that province
    national = [f for f in stated if not f.applies_to or f" {fold(f.applies_to).removeprefix('tinh ')} " in f" {folded} "]
    absent = ask.wants_threshold and not national
    if absent:
        what = f"mức đạt của tiêu chí số {ask.number}" if ask.number else "mức đạt các chỉ tiêu"
        zone_text = f" cho vùng {ask.region.name}" if ask.region and s.zoning == "regions" else \
            f" cho xã nhóm {ask.group}" if ask.group and s.commune_groups else ""
        lines.append(f"• Tài liệu hiện có không nêu {what}{zone_text}; nội dung này nằm ở {s.missing_where}.")
    note = validity_note(entry, as_of, catalogue) if entry else None
    text = "\n".join(lines) + (f"\n\nLưu ý: {note}" if note else "")
    if citations:
        text += "\n\nCăn cứ:\n" + "\n".join(source_line(c, False) for c in citations)
    answered = bool(criterion or zone or national) and not absent
    return Answer(text, answered, tuple(citations), (note,) if note else ())
