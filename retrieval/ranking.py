"""Every sentence of the retrieved evidence scored against the question, and whether one answers it by itself.

The score orders candidates; whether a sentence answers at all is decided by `answers` (enough of the question's
weighted words, the places and documents it names, the asked figure, a date the document is valid on). The
weights were set by hand on the dev set and are kept as they were measured (README: results table).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Sequence

from knowledge.catalogue import CatalogueEntry, entry_for
from knowledge.dates import A_YEAR, ANY_DATE
from knowledge.status import NOT_YET, status_on
from knowledge.text import LIST_MARKER, fold, folded_words
from retrieval.evidence import stated_numbers, supported_numbers
from retrieval.asks import QUESTION_WORDS
from retrieval.asked_figure import NUMBER, unit_in_header, unit_pattern
from retrieval.kinds import kind_fits, may_answer
from retrieval.units import SHORT_CHARS, evidence_units, unit_words
from retrieval.query import QueryPlan, resolve_numbers
from retrieval.places import with_aliases
from retrieval.search import SearchResult
from retrieval.sparse import DOC_NUMBER_RE
from retrieval.validity import staleness

SUPPORT_MIN = 0.55  # share of the question's weighted words the quote (with its headings) must contain...
SUPPORT_MIN_FIT = 0.45  # ...or this share when the quote holds the kind of answer asked (a date for "ngày nào")...
FIT_KINDS = frozenset({"date", "list", "person"})  # ...for kinds whose test is specific (a document number is not)
W_KIND = 0.1  # the unit holds the kind of answer the ask expects: names for "xã nào", a date for "khi nào"
CONTEXT_WEIGHT = 0.5  # words an ask borrows from the ask before weigh half its own words
QUOTE_CHARS = 280  # longest quote shown in chat; a longer sentence is cut around its figure
W_OWN = 0.45  # question words in the sentence itself: what the quote says weighs most
W_SUPPORT = 0.2  # ...in the sentence or its headings (title, Điều/Khoản path, number): the unit it belongs to
W_NEAR = 0.1  # ...anywhere in its chunk or headings: the neighbourhood is on the topic
W_PAIRS = 0.15  # share of adjacent question-word pairs in the sentence: a phrase beats scattered words
W_RANK = 0.1  # divided by 1 + the chunk's retrieval rank: the retriever's order breaks near-ties
W_COUNTED_FIGURE = 0.25  # "bao nhiêu xã" and the sentence counts communes: the figure asked for
W_FIGURE = 0.1  # a figure question and the sentence states some figure
W_NAMED_DOCUMENT = 0.1  # the sentence's document is one the question names
PENALTY_CARD = 0.05  # a catalogue card is our summary: a document's own sentence wins a tie (so does a
# document's own sentence over the "Tóm tắt:" line a collected file starts with)
PENALTY_SHORT = 0.05  # a fragment (a heading, "Điều 5.") rarely answers alone...
UNUSABLE = 2  # staleness of a document that cannot answer: not yet in force, another period, superseded twice
IDF_SMOOTHING = 0.5  # added to a word's sentence count in its weight, so a word found nowhere stays finite

_YEAR = re.compile(r"^(19|20)\d\d$")
_YEAR_SPAN = re.compile(r"((?:19|20)\d\d)\s*[-–]\s*((?:19|20)\d\d)")  # "2021-2025", "2026 – 2030"
_LIST_MARK = re.compile(rf"^\s*{LIST_MARKER}\s+")
_DATE_WORDS = ("ngay nao", "khi nao", "bao gio", "thoi han", "nam nao", "thoi diem", "hieu luc tu", "ky ngay")
@dataclass(frozen=True)
class Candidate:
    """One sentence of one retrieved chunk, scored against the question."""

    result: SearchResult
    rank: int
    start: int
    end: int
    support: float  # weighted share of question words in the sentence and its headings
    score: float
    has_quantity: bool
    entity_ok: bool
    stale: int
    focus: int = 0  # offset in the sentence of what answers (the figure); a long quote is cut around it
    fits: bool = False  # holds the kind of answer the ask expects
    header: str = ""  # a table row's header, quoted before the row

    @property
    def quote(self) -> str:
        """The sentence (a line wrapped inside it joined with a space), trimmed to a chat-sized quote around its
        focus."""
        text = self.result.text[self.start:self.end].replace("\n", " ")
        if self.header:  # a table row: its cells joined like the header's, the header first
            text = f"{self.header} … " + " | ".join(c.strip() for c in text.split("|") if c.strip())
        if len(text) <= QUOTE_CHARS:
            return text
        begin = max(0, min(self.focus - QUOTE_CHARS // 3, len(text) - QUOTE_CHARS))
        window = text[begin:begin + QUOTE_CHARS]
        if begin > 0:
            window = "… " + window.split(" ", 1)[-1]
        if begin + QUOTE_CHARS < len(text):
            window = window.rsplit(" ", 1)[0] + " …"
        return window


def question_terms(plan: QueryPlan) -> list[str]:
    """Content words of the question (folded), expansions included, question words dropped."""
    return [w for w in dict.fromkeys(folded_words(plan.search_text)) if w not in QUESTION_WORDS and len(w) > 1 or w.isdigit()]


def _weights(terms: list[str], sentences: list[set[str]]) -> dict[str, float]:
    """IDF of each question word over the evidence's sentences: a word every sentence has says little."""
    n = len(sentences) or 1
    return {t: math.log(1 + (n + 1) / (IDF_SMOOTHING + sum(1 for s in sentences if t in s))) for t in terms}


