"""The one table of Vietnamese document types: names, what officers type for them, and their codes in numbers.

Every lookup the project needs (types a catalogue entry may have, heading words, number codes, typed
words in questions) is derived from `DOC_TYPES` here, so a new type is added in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.text import fold


@dataclass(frozen=True)
class DocType:
    """One document type."""

    name: str  # "Quyết định"
    short: str | None = None  # what officers type for it, folded: "qd"
    codes: tuple[str, ...] = ()  # its code inside document numbers: "QĐ" in 318/QĐ-TTg
    catalogued: bool = False  # a catalogue entry may have this type
    heading: bool = False  # recognised from a heading line at the top of a document ("QUYẾT ĐỊNH")
    uncoded_numbers: bool = False  # its numbers usually carry no type code (267/BNN-VPĐP is a Công văn)
    steering: bool = False  # gives direction, not legal norms: a central one is guidance, a province's a local plan
    plan: bool = False  # a plan: a province's own is a local plan (a central one is in force like a norm)


DOC_TYPES = (
    DocType("Quyết định", "qd", ("QĐ",), catalogued=True, heading=True),
    DocType("Nghị định", "nd", ("NĐ",), catalogued=True, heading=True),
    DocType("Công văn", "cv", ("CV",), catalogued=True, heading=True, uncoded_numbers=True, steering=True),
    DocType("Kế hoạch", "kh", ("KH",), catalogued=True, heading=True, plan=True),
    DocType("Nghị quyết", "nq", ("NQ",), catalogued=True, heading=True),
    DocType("Thông báo", "tb", ("TB",), catalogued=True, heading=True, steering=True),
    DocType("Thông tư", "tt", ("TT", "TTLT"), catalogued=True, heading=True),
    DocType("Luật", catalogued=True, heading=True),
    DocType("Chỉ thị", codes=("CT",), heading=True),
    DocType("Hướng dẫn", codes=("HD",), heading=True),
    DocType("Báo cáo", codes=("BC",)),
    DocType("Tờ trình", codes=("TTr",)),
    DocType("Kết luận", codes=("KL",)),
)
GENERIC_WORDS = ("van ban", "vb")  # "văn bản 318": a document of any type (folded)

CATALOGUE_TYPES = tuple(t.name for t in DOC_TYPES if t.catalogued)
HEADING_TYPES = tuple(t.name for t in DOC_TYPES if t.heading)
TYPE_BY_CODE = {code: t.name for t in DOC_TYPES for code in t.codes}
GUIDANCE_TYPES = frozenset(t.name for t in DOC_TYPES if t.steering)
LOCAL_PLAN_TYPES = frozenset(t.name for t in DOC_TYPES if t.steering or t.plan)
# Folded words naming a catalogued type ("quyet dinh", "qd", "luat"), and the generic ones (None).
CATALOGUE_TYPE_WORDS: dict[str, str | None] = {
    **{word: t.name for t in DOC_TYPES if t.catalogued for word in (fold(t.name), t.short) if word},
    **dict.fromkeys(GENERIC_WORDS)}
# Folded words a question may put before a number ("cv 267", "quyet dinh 18/2022"), and the folded
# type code that number then carries ("" when the type's numbers have none).
TYPED_NUMBER_CODES = {word: "" if t.uncoded_numbers else fold(t.codes[0])
                      for t in DOC_TYPES if t.short for word in (fold(t.name), t.short)}


def words_pattern(words) -> str:
    """A regex alternation of words, longest first so a short word never cuts a longer one."""
    return "|".join(sorted(words, key=len, reverse=True))
