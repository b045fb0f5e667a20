"""What kind of figure a question asks for, as a pattern the answering sentence must hold.

"bao nhiêu xã" is answered by a count of communes ("15 xã"), "bao nhiêu phần trăm" and "tỷ lệ … bao nhiêu" by a
percentage or a ratio, "bao nhiêu tỷ đồng" by money. Without such a pattern any figure of a sentence would do,
and an encyclopedia page's count of mobile-money customers could answer a question on the rate of communes
meeting the standard. Patterns run on folded text (`knowledge.text.fold`: no marks, lower case).
"""

from __future__ import annotations

import re

from knowledge.text import fold

NUMBER = r"\d+(?:[.,]\d+)*"
_MONEY = rf"{NUMBER} (?:trieu|ty|nghin ty|dong|nghin dong)"
_PERCENT = rf"{NUMBER}\s*%|{NUMBER} phan tram"
# What "bao nhiêu <word>" counts, when the word is a unit or a countable noun; other words ("vốn", "thu
# nhập") name the thing measured, and any figure may answer.
_UNITS = {"phan": _PERCENT, "ty": _MONEY, "trieu": _MONEY, "tien": _MONEY, "dong": _MONEY,
          "nghin": rf"{NUMBER} nghin", "tieu": rf"{NUMBER} tieu chi", "chi": rf"{NUMBER} chi tieu"}
_COUNTED = frozenset("xa huyen tinh thon ap ban lang ho nguoi lao san cau lop km ha lan nhom doan don cong "
                     "thanh quan phuong thi truong cho tram".split())
_RATE = re.compile(r"\bt[yi] le\b")  # "tỷ lệ" / "tỉ lệ": the asked figure is a percentage or a ratio
_HOW_MUCH = re.compile(r"\bbao nhi(?:e|)u\b")  # "bao nhiêu", also typed "bao nhiu" (an ask's own words are uncorrected)
# A rate as documents state it: "93,7%", "40 phần trăm", "7:3", or a table row whose unit cell is "%".
_RATE_FIGURE = rf"{_PERCENT}|\b\d+\s*:\s*\d+\b|(?:^|\|)\s*%\s*(?:\||$)"
_PERCENT_HEADER = re.compile(r"%|\bphan tram\b")


def unit_pattern(question: str, own: str) -> re.Pattern[str] | None:
    """The pattern of the asked figure, or None when any figure may answer; `own` is the ask's own words (a rate
    the ask before names is not this ask's)."""
    folded = fold(question)
    counted = re.search(r"\b(?:bao nhieu|may)\s+([a-z]+)", folded)
    word = counted.group(1) if counted else ""
    if word in _UNITS:
        return re.compile(_UNITS[word])
    if word in _COUNTED:
        return re.compile(rf"\b{NUMBER}(?: {NUMBER})? {word}\b")
    own = fold(own)
    return re.compile(_RATE_FIGURE) if _RATE.search(own) and _HOW_MUCH.search(own) else None


def unit_in_header(unit: re.Pattern[str], header: str) -> bool:
    """Whether a table row's header gives the asked percentage ("Tỉnh (%)"), so its bare numbers count."""
    return unit.pattern in (_PERCENT, _RATE_FIGURE) and _PERCENT_HEADER.search(fold(header)) is not None