def _plain_number(token: str) -> str:
    return next(iter(stated_numbers(token)), token)


def _mentions_year(sentence: str, year: int) -> bool:
    """False when the sentence is about other years only ("đến năm 2020" for a question on 2024)."""
    years = {int(y) for y in A_YEAR.findall(sentence)}
    spans = [(int(a), int(b)) for a, b in _YEAR_SPAN.findall(sentence)]
    return not years or year in years or any(a <= year <= b for a, b in spans)


def fits_period(sentence: str, period: str | None) -> bool:
    """False when the sentence names only other periods ("giai đoạn 2026-2030" for a question on 2021-2025)."""
    if not period:
        return True
    spans = [(int(a), int(b)) for a, b in _YEAR_SPAN.findall(sentence)]
    start, end = int(period[:4]), int(period[-4:])
    return not spans or any(a <= end and start <= b for a, b in spans)


# A document's own number and year ("51/2025/QĐ-TTg", "12/2022/NQ-HĐND năm 2022") say when it was issued, not
# what time its figures are about; so does a date in a page's title ("Hội nghị tổng kết … ngày 15/01/2024").
_ISSUED = re.compile(rf"(?:{DOC_NUMBER_RE.pattern})(?:,?\s+năm\s+(?:19|20)\d\d)?", re.IGNORECASE)


def fits_time(plan: QueryPlan, result: SearchResult, sentence: str) -> bool:
    """Whether a sentence may answer for the asked year or period, by the years it names (numbers masked)."""
    text = _ISSUED.sub(" ", sentence)
    if not A_YEAR.search(text) and plan.wants_quantity and not result.number and result.kind != "catalogue":
        # A page's figure that names no time ("tính đến hết tháng 6, cả nước có …") is dated by the page's
        # title ("Kết quả năm 2022"); an act's or a card's figure holds while the act does (validity.staleness).
        text = ANY_DATE.sub(" ", _ISSUED.sub(" ", f"{result.title or ''} {result.path}"))
    return (plan.year is None or _mentions_year(text, plan.year)) and fits_period(text, plan.period)


def _has_quantity(text: str, dates_count: bool, asked: set[str]) -> bool:
    """Whether the text states a figure the question did not already give; dates only when it asks when."""
    for x in stated_numbers(text) - asked:
        if not x[:1].isdigit() or "/" in x:
            continue  # a document number is not a figure
        if dates_count or not (_YEAR.match(x) or re.fullmatch(r"\d{4}-\d{2}-\d{2}", x)):
            return True
    return False


def _entities_ok(plan: QueryPlan, context: str, number: str | None, catalogue: Sequence[CatalogueEntry]) -> bool:
    """Places the question names are in the chunk; so is one of the documents it names (by number)."""
    folded = fold(context)
    if not all(any(fold(alt) in folded for alt in alts) for alts in plan.entities):
        return False
    if not (plan.numbers or plan.unresolved):
        return True
    if number in plan.numbers:
        return True
    named = set(plan.numbers) | set(plan.unresolved)
    mentioned = resolve_numbers(context, folded, catalogue, {})
    return bool(named & set(mentioned)) or any(fold(n) in folded for n in plan.unresolved)


