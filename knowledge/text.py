"""Vietnamese text primitives shared by every floor: the NFC entry point, the one diacritic fold, and the
one list-marker pattern, the upper-case letters, Markdown marks taken off for display."""

from __future__ import annotations

import re
import unicodedata

# A list item's number or letter and its closing "." or ")": "2.", "1.2.", "a)", "đ.", "IV.". Callers
# anchor it and add what may stand around it (a unit word before it, spaces or bullets).
LIST_MARKER = r"(?:\d{1,3}(?:\.\d{1,3})*|[a-zđ]|[IVXLC]{1,6})[.)]"
# Upper-case Latin letters with every Vietnamese mark, as a regex class body ("À-Ỹ" would also take "á", "ờ"…).
UPPER = "".join(sorted({c for c in map(chr, range(0x41, 0x1EFA)) if c.isupper() and c.isalpha()
                        and unicodedata.normalize("NFD", c)[0] in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" or c == "Đ"}))


class _FoldTable(dict):
    """Code point → that character without its marks, filled on first sight (str.translate then runs in C)."""

    def __missing__(self, code: int) -> str:
        decomposed = unicodedata.normalize("NFD", chr(code).replace("đ", "d").replace("Đ", "D"))
        # Only marks that attach to a letter (combining class > 0) go: a Thai vowel sign is a letter of its own.
        # NFC rejoins what NFD split without marks (a Hangul syllable), so one letter stays one letter.
        folded = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))
        self[code] = folded
        return folded


_FOLD = _FoldTable()


# Lone surrogates: a Python str may hold them (JSON "\\ud800", a broken client), but no encoder, tokenizer,
# database or Rust library takes them, so they become U+FFFD where text enters.
_SURROGATES = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def valid_text(text: str) -> str:
    """Text that every encoder accepts: lone surrogates (the only str a UTF-8 encoder refuses) become U+FFFD."""
    return _SURROGATES.sub(REPLACEMENT, text)


# Markdown marks in pages saved as Markdown (tvpl pages, .md notes): "**bold**", "*italic*", "__bold__", "# "
# headings. A chat shows them as asterisks. Marks go in pairs around text ("**95%**", "**- Mục tiêu**"), so a
# star that means something stays: "2*3", "(Số hộ/Tổng số)*100%", "xã A* (*: đặc biệt khó khăn)", "(**)", a "* "
# bullet, a "***" rule, "____" form blanks. A quote may cut a span in two, and pages leave unclosed ones: a
# dangling double or triple star beside text goes, and a single star only where no footnote mark stands, at
# a line's start before a letter ("*Hà Nội, ngày …") or at its end after punctuation or a space ("…;*"); an
# empty bold pair ("Điều 1. ****Sắp xếp") too.
_EMPHASIS_PAIR = re.compile(r"(?<![\w*])(\*{1,3}|__)(?=[^\s*_])(.+?)(?<=[^\s*_])\1(?![\w*])")
_DANGLING = re.compile(r"(?<=[^\s*(])\*{2,3}(?=[\s.,;:!?)”\"]|$)|(?:(?<=\s)|^)\*{2,3}(?=[^\s*)])"
                       r"|^\*(?=[^\W\d_])|(?<=[.,;:!?])\*$|[ \t]+\*$|(?<!\*)\*{4}(?=[^\s*])|(?<=[^\s*])\*{4}(?!\*)",
                       re.MULTILINE)
_HEADING = re.compile(r"(?m)^[ \t]*#{1,6}[ \t]+")


def without_markup(text: str) -> str:
    """Text to show without Markdown emphasis marks and heading hashes (the stored text keeps them)."""
    if "*" not in text and "_" not in text and "#" not in text:
        return text
    text = _EMPHASIS_PAIR.sub(r"\2", text)
    return _HEADING.sub("", _DANGLING.sub("", text))


def nfc(text: str) -> str:
    """Unicode NFC form (precomposed Vietnamese letters) of valid text: what every entry point turns text into."""
    return unicodedata.normalize("NFC", valid_text(text))


def strip_diacritics(text: str) -> str:
    """Text without Vietnamese diacritics (đ → d, Đ → D), case kept; one letter per letter of NFC text."""
    return text.translate(_FOLD)


def fold(text: str) -> str:
    """Lower-case ASCII fold of Vietnamese text ("Đồng bằng" → "dong bang"); one letter per letter of NFC text."""
    return text.translate(_FOLD).lower()


def has_diacritics(text: str) -> bool:
    """True when any letter carries a Vietnamese mark or is đ."""
    return fold(text) != text.lower()


def folded_words(text: str) -> list[str]:
    """The words of a text, folded ("Nông thôn mới" → ["nong", "thon", "moi"]): what lexical matching compares."""
    return re.findall(r"\w+", fold(text))


def one_edit(a: str, b: str) -> bool:
    """True when a and b differ by exactly one inserted, deleted or replaced letter."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) == 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = next((k for k in range(len(short)) if short[k] != long_[k]), len(short))
    return short[i:] == long_[i + 1:]
