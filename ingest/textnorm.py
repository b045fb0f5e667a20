"""Repair of extracted text: PDF-extraction artefacts (split syllables, hyphenation, ligatures), control
characters, and the TCVN3 (ABC) legacy encoding."""

from __future__ import annotations

import re

from knowledge.syllables import VOWELS, is_syllable, split_tone
from knowledge.text import nfc

_LIST_LEADS = frozenset("và là hoặc từ cho như".split())  # words that may precede a list letter
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
_LIGATURES = {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
              "\ufb05": "st", "\ufb06": "st"}
_SPACES = re.compile(r"[\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_TOKEN = re.compile(r"^(\W*)([^\W\d_]+)(\W*)$")
_HYPHENATED = re.compile(r"([^\W\d_]+)-\n([^\W\d_]+)")


def _stands_alone(frag: str, left: str = "") -> bool:
    """Whether a fragment is a word by itself; a lone vowel after an accented letter is a split tail."""
    if left and len(frag) == 1 and frag.lower() in VOWELS and not left[-1].isascii():
        return left.lower() in _LIST_LEADS  # "củ a", "mớ i" are splits; "điểm h và i" is a list letter
    return is_syllable(frag)


def _merge_rank(left: str, right: str) -> tuple[int, int, int] | None:
    """None = keep apart; otherwise how sure a merge of two adjacent letter fragments is (higher first)."""
    if (any(ch.isupper() for ch in right) or len(left) > 1 and left.isupper()) and not (left + right).isupper():
        return None  # case must agree: "ĐIỀ U" and "Đi ều" come from splits, "mỚi" and "ĐIỀu" do not
    alone_left, alone_right = _stands_alone(left), _stands_alone(right, left)
    if (alone_left and alone_right) or not is_syllable(left + right):
        return None
    # Extraction splits next to accented letters; a bare consonant ("ng", "c") is never a word.
    touch = not (left[-1].isascii() and right[0].isascii())
    bare_left = not any(ch in VOWELS for ch in split_tone(left)[0])
    if not touch and not bare_left and any(ch in VOWELS for ch in right.lower()):
        return None
    # Most sure first: halves that are no syllable at all ("h" + "ành"), then a split at an accent
    # ("thự c hiện" -> "thực hiện"), then a bare consonant taking the vowel after it ("cả n ước" ->
    # "cả nước", not "cản ước"; but "p" starts only loanwords: "đá p ứng" -> "đáp ứng").
    broken = int(not is_syllable(left)) + int(not is_syllable(right))
    return (broken, int(touch), int(bare_left and left.lower() != "p"))


def _pair_rank(left_token: str, right_token: str) -> tuple[int, int, int] | None:
    """Rank of gluing two space-separated tokens; punctuation between their letters forbids it."""
    left, right = _TOKEN.match(left_token), _TOKEN.match(right_token)
    if not left or not right or left.group(3) or right.group(1):
        return None
    return _merge_rank(left.group(2), right.group(2))


def _merge_line(line: str) -> str:
    """Merge split syllables on one line, e.g. "nông thôn m ới" -> "nông thôn mới"."""
    tokens = line.split(" ")
    ranks = [_pair_rank(a, b) for a, b in zip(tokens, tokens[1:])]
    while True:
        candidates = [(rank, -i) for i, rank in enumerate(ranks) if rank is not None]
        if not candidates:
            return " ".join(tokens)
        at = -max(candidates)[1]  # surest merge first, leftmost on ties
        tokens[at:at + 2] = [tokens[at] + tokens[at + 1]]
        del ranks[at]
        if at > 0:
            ranks[at - 1] = _pair_rank(tokens[at - 1], tokens[at])
        if at < len(ranks):
            ranks[at] = _pair_rank(tokens[at], tokens[at + 1])


def _dehyphenate(match: re.Match[str]) -> str:
    """Undo hyphenation at a line end when the halves were one word."""
    a, b = match.group(1), match.group(2)
    if not b[0].islower() or (is_syllable(a) and is_syllable(b)):
        return match.group(0)  # "QĐ-\nTTg", "kinh tế-\nxã hội": not a broken word
    if is_syllable(a + b) or (a.isascii() and b.isascii()):
        return a + b
    return match.group(0)


def strip_controls(text: str) -> tuple[str, int]:
    """Text without C0 control characters and DEL (tab, newline, CR kept; form feed and vertical tab
    become newlines) and how many were removed."""
    # \f and \v separate pages and lines in exported text; dropping them would glue words together.
    text = text.replace("\f", "\n").replace("\v", "\n")
    cleaned, removed = _CONTROL.subn("", text)
    return cleaned, removed


def repair_pdf_text(text: str) -> str:
    """Repair PDF-extraction artefacts: split syllables, soft hyphens, ligatures, odd spaces, hyphenation."""
    text = _CONTROL.sub("", text.translate(_ZERO_WIDTH).replace("\f", "\n"))
    for lig, plain in _LIGATURES.items():
        text = text.replace(lig, plain)
    text = _SPACES.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = re.sub(r" +(?=[\u0300-\u036f])", "", text)  # "a ́" -> "á" once composed
    text = nfc(text)
    text = re.sub("\u00ad *\n *", "", text).replace("\u00ad", "")
    text = re.sub(r" *\n *", "\n", re.sub(r" {2,}", " ", text)).strip(" ")
    text = _HYPHENATED.sub(_dehyphenate, text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return nfc("\n".join(_merge_line(line) for line in text.split("\n")))


# TCVN 5712:1993 (the "ABC" / .VnTime fonts) bytes 0xA0-0xFF, one character per byte. ABC text
# uses the lowercase letters; uppercase accented letters come from .VnTimeH fonts with the same
# lowercase codes, hence the case fix in decode_tcvn3.
_TCVN3_HIGH = (
    "\u00a0ĂÂÊÔƠƯĐăâêôơưđẰ\u0300\u0309\u0303\u0301\u0323"
    "àảãáạẲằẳẵắẴẮẦẨẪẤỀặầẩẫấậèỂẻẽéẹềểễếệìỉỄẾỒĩíịòỔỏõóọồổỗốộờởỡớợùỖủũúụừửữứựỳỷỹýỵỐ"
)
_TCVN3 = {0xA0 + i: ch for i, ch in enumerate(_TCVN3_HIGH)}


def decode_tcvn3(data: bytes) -> str:
    """Decode TCVN3 (ABC) bytes to NFC text; bytes 0x80-0x9F are read as Windows-1252 punctuation."""
    out = []
    for b in data:
        if b >= 0xA0:
            out.append(_TCVN3[b])
        elif b >= 0x80:
            out.append(bytes([b]).decode("cp1252", errors="replace"))
        else:
            out.append(chr(b))
    text = nfc("".join(out))
    # "N«NG TH«N" is "NÔNG THÔN" typed in a .VnTimeH font: upper a word whose ASCII letters all are.
    return re.sub(r"\w+", lambda m: m.group(0).upper() if _all_caps_ascii(m.group(0)) else m.group(0), text)


def _all_caps_ascii(word: str) -> bool:
    """True when the word has 2+ ASCII letters and all of them are uppercase."""
    letters = [ch for ch in word if ch.isascii() and ch.isalpha()]
    return len(letters) >= 2 and all(ch.isupper() for ch in letters)