_MENTIONED: dict[tuple[str, int], list[str]] = {}
MENTIONED_CACHE = 4096  # chunks whose named documents are remembered (finding them is the costliest step of ranking)


def _mentioned(text: str, catalogue: Sequence[CatalogueEntry]) -> list[str]:
    """The catalogued documents a chunk names, computed once per chunk text and catalogue."""
    key = (text, id(catalogue))
    if key not in _MENTIONED:
        if len(_MENTIONED) >= MENTIONED_CACHE:
            _MENTIONED.clear()
        _MENTIONED[key] = resolve_numbers(text, fold(text), catalogue, {})
    return _MENTIONED[key]


def _overlap(a: str, b: str) -> bool:
    (a1, a2), (b1, b2) = ((int(p[:4]), int(p[-4:])) for p in (a, b))
    return a1 <= b2 and b1 <= a2


def _staleness(r: SearchResult, plan: QueryPlan, catalogue: Sequence[CatalogueEntry]) -> int:
    """How out of date a chunk is on the question's date (0 current, 1 superseded, UNUSABLE)."""
    entry = entry_for(catalogue, r.number)
    if entry:
        if entry.number in plan.numbers:
            return 0
        # Asked about a date before a document took effect, or about a period it does not cover, that
        # document cannot be the answer.
        if plan.as_of_source != "today" and status_on(entry, plan.as_of, catalogue)[0] == NOT_YET:
            return UNUSABLE
        if plan.period and entry.period and not _overlap(plan.period, entry.period):
            return UNUSABLE
        return staleness(entry, plan.as_of, catalogue)
    # A chunk without its own catalogued number (a news page, a history note) is as old as the
    # documents it talks about, when all of them are old: e.g. a 2016-2020 income threshold.
    mentioned = [entry_for(catalogue, n) for n in _mentioned(r.text, catalogue)]
    ages = [0 if e.number in plan.numbers else staleness(e, plan.as_of, catalogue) for e in mentioned if e]
    return min(ages) if ages else 0


@dataclass(frozen=True)
class _Question:
    """What every sentence of one question's evidence is scored against (computed once per question)."""

    plan: QueryPlan
    weights: dict[str, float]
    total: float
    pairs: list[tuple[str, str]]
    dates_count: bool  # the question asks when: a date is the figure
    asked: set[str]  # numbers the question gives ("QĐ 318 … bao nhiêu": 318 is not the answer)
    unit: re.Pattern[str] | None


def _figure(q: _Question, sentence: str, header: str = "") -> tuple[bool, int]:
    """Whether the sentence states the asked figure, and where (the quote is cut around it)."""
    # "bao nhiêu xã": the figure must count communes ("15 xã"); a table row's cells are bare numbers when its
    # header gives the unit ("Tỉnh (%)"), and any figure of it counts.
    if q.unit is not None and not unit_in_header(q.unit, header):
        found = q.unit.search(fold(sentence))  # folding keeps offsets: one letter per letter
        return found is not None, found.start() if found else 0
    plain = _LIST_MARK.sub("", sentence)  # the "2." of a list item is no figure
    if not _has_quantity(plain, q.dates_count, q.asked):
        return False, 0
    return True, next((m.start() for m in re.finditer(NUMBER, sentence) if _plain_number(m.group(0)) not in q.asked), 0)


def _score(q: _Question, r: SearchResult, rank: int, sentence: str, bag: set[str], heading: set[str],
           chunk: set[str], has_figure: bool) -> tuple[float, float]:
    """(support, score) of one sentence: its share of the question's weighted words, and the ranking score."""
    weights, total = q.weights, q.total
    own = sum(w for t, w in weights.items() if t in bag) / total
    support = sum(w for t, w in weights.items() if t in bag or t in heading) / total
    near = sum(w for t, w in weights.items() if t in chunk or t in heading) / total
    words = " ".join(folded_words(sentence))
    pair_share = sum(1 for a, b in q.pairs if f"{a} {b}" in words) / (len(q.pairs) or 1)
    score = (W_OWN * own + W_SUPPORT * support + W_NEAR * near + W_PAIRS * pair_share + W_RANK / (1 + rank)
             + ((W_COUNTED_FIGURE if q.unit else W_FIGURE) if q.plan.wants_quantity and has_figure else 0.0)
             - (PENALTY_CARD if r.kind == "catalogue" or sentence.startswith("Tóm tắt:") else 0.0)
             - (PENALTY_SHORT if len(sentence) < SHORT_CHARS else 0.0)
             + (W_NAMED_DOCUMENT if r.number in q.plan.numbers else 0.0))
    return support, score


