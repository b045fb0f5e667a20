"""Evidence units: the sentences, list items and lines of a chunk that may be quoted as an answer, each with the
lead-in it continues; preambles, page chrome and catalogue bookkeeping lines are left out."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterator

from knowledge.abbreviations import load_abbreviations
from knowledge.text import fold, folded_words
from retrieval.evidence import split_sentences

SHORT_CHARS = 25  # a unit shorter than this without a figure is a fragment (a heading, "Đồng bằng sông Hồng;")
# Lines of a catalogue card that only restate the number and type, or state status and relations (the catalogue
# answers of retrieval.doc_facts say those, with the date they hold for): never quoted as content.
_CARD_META = ("Thẻ văn bản:", "Số hiệu:", "Loại văn bản:", "Trong kho văn bản:", "Chủ đề:", "Văn bản này ",
              "Đã được sửa đổi", "Đã bị thay thế", "Tiếp nối văn bản", "Văn bản ra sau", "Văn bản liên quan",
              "Tình trạng tính đến")
# Never an answer: a legal preamble ("Căn cứ Luật …"), a letterhead ("Số: …"), a page's title or chrome, a web
# address, a numbered reference-list line ("[2] Lao Động — …"), a file listing, a "part missing" marker.
_NOT_AN_ANSWER = re.compile(r"\.(?:txt|md)\b|phần còn lại không có|hết phần lưu trữ|https?://|www\."
                            r"|^(?:Số:\s|Căn cứ\b|TOÀN VĂN\b|Đăng lúc\b|Nguồn:|Mức độ đầy đủ|Tiêu đề:|IMG_|\[\d+\]\s"
                            r"|\([\w.]+\.vn\))")


# "… là do: Thực [...]": a lead-in whose list was not collected (a cut after a stated figure still answers)
_CUT_OFF = re.compile(r":\s*(?:\S+\s*){0,3}(?:\[\.\.\.\]|\[…\])\W*$")


def never_answers(unit: str) -> bool:
    """Whether a unit is preamble, title, chrome or an address, a short fragment without a figure, or a lead-in
    whose continuation is missing."""
    return (bool(_NOT_AN_ANSWER.search(unit) or _CUT_OFF.search(unit))
            or len(unit) < SHORT_CHARS and not re.search(r"\d", unit))


def _card_meta_line(text: str, start: int) -> bool:
    return text.startswith(_CARD_META, text.rfind("\n", 0, start) + 1)


_PIPE_LINE = re.compile(r"^\|$", re.M)
# "|\n|\n1\n|\nXã Đan Điền\n|\n40 …": a row starts with its number cell, right after an empty cell
_ROW_START = re.compile(r"(?<=\|\n\|\n)(\d{1,3}(?:\.\d{1,2})?)\n\|\n")
MIN_PIPE_LINES = 6  # a chunk with fewer lines holding only "|" has no table laid out one cell per line


def table_rows(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, header, intro) of each row of a table laid out one cell per line between "|" lines (how
    collected web pages keep tables); the header is the cells before the first row, joined with " | ", and the
    intro the sentence that announces the table ("… theo Bảng sau:")."""
    if len(_PIPE_LINE.findall(text)) < MIN_PIPE_LINES:
        return []
    starts = [m.start() for m in _ROW_START.finditer(text)]
    if not starts:
        return []
    first_pipe = text.rfind("\n|\n", 0, starts[0])
    head_from = text.find("\n|\n", max(0, text.rfind(":", 0, starts[0])))  # cells after the sentence ending ":"
    # header cells are bold ("**TT**"); a chunk that starts inside a table has none
    cells = [" ".join(c.replace("*", "").split()) for c in re.split(r"\n?\|\n?", text[head_from:first_pipe])
             if "**" in c] if head_from >= 0 else []
    header = " | ".join(c for c in cells if c)
    intro = text[max(text.rfind("\n\n", 0, head_from), text.rfind(". ", 0, head_from), 0):head_from] if head_from > 0 else ""
    rows = []
    for k, start in enumerate(starts):
        end = text.rfind("\n|\n|", start, starts[k + 1]) if k + 1 < len(starts) else text.find("\n|\n|", start)
        rows.append((start, end if end > start else len(text), header, intro))
    return rows


def evidence_units(text: str, card: bool = False) -> Iterator[tuple[tuple[int, int], str, str]]:
    """((start, end), lead-in, shown header) of each quotable unit of a chunk: table rows come with their
    header (shown with the quote); other units with the sentence a run of ";"-ended items continues ("… đặt mục
    tiêu: 2 xã …; 1 huyện …;"), or "" for a unit that stands alone."""
    rows = table_rows(text)
    for s, e, header, intro in rows:
        yield (s, e), f"{intro} {header}", header
    lead = ""
    for s, e in split_sentences(text):
        if rows and (any(a <= s < b for a, b, *_ in rows) or not re.search(r"[^\W\d_]", text[s:e])):
            continue  # a cell of a table row (the row is the unit), or a number cell cut from its row
        unit = text[s:e]
        if not (card and _card_meta_line(text, s)) and not never_answers(unit):
            yield (s, e), lead, ""
        if unit.endswith((";", ":")):
            lead = lead or unit  # the first unit of the run introduces the items after it
        else:
            lead = ""


@lru_cache(maxsize=1)
def _expansions() -> dict[str, list[str]]:
    return {k: folded_words(v) for k, v in load_abbreviations().items()}


def unit_words(unit: str) -> set[str]:
    """A unit's folded words, with the words of the abbreviations it writes ("NTM" holds "nông thôn mới")."""
    bag = set(folded_words(unit))
    for token in re.findall(r"\b[A-ZĐ&]{2,}\b", unit):
        bag.update(_expansions().get(fold(token).upper(), ()))
    return bag
