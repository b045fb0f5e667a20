"""What a message asks of the criteria table: the set (period, level, grade), criterion numbers, a region or a
commune group, the set's structure, and whether a threshold is wanted; a Vietnamese reason when no set fits."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from knowledge.catalogue import CatalogueEntry
from knowledge.criteria import CriteriaSet, CriteriaTable, Region

NEW_SET_SIZE = 10  # criteria of the 2026-2030 set: a higher number can only be the 2021-2025 numbering
_NUMBER = re.compile(r"\b(?:tieu chi|tc)\s*(?:so\s*)?(\d{1,3})\b")
_GROUP = re.compile(r"\bnhom\s*(\d{1,2})\b")
_PERIOD = re.compile(r"\b(20\d\d)\s*(?:-|–|den|toi)\s*(20\d\d)\b")
_NEW_SET = re.compile(r"\b(?:2026|2030|bo moi|bo tieu chi moi|qd 51|51/2025)\b")
_OLD_SET = re.compile(r"\b(?:2021|2022|2023|2024|qd 318|318/qd|bo cu|bo truoc|giai doan truoc|19 tieu chi)\b")
_THRESHOLD = re.compile(r"\b(?:yeu cau|nguong|chi tieu|muc|can dat|phai dat|bao nhieu|ty le|toi thieu|quy dinh|"
                        r"(?:can|phai co|can co) (?:may|bao nhieu|bn)|cao hon|"
                        r"dieu kien|the nao moi dat|dat chuan khi)\b")
_NAME_ASK = re.compile(r"\b(?:la gi|la tieu chi gi|ten|ve gi|noi dung|thuoc nhom|nhom nao|gom)\b")
# What a requirement ask says ("phải đạt", "điều kiện", "tỷ lệ hài lòng"), as against a count or a target ("bao
# nhiêu xã đạt chuẩn", "đến 2025 bao nhiêu % huyện") that the documents, not the table, answer.
_REQUIREMENT = re.compile(r"\b(?:tieu chi|dieu kien|yeu cau|phai dat|can dat|phai co|can co|cao hon|hai long|"
                          r"toi thieu|nguong)\b")
_COUNT = re.compile(r"\b(?:bao nhieu|may|bn) (?:% ?|phan tram )?(?:xa|huyen|tinh|thon|san pham|sp|tieu chi)\b|"
                    r"\bthu hoi\b|\bphan dau\b|\bmuc tieu\b")
# "hết 2023 tỷ lệ xã đạt chuẩn bao nhiêu": a programme result beside a criterion ask, not the criterion's
# threshold; "huyện NTM … tỷ lệ xã đạt chuẩn phải bao nhiêu" asks a threshold (a must-word): the table's.
_UNIT_SHARE = re.compile(r"\bt[yi] le (?:so |cac )?(?:xa|huyen|tinh|don vi)\b")
_MUST = re.compile(r"\b(?:phai|can|yeu cau|toi thieu|it nhat|nguong|quy dinh)\b")
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
    if _OLD_SET.search(folded) or region is not None or (number or 0) > NEW_SET_SIZE:
        return "2021-2025"
    return None


def _choose(table: CriteriaTable, period: str, folded: str, explicit: bool) -> CriteriaSet | None:
    level = next((lv for lv, cue in _LEVEL_CUES if cue.search(folded)), "xã")
    grade = next((g for g, cue in _GRADE_CUES if re.search(cue, folded)), "NTM")
    graded = [s for s in table.sets if s.level == level and grade in s.grade.split(", ")]
    if not explicit and graded and not any(s.period == period for s in graded):
        return graded[-1]  # "xã kiểu mẫu" has a set only in 2021-2025: that one, whatever today's date
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
    # "xã kiểu mẫu thu nhập phải cao hơn bao nhiêu", "huyện đặc thù cần tỷ lệ hài lòng bao nhiêu": a set's stated
    # thresholds, asked without a criterion number
    set_level = bool(_REQUIREMENT.search(folded) and not _COUNT.search(folded) and not _DOC_ASK.search(folded)
                     and (re.search(r"\b(?:kieu mau|dac thu)\b", folded)
                          or any(cue.search(folded) for _, cue in _LEVEL_CUES)))
    if number is None and group is None and not structure and not set_level:
        return None
    explicit = _PERIOD.search(folded) or _NEW_SET.search(folded) or _OLD_SET.search(folded)
    if number is not None and not (region or group or explicit or _THRESHOLD.search(folded) or _NAME_ASK.search(folded)):
        return None
    if group is not None and number is None and not (_GROUP_ASK.search(folded) or structure):
        return None
    period = _period(folded, number, group, region) or default_period
    chosen = _choose(table, period, folded, bool(explicit))
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


def covers(ask_folded: str, table_ask: CriteriaAsk) -> bool:
    """Whether the table's answer to a message answers this ask of it: a criterion, or a threshold, not a result."""
    if mentions_criterion(ask_folded):
        return True
    result = bool(_COUNT.search(ask_folded) or (_UNIT_SHARE.search(ask_folded) and not _MUST.search(ask_folded)))
    return table_ask.set is not None and table_ask.wants_threshold and bool(_THRESHOLD.search(ask_folded)) and not result
