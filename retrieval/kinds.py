"""Whether an evidence unit holds the kind of answer an ask expects (a date for "ngày nào", names for "những xã
nào", a document number for "văn bản nào"), so a unit that paraphrases the ask can still answer it."""

from __future__ import annotations

import re

from knowledge.dates import ANY_DATE
from knowledge.text import LIST_MARKER, UPPER
from retrieval.sparse import DOC_NUMBER_RE

_NAME = rf"[{UPPER}]\w*(?: [{UPPER}]\w*)*"
# "Phú Tân (huyện Châu Thành), Vị Bình (huyện Vị Thủy)": two or more names in a row
_NAMES = re.compile(rf"{_NAME}(?: \([^)]*\))?\s*[,;]\s*(?:và\s+)?{_NAME}")
_PERSON = re.compile(rf"\b(?:ông|bà|đồng chí|Thứ trưởng|Bộ trưởng|Chủ tịch|Phó Chủ tịch|Thủ tướng|Phó Thủ tướng|"
                     rf"Giám đốc|Chánh Văn phòng)\s+{_NAME}")
_OFFICE = re.compile(r"\b(?:Bộ|Sở|UBND|Ủy ban|Văn phòng|Ban Chỉ đạo|BCĐ|Hội đồng|HĐND|Chủ tịch|Thủ tướng|"
                     r"Chính phủ|Quốc hội)\b")
_ITEM = re.compile(rf"^\s*(?:[-+•–]|{LIST_MARKER})\s+")


def kind_fits(kind: str, unit: str) -> bool:
    """Whether the unit holds an answer of the ask's kind (figures are judged by the ranking's own figure test)."""
    if kind == "date":
        return bool(ANY_DATE.search(unit))
    if kind == "list":
        return bool(_NAMES.search(unit)) or ":" in unit and unit.count(",") >= 2
    if kind == "person":
        return bool(_PERSON.search(unit))
    if kind == "office":
        return bool(_OFFICE.search(unit))
    if kind == "document":
        return bool(DOC_NUMBER_RE.search(unit))
    if kind == "steps":
        return bool(_ITEM.match(unit)) or unit.count(";") + unit.count(",") >= 3
    return False


def may_answer(kind: str, unit: str) -> bool:
    """Whether a unit can answer an ask of this kind at all: a list ask needs a unit that enumerates something."""
    return kind != "list" or bool(re.search(r"[,;:]| và ", unit))