def _entities_by_result(plan: QueryPlan, results: Sequence[SearchResult],
                        catalogue: Sequence[CatalogueEntry]) -> list[bool]:
    """For each result, whether its document names what the question names."""
    # A place is usually named once per document (headline, letterhead): any retrieved chunk of the same
    # document counts as its context.
    doc_text: dict[str, str] = {}
    for r in results:
        doc_text[r.doc_id] = doc_text.get(r.doc_id, f"{r.title or ''} {r.issuer or ''}") + f" {r.path} {r.text}"
    return [_entities_ok(plan, doc_text[r.doc_id], r.number, catalogue) for r in results]


def rank_sentences(plan: QueryPlan, results: Sequence[SearchResult],
                   catalogue: Sequence[CatalogueEntry]) -> list[Candidate]:
    """Every sentence of the results, best first."""
    spans, leads, shown = [], [], []
    for i, r in enumerate(results):
        for (s, e), lead, header in evidence_units(r.text, r.kind == "catalogue"):
            spans.append((r, i, s, e))
            leads.append(set(folded_words(lead)))
            shown.append(header)
    bags = [with_aliases(unit_words(r.text[s:e]), r.text[s:e], plan.aliases) for r, _, s, e in spans]
    terms = question_terms(plan)
    weights = _weights(terms, bags)
    if plan.own_text:  # an ask of a message: the words it borrows as context count less than its own
        own = set(folded_words(plan.own_text))
        weights = {t: w if t in own else w * CONTEXT_WEIGHT for t, w in weights.items()}
    q = _Question(plan, weights, sum(weights.values()) or 1.0, list(zip(terms, terms[1:])),
                  any(w in (plan.folded or fold(plan.text)) for w in _DATE_WORDS),
                  supported_numbers([plan.text, *plan.numbers]),
                  unit_pattern(plan.folded or plan.text, plan.own_text or plan.folded or plan.text))
    stale_of = {i: _staleness(r, plan, catalogue) for i, r in enumerate(results)}
    headings = [with_aliases(set(folded_words(f"{r.title or ''} {r.path} {r.number or ''}")), f"{r.title} {r.text}",
                             plan.aliases) for r in results]
    chunks = [set(folded_words(r.text)) for r in results]
    entity_ok = _entities_by_result(plan, results, catalogue)
    out = []
    for (r, rank, s, e), bag, lead, header in zip(spans, bags, leads, shown):
        sentence = r.text[s:e]
        has_figure, focus = _figure(q, sentence, header)
        # a list item's lead-in ("Năm 2024, tỉnh … đặt mục tiêu: …;") is part of its headings
        support, score = _score(q, r, rank, sentence, bag, headings[rank] | lead, chunks[rank], has_figure)
        fits = has_figure if plan.kind == "figure" else kind_fits(plan.kind, sentence)
        fits_year = fits_time(plan, r, sentence)
        out.append(Candidate(r, rank, s, e, support, score + (W_KIND if fits else 0.0), has_figure,
                             entity_ok[rank] and fits_year, stale_of[rank], focus, fits, header))
    out.sort(key=lambda c: c.score, reverse=True)
    return out


def answers(c: Candidate, plan: QueryPlan) -> bool:
    """Whether a sentence answers the question by itself (or with its headings)."""
    # A sentence that is itself a question (an FAQ heading, a table of questions) answers nothing.
    return (c.support >= (SUPPORT_MIN_FIT if c.fits and plan.kind in FIT_KINDS else SUPPORT_MIN) and c.entity_ok
            and may_answer(plan.kind, c.quote) and c.stale < UNUSABLE and "?" not in c.quote
            and (c.has_quantity or not plan.wants_quantity))
