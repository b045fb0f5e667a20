"""Questions about what a criterion requires, answered from the criteria table: the set that governs (period,
level, grade), the criterion's name and group, the commune groups, and a threshold only where a corpus file
states it; otherwise which appendix of which decision holds it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

from knowledge.catalogue import CatalogueEntry, entry_for
from knowledge.criteria import CriteriaSet, CriteriaTable, Region
from knowledge.text import fold
from retrieval.doc_facts import card_citation
from retrieval.evidence import Answer, Citation, location_of, split_sentences
from retrieval.extractive import source_line
from retrieval.search import SearchResult
from retrieval.validity import validity_note

_NUMBER = re.compile(r"\b(?:tieu chi|tc)\s*(?:so\s*)?(\d{1,3})\b")
_GROUP = re.compile(r"\bnhom\s*(\d{1,2})\b")
_PERIOD = re.compile(r"\b(20\d\d)\s*(?:-|–|den|toi)\s*(20\d\d)\b")
_NEW_SET = re.compile(r"\b(?:2026|2030|bo moi|bo tieu chi moi|qd 51|51/2025)\b")
_OLD_SET = re.compile(r"\b(?:2021|2022|2023|2024|qd 318|318/qd|bo cu|bo truoc|giai doan truoc|19 tieu chi)\b")
_THRESHOLD = re.compile(r"\b(?:yeu cau|nguong|chi tieu|muc|can dat|phai dat|bao nhieu|ty le|toi thieu|quy dinh|"
                        r"dieu kien|the nao moi dat|dat chuan khi)\b")
_NAME_ASK = re.compile(r"\b(?:la gi|la tieu chi gi|ten|ve gi|noi dung|thuoc nhom|nhom nao|gom)\b")
_STRUCTURE = re.compile(r"\b(?:nhom noi dung|(?:may|bao nhieu|bn) (?:nhom|tieu chi|tc|chi tieu))\b")
_DOC_ASK = re.compile(r"\b(?:(?:qd|quyet dinh|van ban|vb|cv|cong van) (?:nao|so may|gi)|quy dinh (?:o|tai) dau|"
                      r"nam (?:trong|o) (?:qd|van ban|quyet dinh)|ban hanh theo)\b")
_GROUP_ASK = re.compile(r"\b(?:la xa nao|la gi|la nhung xa|gom|nao la|the nao|xac dinh|dinh nghia|la xa gi|"
                        r"xa nao|thuoc nhom)\b")
_LEVEL_CUES = (("huyện", re.compile(r"\b(?:huyen ntm|cap huyen|tieu chi huyen|huyen nong thon moi|huyen dat chuan|"
                                   r"huyen dac thu|huyen nang cao)\b")),
               ("tỉnh", re.compile(r"\b(?:tinh hoan thanh|cap tinh|tieu chi tinh|tinh dat chuan)\b")))
_GRADE_CUES = (("đặc thù", r"dac thu"), ("kiểu mẫu", r"kieu mau"), ("hiện đại", r"hien dai"),
               ("nâng cao", r"nang cao|\bnc\b"))
QUOTE_SENTENCES = 3  # sentences quoted for one stated threshold (a value may sum up a few sentences)
Passage = Callable[[str, str], "SearchResult | None"]  # (words, corpus file) → a chunk of that file


@dataclass(frozen=True)
class CriteriaAsk:
    """What a message asks of the criteria table; `problem` is a Vietnamese reason when it cannot be answered."""

    set: CriteriaSet | None
    number: int | None = None  # the first criterion asked; `numbers` holds them all ("TC10 và TC11")
    region: Region | None = None
    group: int | None = None
    wants_threshold: bool = False
    problem: str = ""
    numbers: tuple[int, ...] = ()
    structure: bool = False  # how many criteria, indicators and groups the set has
    both_periods: bool = False  # the message names both sets ("TC10 bộ mới với TC18 bộ 2021-2025")


def mentions_criterion(folded: str) -> bool:
    """True when a piece of a message asks the table: a criterion number, a commune group, the set's structure
    ("còn tiêu chí 10", "nhóm 2", "mấy nhóm"), or which decision sets it (answered with the set)."""
    return bool(_NUMBER.search(folded) or _GROUP.search(folded) or _STRUCTURE.search(folded) or _DOC_ASK.search(folded)
                or re.search(r"\b(?:con|va)\s+(?:so\s+)?\d{1,2}\b", folded))


def default_period(catalogue: Sequence[CatalogueEntry], as_of) -> str:
    """The period of the criteria set in force on `as_of` (the newest set whose document applies by then)."""
    starts = sorted(((e.effective or e.signed or "")[:10], e.period) for e in catalogue
                    if e.criteria and e.level == "central" and e.period)
    current = [period for start, period in starts if start and start <= as_of.isoformat()]
    return current[-1] if current else (starts[0][1] if starts else "2021-2025")


def _period(folded: str, number: int | None, group: int | None, region: Region | None) -> str | None:
    span = _PERIOD.search(folded)
    if span:
        return f"{span.group(1)}-{span.group(2)}"
    if _NEW_SET.search(folded) or group is not None:
        return "2026-2030"
    if _OLD_SET.search(folded) or region is not None or (number or 0) > 10:
        return "2021-2025"
    return None


def _choose(table: CriteriaTable, period: str, folded: str) -> CriteriaSet | None:
    level = next((lv for lv, cue in _LEVEL_CUES if cue.search(folded)), "xã")
    grade = next((g for g, cue in _GRADE_CUES if re.search(cue, folded)), "NTM")
    fits = [s for s in table.sets if s.period == period and s.level == level]
    return next((s for s in fits if grade in s.grade.split(", ")), None) or next(iter(fits), None)


def read_criteria_ask(folded: str, table: CriteriaTable, default_period: str) -> CriteriaAsk | None:
    """The criteria ask of a folded message, or None when it asks no criterion, group or threshold."""
    number_m, group_m = _NUMBER.search(folded), _GROUP.search(folded)
    number = int(number_m.group(1)) if number_m else None
    # "nhóm N" is a commune group after "xã", before "xã"/"là", or beside a criterion number ("tiêu chí 8 nhóm 2")
    group = int(group_m.group(1)) if group_m and (number_m or re.search(r"\bxa\s+nhom\b|\bnhom\s*\d+\s*(?:xa|la)",
                                                                         folded)) else None
    region = next((r for r in table.regions if r.named_in(folded)), None)
    # "bộ … có mấy tiêu chí" asks the set; "xã X đạt bao nhiêu tiêu chí" asks the documents about a commune
    structure = bool(_STRUCTURE.search(folded) and re.search(r"\bbo (?:tieu chi|tc|moi|cu|\d)|nhom noi dung", folded))
    if number is None and group is None and not structure:
        return None
    explicit = _PERIOD.search(folded) or _NEW_SET.search(folded) or _OLD_SET.search(folded)
    if number is not None and not (region or group or explicit or _THRESHOLD.search(folded) or _NAME_ASK.search(folded)):
        return None
    if group is not None and number is None and not (_GROUP_ASK.search(folded) or structure):
        return None
    period = _period(folded, number, group, region) or default_period
    chosen = _choose(table, period, folded)
    if chosen is None:
        known = ", ".join(sorted({s.period for s in table.sets}))
        return CriteriaAsk(None, number, region, group, problem=f"Tài liệu hiện có không có bộ tiêu chí NTM cho giai "
                           f"đoạn {period}; bảng tiêu chí có các giai đoạn: {known}.")
    # "gồm bao nhiêu chỉ tiêu" asks the set's size, not a threshold
    asked = re.sub(r"\b(?:qd|quyet dinh|van ban|vb) nao quy dinh\b", " ", folded)  # "which decision sets it"
    wants = bool(_THRESHOLD.search(_DOC_ASK.sub(" ", _STRUCTURE.sub(" ", asked)))
                 or (number is not None and (region or group)))
    wants = wants and not (structure and number is None and region is None and group is None)  # the size is all
    numbers = tuple(dict.fromkeys(int(m.group(1)) for m in _NUMBER.finditer(folded)))
    numbers += tuple(int(n) for n in re.findall(r"\b(?:con|va)\s+(?:so\s+)?(\d{1,2})\b", folded) if int(n) not in numbers)
    both = bool(_NEW_SET.search(folded) and _OLD_SET.search(folded))
    return CriteriaAsk(chosen, number, region, group, wants, numbers=numbers, structure=structure, both_periods=both)


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


def _zone_lines(ask: CriteriaAsk) -> tuple[list[str], str]:
    """What the set says about the asked region or commune group (definitions), and a problem if it has none."""
    s, lines = ask.set, []
    if ask.group is not None:
        if not s.commune_groups:
            return [], f"{_title(s)} không chia xã theo nhóm; mức đạt chia theo 7 vùng."
        definition = dict(s.commune_groups).get(ask.group)
        if definition is None:
            return [], f"{_title(s)} chia xã thành {len(s.commune_groups)} nhóm; không có nhóm {ask.group}."
        lines.append(f"Xã nhóm {ask.group}: {definition}.")
    if ask.region is not None:
        if s.zoning != "regions":
            return lines, f"{_title(s)} không chia mức đạt theo vùng; mỗi tiêu chí có mức riêng cho 3 nhóm xã."
        lines.append(s.zoning_note or "Mức đạt của bộ này chia theo 7 vùng.")
    return lines, ""


def _stated_for(ask: CriteriaAsk, folded: str) -> list:
    """The stated facts that answer the ask: of its criterion, for its place when a fact is a province's own."""
    out = []
    for fact in ask.set.stated:
        if ask.number is not None and fact.criterion not in (None, ask.number):
            continue
        if ask.number is not None and fact.criterion is None and ask.set.level == "xã":
            continue
        out.append(fact)
    return out


