"""The optional LLM answerer: the model writes from numbered evidence, then every sentence is verified.

A sentence survives only if it cites evidence that exists and every number it states is found in what
it cites; anything else is dropped, and when nothing survives the caller falls back to the extractive
answer. The model is a writer, never a source.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from knowledge.text import LIST_MARKER, fold, nfc, without_markup
from retrieval.chat import ChatError, ChatModel
from retrieval.evidence import (Answer, Citation, location_of, split_sentences, stated_numbers,
                                supported_numbers)
from retrieval.search import SearchResult
from retrieval.sparse import STOPWORDS

log = logging.getLogger(__name__)

REFUSAL = "KHÔNG_CÓ_THÔNG_TIN"
SYSTEM_FILE, USER_FILE = "answer_system.md", "answer_user.md"
PLACEHOLDERS = ("question", "as_of", "evidence")
QUOTE_CHARS = 300

_PLACEHOLDER = re.compile(r"\{(question|as_of|evidence)\}")
_MARKS = re.compile(r"\[(\d{1,2}(?:\s*[,;]\s*\d{1,2})*)\]")
_LEADING_MARKS = re.compile(r"^(?:\s*\[\d{1,2}(?:\s*[,;]\s*\d{1,2})*\])+")
# "- ", "1. ", "a) " open a list item: formatting, not a number the answer states.
_LIST_ITEM = re.compile(rf"^\s*(?:[-*•+]|{LIST_MARKER})\s+")
# Text shaped like a tag could close the prompt's <cau_hoi>/<bang_chung> delimiters early.
_TAG = re.compile(r"<\s*/?\s*[A-Za-z_][\w-]*\s*/?\s*>")
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Prompts:
    """The system prompt and the user-message template (with {question}, {as_of}, {evidence})."""

    system: str
    user: str


def load_prompts(prompts_dir: Path) -> Prompts:
    """Read and check the two prompt files; raises FileNotFoundError/ValueError naming the file."""
    texts = {}
    for name in (SYSTEM_FILE, USER_FILE):
        path = Path(prompts_dir) / name
        if not path.is_file():
            raise FileNotFoundError(f"LLM prompt file not found: {path} (see prompts/README.md; "
                                    "set NTM_PROMPTS_DIR or unset NTM_LLM_BASE_URL/NTM_LLM_GGUF)")
        texts[name] = nfc(path.read_text(encoding="utf-8"))
    if REFUSAL not in texts[SYSTEM_FILE]:
        raise ValueError(f"{Path(prompts_dir) / SYSTEM_FILE} must tell the model to reply {REFUSAL}")
    missing = [p for p in PLACEHOLDERS if "{" + p + "}" not in texts[USER_FILE]]
    if missing:
        raise ValueError(f"{Path(prompts_dir) / USER_FILE} lacks the placeholders {missing}")
    return Prompts(texts[SYSTEM_FILE], texts[USER_FILE])


def _defang(text: str) -> str:
    return _TAG.sub(lambda m: m.group(0).replace("<", "‹").replace(">", "›"), text)


def _label(result: SearchResult) -> str:
    name = " — ".join(x for x in (result.number, result.title or Path(result.source).name) if x)
    return f"{name} ({location_of(result.path, result.page)})"


def format_evidence(results: Sequence[SearchResult]) -> str:
    """The numbered evidence block: `[n] number — title (location)` then the chunk text."""
    # Markdown marks off: the model reads plain text and is less inclined to answer in Markdown
    return "\n\n".join(f"[{n}] {_defang(without_markup(_label(r)))}\n{_defang(without_markup(r.text.strip()))}"
                       for n, r in enumerate(results, 1))


def render_user(template: str, question: str, as_of: str, evidence: str) -> str:
    """Fill the user template in one pass, so text inside a value is never taken for a placeholder.

    `question` is the checked question (`retrieval.question.check_question` bounds its length)."""
    values = {"question": _defang(question.strip()), "as_of": as_of, "evidence": evidence}
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def _folded_key(text: str) -> str:
    return re.sub(r"[\W_]", "", fold(text))


_REFUSAL_KEY = _folded_key(REFUSAL)


@dataclass(frozen=True)
class Sentence:
    """One sentence of the reply: its text, the evidence numbers it cites, where it sits in the reply."""

    text: str
    cites: tuple[int, ...]
    start: int
    end: int

    @property
    def claim(self) -> str:
        """The sentence without citation markers or a list-item opener: what it asserts."""
        return _LIST_ITEM.sub("", _MARKS.sub(" ", self.text)).strip()


def _cites(text: str) -> tuple[int, ...]:
    found = [int(n) for m in _MARKS.finditer(text) for n in re.findall(r"\d+", m.group(1))]
    return tuple(dict.fromkeys(found))


def parse_reply(reply: str) -> list[Sentence]:
    """Sentences of the reply; a marker written after the full stop ("… điểm. [1]") joins its sentence."""
    out: list[Sentence] = []
    for s, e in split_sentences(reply):
        text = reply[s:e]
        lead = _LEADING_MARKS.match(text)
        if lead and out and "\n" not in reply[out[-1].end:s]:
            prev, marks = out[-1].text, lead.group(0).strip()
            joined = f"{prev[:-1]} {marks}{prev[-1]}" if prev[-1] in ".!?;:" else f"{prev} {marks}"
            out[-1] = Sentence(joined, _cites(joined), out[-1].start, s + lead.end())
            rest = text[lead.end():]
            s += lead.end() + len(rest) - len(rest.lstrip())
            text = rest.lstrip()
        if re.search(r"\w", _MARKS.sub(" ", text)):
            out.append(Sentence(text, _cites(text), s, e))
    return out


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if not w.isdigit() and w not in STOPWORDS}


def _window(text: str, want: set[str], words: set[str], limit: int) -> str:
    """Part of a long sentence: its best clause, widened word by word on both sides up to `limit` characters."""
    clauses = list(re.finditer(r"[^,;]+[,;]?", text))
    best = max(clauses, key=lambda m: (len(want & supported_numbers([m.group()])), len(words & _words(m.group()))))
    tokens = list(re.finditer(r"\S+", text))
    lo = next((i for i, t in enumerate(tokens) if t.end() > best.start()), 0)
    hi = lo

    def fits(i: int, j: int) -> bool:
        return tokens[j].end() - tokens[i].start() <= limit

    while hi + 1 < len(tokens) and tokens[hi + 1].end() <= best.end() and fits(lo, hi + 1):
        hi += 1
    grown = True
    while grown:  # alternate right and left so the clause stays near the middle
        grown = False
        if hi + 1 < len(tokens) and fits(lo, hi + 1):
            hi, grown = hi + 1, True
        if lo > 0 and fits(lo - 1, hi):
            lo, grown = lo - 1, True
    piece = text[tokens[lo].start():tokens[hi].end()][:limit]  # [:limit]: one "word" may be a long URL
    return ("…" if lo else "") + piece + ("…" if hi < len(tokens) - 1 else "")


def best_quote(chunk: str, claims: Sequence[str], limit: int = QUOTE_CHARS) -> str:
    """The chunk sentence(s) that best support the claims: stated numbers first, then shared words."""
    want = set().union(*(stated_numbers(c) for c in claims))
    words = _words(" ".join(claims))
    spans = split_sentences(chunk) or [(0, len(chunk))]
    texts = [chunk[s:e] for s, e in spans]
    nums = [want & supported_numbers([t]) for t in texts]
    ranked = sorted(range(len(texts)), key=lambda i: (len(nums[i]), len(words & _words(texts[i])), -i), reverse=True)
    picked, covered, size = [ranked[0]], set(nums[ranked[0]]), len(texts[ranked[0]])
    if size > limit:
        return _window(texts[ranked[0]], want, words, limit)
    for i in ranked[1:]:  # add sentences only for numbers the quote does not show yet
        if nums[i] - covered and size + len(texts[i]) + 3 <= limit:
            picked.append(i)
            covered |= nums[i]
            size += len(texts[i]) + 3
    picked.sort()
    quote = texts[picked[0]]
    for prev, i in zip(picked, picked[1:]):
        quote += (" " if i == prev + 1 else " … ") + texts[i]
    return quote


class LLMAnswerer:
    """Asks a chat model to answer from numbered evidence and keeps only what the evidence supports."""

    def __init__(self, chat: ChatModel, prompts_dir: Path, timeout: float, max_evidence: int = 6) -> None:
        self.chat, self.timeout, self.max_evidence = chat, timeout, max_evidence
        self.prompts = load_prompts(prompts_dir)

    def messages(self, question: str, evidence: Sequence[SearchResult], as_of: str) -> list[dict[str, str]]:
        """The chat messages sent for a question: the rules, then the evidence and the delimited question."""
        user = render_user(self.prompts.user, question, as_of, format_evidence(evidence[: self.max_evidence]))
        return [{"role": "system", "content": self.prompts.system}, {"role": "user", "content": user}]

    def answer(self, question: str, evidence: Sequence[SearchResult], as_of: str,
               extra_support: Sequence[str] = ()) -> Answer | None:
        """A verified, cited answer; None when the caller should fall back to the extractive answer."""
        shown = list(evidence[: self.max_evidence])
        if not shown:
            log.info("LLM answer skipped: no evidence to cite")
            return None
        try:
            reply = self.chat.complete(self.messages(question, shown, as_of), timeout=self.timeout)
        except ChatError as err:
            log.warning("LLM answer discarded (%s): %s", self.chat.name, err)
            return None
        reply = nfc(reply or "").strip()
        if not reply:
            log.warning("LLM answer discarded (%s): empty reply", self.chat.name)
            return None
        if _folded_key(reply[: len(REFUSAL) + 8]).startswith(_REFUSAL_KEY):
            return Answer(text="", answered=False, citations=(), answerer="llm")
        return self._verified(parse_reply(reply), reply, shown, extra_support)

    def _verified(self, sentences: list[Sentence], reply: str, shown: list[SearchResult],
                  extra_support: Sequence[str]) -> Answer | None:
        kept, cited, dropped = [], [], 0
        for sent in sentences:
            valid = tuple(n for n in sent.cites if 1 <= n <= len(shown))
            claim, ok = sent.claim, True
            if _REFUSAL_KEY in _folded_key(claim) or (sent.cites and not valid):
                ok = False  # a refusal mixed into an answer, or only non-existent evidence cited
            elif valid:
                support = [t for n in valid for t in (shown[n - 1].text, _label(shown[n - 1]))]
                ok = stated_numbers(claim) <= supported_numbers([*support, *extra_support])
            elif stated_numbers(claim):
                ok = False  # a number with no source
            if ok:
                kept.append(sent)
                cited.extend(valid)
            else:
                dropped += 1
        if not cited:
            log.warning("LLM answer discarded (%s): no cited sentence survived verification (%d sentences)",
                        self.chat.name, len(sentences))
            return None
        if dropped:
            log.info("LLM answer (%s): %d of %d sentences dropped by verification",
                     self.chat.name, dropped, len(sentences))
        order = list(dict.fromkeys(cited))  # evidence numbers in order of first appearance
        renumber = {old: new for new, old in enumerate(order, 1)}
        text = ""
        for i, sent in enumerate(kept):
            if i:
                text += "\n" if "\n" in reply[kept[i - 1].end:sent.start] else " "
            text += without_markup(_rewrite(sent.text, renumber))  # a chat shows "**" as asterisks
        citations = tuple(self._citation(renumber[old], shown[old - 1], [s.claim for s in kept if old in s.cites])
                          for old in order)
        return Answer(text=text, answered=True, citations=citations, answerer="llm")

    @staticmethod
    def _citation(n: int, r: SearchResult, claims: list[str]) -> Citation:
        return Citation.of(n, r, r.title or Path(r.source).name, location_of(r.path, r.page),
                           best_quote(r.text, claims), r.page)


def _rewrite(text: str, renumber: dict[int, int]) -> str:
    """Markers renumbered and written one number per bracket; markers of unknown evidence removed."""
    def repl(m: re.Match) -> str:
        nums = dict.fromkeys(renumber[int(n)] for n in re.findall(r"\d+", m.group(1)) if int(n) in renumber)
        return "".join(f"[{n}]" for n in nums)

    text = _MARKS.sub(repl, text)
    text = re.sub(r"[ \t]{2,}", " ", text)
    return re.sub(r"[ \t]+([.,;:!?])", r"\1", text).strip()
