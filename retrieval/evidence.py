"""What answerers share: citations and answers, sentence spans, and the numbers a text states.

The number check is the project's guard against invented figures: every number, date or document
number in an answer must be found in the quotes it cites (or in the catalogue).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

import regex

from knowledge.catalogue import number_key
from knowledge.dates import ANY_DATE, iso
from knowledge.text import LIST_MARKER, UPPER, nfc, without_markup
from retrieval.sparse import DOC_NUMBER_RE


@dataclass(frozen=True)
class Citation:
    """One numbered source of an answer: the document, where in it, and the quoted span."""

    n: int
    document_id: str
    number: str | None
    title: str
    location: str
    page: int | None
    source: str
    quote: str
    score: float
    chunk_id: str = ""

    @classmethod
    def of(cls, n: int, result, title: str, location: str, quote: str, page: int | None = None) -> "Citation":
        """Citation [n] of a retrieved chunk (`retrieval.search.SearchResult`); title and quote without Markdown."""
        return cls(n=n, document_id=result.doc_id, number=result.number, title=without_markup(title),
                   location=location, page=page, source=result.source, quote=without_markup(quote),
                   score=round(result.score, 6), chunk_id=result.chunk_id)


@dataclass(frozen=True)
class Answer:
    """An answer in Vietnamese with its citations; `answered` is False for an honest refusal."""

    text: str
    answered: bool
    citations: tuple[Citation, ...]
    notes: tuple[str, ...] = ()  # validity warnings and other remarks, already included in `text`
    answerer: str = "extractive"


# Sentence ends: ". " / "; " / "? " before an upper-case letter or a list marker, and line breaks, except a
# single break inside a sentence wrapped onto the next line ("… chưa bố trí đủ phần đối\nứng …": the next line
# starts in lower case, is no list item, and the line before ends without punctuation).
# A colon does not end a sentence: "tiêu chí số 17: Môi trường…" must stay whole.
# Reference marks after the full stop ("… thanh toán.[293] Đến hết năm 2024 …", also "[14][15]", "[a]",
# "[ cần dẫn nguồn]") end the sentence too: otherwise two sentences about different years read as one. The
# `regex` module allows that variable-width lookbehind. Markdown bold around a sentence's end or start
# ("… 80%.** **Năm 2024** …") does not hide the break.
_SENT_END = regex.compile(rf"(?<=[.!?…](?:\[[^\]\n]{{1,30}}\])*\*{{0,3}})\s+(?=\*{{0,3}}[\"“(\[]?[{UPPER}0-9\-–•+])"
                          rf"|(?<=;)\s+"
                          rf"|(?<![.!?…;:,\s])\n(?!(?![{UPPER}])[^\W\d_]+\s)(?!\n)|\n{{2,}}|(?<=[.!?…;:,])\n",
                          regex.UNICODE)


_MARKER = re.compile(rf"(?:(?:Điều|Khoản|Mục|Chương|Phần|Phụ lục)\s+)?{LIST_MARKER}")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences and lines of a text, whitespace trimmed."""
    spans, start = [], 0
    for m in _SENT_END.finditer(text):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e <= s:
            continue
        if out and _MARKER.fullmatch(text[out[-1][0]:out[-1][1]]) and "\n" not in text[out[-1][1]:s]:
            out[-1] = (out[-1][0], e)  # "2." or "a)" starts the item that follows; keep them together
        else:
            out.append((s, e))
    return out


def location_of(path: str | None, page: int | None) -> str:
    """Human location of a chunk: its structural path (Điều/Khoản/section) and page, in Vietnamese."""
    parts = [p for p in ((path or "").strip(), f"trang {page}" if page else "") if p]
    return ", ".join(parts) or "phần đầu văn bản"


_CITE_MARK = re.compile(r"\[\d{1,2}\]")
# 1.234.567 / 4,5 / 90% / 07: a plain quantity. Digits glued to letters (QH15, TC17) are names, skipped.
_QUANTITY = re.compile(r"(?<![\w/.,-])\d{1,3}(?:\.\d{3})+(?:,\d+)?(?![\w/])|(?<![\w/.,-])\d+(?:[.,]\d+)?(?![\w/])")


def _plain(token: str) -> str:
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", token):
        token = token.replace(".", "")
    token = token.replace(",", ".")
    whole, _, frac = token.partition(".")
    whole = whole.lstrip("0") or "0"
    frac = frac.rstrip("0")
    return f"{whole}.{frac}" if frac else whole


def stated_numbers(text: str) -> set[str]:
    """Canonical numbers a text states: dates (ISO), document numbers (key) and quantities."""
    text = _CITE_MARK.sub(" ", nfc(text or ""))
    found: set[str] = set()
    for m in ANY_DATE.finditer(text):
        day = iso(m.groups())
        if day:
            found.add(day)
    text = ANY_DATE.sub(" ", text)
    for m in DOC_NUMBER_RE.finditer(text):
        found.add(number_key(m.group(0)))  # spelling-insensitive: 318/QĐ-TTg == 318/qd-ttg
    text = DOC_NUMBER_RE.sub(" ", text)
    found.update(_plain(m.group(0)) for m in _QUANTITY.finditer(text))
    return found


def supported_numbers(texts: Iterable[str]) -> set[str]:
    """Everything the given evidence supports: its stated numbers plus the parts of its dates and numbers."""
    support: set[str] = set()
    for text in texts:
        for token in stated_numbers(text):
            support.add(token)
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", token):
                y, m, d = token.split("-")
                support.update({y, m.lstrip("0"), d.lstrip("0")})
            elif "/" in token or re.search(r"[a-z]", token):
                support.update(_plain(x) for x in re.findall(r"\d+", token))
    return support


def unsupported_numbers(answer: str, evidence: Iterable[str]) -> set[str]:
    """Numbers in `answer` that none of the evidence texts states (empty set = nothing invented)."""
    return stated_numbers(answer) - supported_numbers(evidence)
