"""A question as it enters the assistant: normalised to NFC once and bounded once, or refused with a Vietnamese
reason the officer can act on."""

from __future__ import annotations

import re
from functools import lru_cache

from knowledge.abbreviations import load_abbreviations
from knowledge.syllables import is_vietnamese_word
from knowledge.text import fold, nfc

MAX_QUERY_CHARS = 2000  # a question or search text longer than this is refused (questions) or cut (search text)
# What a usable question is, as API schemas state it; check_question enforces it with Vietnamese reasons (422).
# Python's str.strip() also removes \x1c-\x1f and \x85, which a JSON Schema (ECMA) \S would let through.
NOT_BLANK = r"[^\s\x1c-\x1f\x85]"
QUESTION_SCHEMA = {"minLength": 1, "maxLength": MAX_QUERY_CHARS, "pattern": NOT_BLANK}
VIETNAMESE_SHARE = 0.6  # share of lower-case words that must be Vietnamese syllables (abbreviations do not count)


EMPTY = "Câu hỏi đang trống. Vui lòng nhập câu hỏi về chương trình nông thôn mới."
_ABBREVIATIONS = lru_cache(maxsize=1)(lambda: frozenset(load_abbreviations()))


class BadQuestion(ValueError):
    """A question the assistant cannot take; `message` is Vietnamese for the officer, `code` for programs."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


_SPACES = re.compile(r"\s+")


def normalise_question(text: str) -> str:
    """NFC, one space between words, no leading or trailing space: the form every later step expects."""
    return _SPACES.sub(" ", nfc(text)).strip()


def check_question(question: object) -> str:
    """The question as `normalise_question` makes it, if usable; raises BadQuestion with a Vietnamese message."""
    if not isinstance(question, str):
        raise BadQuestion("not_text", "Câu hỏi phải là một đoạn văn bản.")
    text = nfc(question).strip()
    if not text:
        raise BadQuestion("empty", EMPTY)
    if len(question) > MAX_QUERY_CHARS:  # as sent, spaces included: the limit the API schema states
        raise BadQuestion("too_long", f"Câu hỏi quá dài ({len(question)} ký tự, tối đa {MAX_QUERY_CHARS}). "
                                      "Vui lòng hỏi ngắn gọn, mỗi lần một ý.")
    words = re.findall(r"[^\W\d_]+", text)
    if not words:
        raise BadQuestion("no_words", "Câu hỏi chưa có chữ (chỉ có số, ký hiệu hoặc biểu tượng). "
                                      "Vui lòng nhập câu hỏi bằng tiếng Việt.")
    # abbreviations (NTM, UBND…, also typed in lower case: "cv 267", "qd 318") are language-neutral
    lower = [w for w in words if not w.isupper() and fold(w).upper() not in _ABBREVIATIONS()]
    if lower and sum(is_vietnamese_word(w) for w in lower) < VIETNAMESE_SHARE * len(lower):
        raise BadQuestion("not_vietnamese", "Trợ lý chỉ trả lời câu hỏi bằng tiếng Việt về các văn bản nông thôn "
                                            "mới. Vui lòng đặt câu hỏi bằng tiếng Việt.")
    return _SPACES.sub(" ", text)  # already NFC and stripped (the length is that of the text as sent)