def _quote_of(r: SearchResult, value: str) -> str:
    """The sentences of a chunk that hold the stated value's numbers (so every number said is quoted)."""
    wanted = set(re.findall(r"\d+(?:,\d+)?", value))
    sentences = [r.text[s:e] for s, e in split_sentences(r.text)]
    held: list[str] = []
    while wanted and len(held) < QUOTE_SENTENCES:  # greedy: the sentence quoting most of the numbers not yet quoted
        best = max(sentences, key=lambda x: len({n for n in wanted if re.search(rf"(?<![\d,]){re.escape(n)}(?![\d,])", x)}),
                   default="")
        covered = {n for n in wanted if re.search(rf"(?<![\d,]){re.escape(n)}(?![\d,])", best)}
        if not covered:
            break
        held.append(best)
        wanted -= covered
    return " … ".join(sorted(held, key=r.text.find)) if held else r.text[:200]


def criteria_answer(ask: CriteriaAsk, folded: str, as_of, catalogue: Sequence[CatalogueEntry], cards,
                    passage: Passage | None = None, table: CriteriaTable | None = None) -> Answer:
    """The table's answer: name and group, group definitions, stated thresholds, and where the rest is."""
    if ask.set is None:
        return Answer(ask.problem, False, ())
    s = ask.set
    entry = entry_for(catalogue, s.document)
    other = next((o for o in (table.sets if table else ()) if o.period != s.period and o.level == s.level
                  and o.grade == s.grade), None)
    names = s.criteria(catalogue)
    criterion, problem = _criterion_lines(ask, names, (other, other.criteria(catalogue))
                                          if other and ask.both_periods else None)
    if ask.structure:
        regions = len(table.regions) if table else 7
        criterion = _structure_lines(s, names, regions) + criterion
        if other and ask.both_periods:  # "bộ trước có bao nhiêu TC, bộ 2026-2030 còn mấy TC"
            criterion += [f"{_title(other)}: " + " ".join(_structure_lines(other, other.criteria(catalogue), regions))]
    zone, zone_problem = _zone_lines(ask)
    stated = _stated_for(ask, folded) if ask.wants_threshold else []
    if (problem or zone_problem) and not (criterion or zone or stated):
        return Answer(problem or zone_problem, False, ())
    cited = card_citation(1, list(cards(entry)), as_of) if entry else None
    citations: list[Citation] = [cited] if cited else []
    mark = " [1]" if citations else ""
    lines = [f"{_title(s)}:"] + [f"• {x}{mark}" for x in criterion + zone] + [f"• {p}" for p in (problem, zone_problem) if p]
    for fact in stated:
        found = passage(f"{fact.indicator} {fact.value}", fact.corpus_file) if passage else None
        cite = ""
        if found is not None:
            citations.append(Citation(len(citations) + 1, found.doc_id, found.number, found.title or fact.document,
                                      location_of(found.path, found.page), found.page, found.source,
                                      _quote_of(found, fact.value), round(found.score, 6), found.chunk_id))
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
