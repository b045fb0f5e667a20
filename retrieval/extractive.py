"""The default answerer: pick the sentence(s) of the evidence that answer the question and quote them.

Nothing is paraphrased: the answer is quotes plus fixed Vietnamese phrases and catalogue facts, so every
number it contains comes from a cited quote or the catalogue.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable, Sequence

from knowledge.catalogue import CatalogueEntry, entry_for
from knowledge.status import NOT_YET, status_on
from knowledge.text import LIST_MARKER, fold
from retrieval.evidence import Answer, Citation, location_of, split_sentences, stated_numbers, supported_numbers
from retrieval.query import QueryPlan, resolve_numbers
from retrieval.search import SearchResult
from retrieval.validity import governing_entries, governing_sentence, staleness, validity_note

SUPPORT_MIN = 0.55  # share of the question's weighted words the quote (with its headings) must contain
QUOTE_CHARS = 280
_QUESTION_WORDS = frozenset(
    "nao gi bao nhieu the nhu sao khong co la duoc can phai hay cho biet hoi xin vay a nhe ai dau muon "
    "gom nhung cac va cua thi ma de tu ve voi trong tai khi nay do theo mot nhu neu duoc can quy dinh "
    "ra sao hien nay".split())
_YEAR = re.compile(r"^(19|20)\d\d$")
# Lines of a catalogue card that only restate the number and type: never an answer by themselves.
_CARD_META = ("Thẻ văn bản:", "Số hiệu:", "Loại văn bản:", "Trong kho văn bản:", "Chủ đề:")


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

    @property
    def quote(self) -> str:
        """The sentence, trimmed to a chat-sized quote around its focus."""
        text = self.result.text[self.start:self.end]
        if len(text) <= QUOTE_CHARS:
            return text
        begin = max(0, min(self.focus - QUOTE_CHARS // 3, len(text) - QUOTE_CHARS))
        window = text[begin:begin + QUOTE_CHARS]
        if begin > 0:
            window = "… " + window.split(" ", 1)[-1]
        if begin + QUOTE_CHARS < len(text):
            window = window.rsplit(" ", 1)[0] + " …"
        return window


def _card_meta_line(text: str, start: int) -> bool:
    """Whether a card sentence sits on a line that only restates the number, type or filing note."""
    return text.startswith(_CARD_META, text.rfind("\n", 0, start) + 1)


_LIST_MARK = re.compile(rf"^\s*{LIST_MARKER}\s+")


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", fold(text))


def question_terms(plan: QueryPlan) -> list[str]:
    """Content words of the question (folded), expansions included, question words dropped."""
    return [w for w in dict.fromkeys(_words(plan.search_text)) if w not in _QUESTION_WORDS and len(w) > 1 or w.isdigit()]


def _weights(terms: list[str], sentences: list[set[str]]) -> dict[str, float]:
    n = len(sentences) or 1
    return {t: math.log(1 + (n + 1) / (0.5 + sum(1 for s in sentences if t in s))) for t in terms}


_DATE_WORDS = ("ngay nao", "khi nao", "bao gio", "thoi han", "nam nao", "thoi diem", "hieu luc tu", "ky ngay")


_NUMBER = r"\d+(?:[.,]\d+)*"
_MONEY = rf"{_NUMBER} (?:trieu|ty|nghin ty|dong|nghin dong)"
# What "bao nhiêu <word>" counts, when the word is a unit or a countable noun; other words ("vốn", "thu
# nhập") name the thing measured, and any figure may answer.
_UNITS = {"phan": rf"{_NUMBER}\s*%|{_NUMBER} phan tram", "ty": _MONEY, "trieu": _MONEY, "tien": _MONEY,
          "dong": _MONEY, "nghin": rf"{_NUMBER} nghin", "tieu": rf"{_NUMBER} tieu chi", "chi": rf"{_NUMBER} chi tieu"}
_COUNTED = frozenset("xa huyen tinh thon ap ban lang ho nguoi lao san cau lop km ha lan nhom doan don cong "
                     "thanh quan phuong thi truong cho tram".split())


def _unit_pattern(question: str) -> re.Pattern[str] | None:
    """What the asked figure counts: "bao nhiêu xã" → "15 xã"; "bao nhiêu phần trăm" → "84,5%"."""
    counted = re.search(r"\b(?:bao nhieu|may)\s+([a-z]+)", fold(question))
    word = counted.group(1) if counted else ""
    if word in _UNITS:
        return re.compile(_UNITS[word])
    return re.compile(rf"\b{_NUMBER}(?: {_NUMBER})? {word}\b") if word in _COUNTED else None


def _plain_number(token: str) -> str:
    return next(iter(stated_numbers(token)), token)


def _mentions_year(sentence: str, year: int) -> bool:
    """False when the sentence is about other years only ("đến năm 2020" for a question on 2024)."""
    years = {int(y) for y in re.findall(r"(?<!\d)(?:19|20)\d\d(?!\d)", sentence)}
    spans = [(int(a), int(b)) for a, b in re.findall(r"((?:19|20)\d\d)\s*[-–]\s*((?:19|20)\d\d)", sentence)]
    return not years or year in years or any(a <= year <= b for a, b in spans)


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


def _overlap(a: str, b: str) -> bool:
    (a1, a2), (b1, b2) = ((int(p[:4]), int(p[-4:])) for p in (a, b))
    return a1 <= b2 and b1 <= a2


def _staleness(r: SearchResult, plan: QueryPlan, catalogue: Sequence[CatalogueEntry]) -> int:
    """How out of date a chunk is on the question's date (0 current; 2 superseded twice over)."""
    entry = entry_for(catalogue, r.number)
    if entry:
        if entry.number in plan.numbers:
            return 0
        # Asked about a date before a document took effect, or about a period it does not cover, that
        # document cannot be the answer.
        if plan.as_of_source != "today" and status_on(entry, plan.as_of, catalogue)[0] == NOT_YET:
            return 2
        if plan.period and entry.period and not _overlap(plan.period, entry.period):
            return 2
        return staleness(entry, plan.as_of, catalogue)
    # A chunk without its own catalogued number (a news page, a history note) is as old as the
    # documents it talks about, when all of them are old: e.g. a 2016-2020 income threshold.
    mentioned = [entry_for(catalogue, n) for n in resolve_numbers(r.text, fold(r.text), catalogue, {})]
    ages = [0 if e.number in plan.numbers else staleness(e, plan.as_of, catalogue) for e in mentioned if e]
    return min(ages) if ages else 0


def rank_sentences(plan: QueryPlan, results: Sequence[SearchResult],
                   catalogue: Sequence[CatalogueEntry]) -> list[Candidate]:
    """Every sentence of the results, best first."""
    spans = [(r, i, s, e) for i, r in enumerate(results) for s, e in split_sentences(r.text)
             if not (r.kind == "catalogue" and _card_meta_line(r.text, s))]
    bags = [set(_words(r.text[s:e])) for r, _, s, e in spans]
    terms = question_terms(plan)
    weights = _weights(terms, bags)
    total = sum(weights.values()) or 1.0
    pairs = list(zip(terms, terms[1:]))
    stale_of = {i: _staleness(r, plan, catalogue) for i, r in enumerate(results)}
    dates_count = any(w in fold(plan.text) for w in _DATE_WORDS)
    asked = supported_numbers([plan.text, *plan.numbers])  # "QĐ 318 … bao nhiêu": 318 is not the answer
    unit = _unit_pattern(plan.text)
    headings = [set(_words(f"{r.title or ''} {r.path} {r.number or ''}")) for r in results]
    chunks = [set(_words(r.text)) for r in results]
    # A place is usually named once per document (headline, letterhead): any retrieved chunk of the same
    # document counts as its context.
    doc_text: dict[str, str] = {}
    for r in results:
        doc_text[r.doc_id] = doc_text.get(r.doc_id, f"{r.title or ''} {r.issuer or ''}") + f" {r.path} {r.text}"
    entity_ok = [_entities_ok(plan, doc_text[r.doc_id], r.number, catalogue) for r in results]
    out = []
    for (r, rank, s, e), bag in zip(spans, bags):
        heading, chunk = headings[rank], chunks[rank]
        own = sum(w for t, w in weights.items() if t in bag) / total
        support = sum(w for t, w in weights.items() if t in bag or t in heading) / total
        near = sum(w for t, w in weights.items() if t in chunk or t in heading) / total
        sentence = " ".join(_words(r.text[s:e]))
        pair_share = sum(1 for a, b in pairs if f"{a} {b}" in sentence) / (len(pairs) or 1)
        plain = _LIST_MARK.sub("", r.text[s:e])  # the "2." of a list item is no figure
        quantity = _has_quantity(plain, dates_count, asked)
        focus = 0
        if unit is not None:  # "bao nhiêu xã": the figure must count communes ("15 xã"), not anything else
            found = unit.search(fold(r.text[s:e]))  # folding keeps offsets: one letter per letter
            quantity, focus = found is not None, found.start() if found else 0
        elif quantity:
            focus = next((m.start() for m in re.finditer(_NUMBER, r.text[s:e])
                          if _plain_number(m.group(0)) not in asked), 0)
        stale = stale_of[rank]
        score = (0.45 * own + 0.2 * support + 0.1 * near + 0.15 * pair_share + 0.1 / (1 + rank)
                 + ((0.25 if unit else 0.1) if plan.wants_quantity and quantity else 0.0)
                 - (0.05 if r.kind == "catalogue" else 0.0)
                 - (0.05 if len(r.text[s:e]) < 25 else 0.0) + (0.1 if r.number in plan.numbers else 0.0))
        fits_year = plan.year is None or _mentions_year(r.text[s:e], plan.year)
        out.append(Candidate(r, rank, s, e, support, score, quantity, entity_ok[rank] and fits_year, stale, focus))
    out.sort(key=lambda c: c.score, reverse=True)
    return out


def answers(c: Candidate, plan: QueryPlan) -> bool:
    """Whether a sentence answers the question by itself (or with its headings)."""
    # A sentence that is itself a question (an FAQ heading, a table of questions) answers nothing.
    return (c.support >= SUPPORT_MIN and c.entity_ok and c.stale < 2 and "?" not in c.quote
            and (c.has_quantity or not plan.wants_quantity))


def _label(r: SearchResult) -> str:
    if r.number:
        return f"{r.doc_type or 'Văn bản'} {r.number}"
    return _short((r.title or r.source.rsplit("/", 1)[-1]).strip(), 90)


def citation(n: int, c: Candidate) -> Citation:
    """The Citation of a candidate sentence."""
    r = c.result
    return Citation(n=n, document_id=r.doc_id, number=r.number, title=r.title or _label(r),
                    location=location_of(r.path, r.page), page=r.page, source=r.source, quote=c.quote,
                    score=round(r.score, 6), chunk_id=r.chunk_id)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " …"


def source_line(cit: Citation, with_quote: bool) -> str:
    """One line of the `Căn cứ:` list: "[n] number — title; location" (and the quote), kept chat-sized."""
    title = _short(cit.title, 100)  # the JSON citation keeps the full title and quote
    head = f"[{cit.n}] " + (f"{cit.number} — {title}" if cit.number else title)
    return f"{head}; {_short(cit.location, 60)}" + (f": “{_short(cit.quote, 200)}”" if with_quote else "")


def _notes(cands: Sequence[Candidate], plan: QueryPlan, catalogue: Sequence[CatalogueEntry]) -> list[str]:
    notes, seen = [], set()
    numbers = [c.result.number for c in cands]
    if plan.criterion:
        numbers.append(plan.criterion.decision)
    for number in numbers:
        entry = entry_for(catalogue, number)
        if entry and entry.number not in seen:
            seen.add(entry.number)
            if note := validity_note(entry, plan.as_of, catalogue):
                notes.append(note)
    return notes


Fetch = Callable[[str], Sequence[SearchResult]]


def _named_document(lead: Candidate, plan: QueryPlan, results: Sequence[SearchResult],
                    catalogue: Sequence[CatalogueEntry], fetch: Fetch | None) -> Candidate | None:
    """When the quote names another document (a news page citing a letter), that document's best sentence."""
    for number in resolve_numbers(lead.quote, fold(lead.quote), catalogue, {}):
        if number == lead.result.number or entry_for(catalogue, number) is None:
            continue
        pool = [r for r in results if r.number == number] or list(fetch(number) if fetch else [])
        ranked = sorted(rank_sentences(plan, pool, catalogue), key=lambda c: not answers(c, plan))
        if ranked:
            return ranked[0]
    return None


def extractive_answer(plan: QueryPlan, results: Sequence[SearchResult], catalogue: Sequence[CatalogueEntry],
                      fetch: Fetch | None = None) -> Answer:
    """Quote the best answering sentence(s) with citations, or say plainly that the documents do not answer.

    `fetch(number)` returns chunks of one document; it lets the answer also cite a document its quote names.
    """
    ranked = rank_sentences(plan, results, catalogue)
    good = [c for c in ranked if answers(c, plan)]
    if good:
        picked = [good[0]]
        second = _named_document(good[0], plan, results, catalogue, fetch) or next(
            (c for c in good[1:] if c.result.doc_id != good[0].result.doc_id and c.score >= 0.85 * good[0].score),
            None)
        picked += [second] if second else []
        cits = tuple(citation(i, c) for i, c in enumerate(picked, 1))
        lead = [f"Theo {_label(c.result)} ({cit.location}): “{cit.quote}” [{cit.n}]" for c, cit in zip(picked, cits)]
        notes = _notes(picked, plan, catalogue)
        parts = ["\n".join(lead)] + (["Lưu ý: " + " ".join(notes)] if notes else [])
        parts.append("Căn cứ:\n" + "\n".join(source_line(c, False) for c in cits))
        return Answer("\n\n".join(parts), True, cits, tuple(notes))
    return refusal(plan, ranked, catalogue)


def refusal(plan: QueryPlan, ranked: Sequence[Candidate], catalogue: Sequence[CatalogueEntry]) -> Answer:
    """"The documents do not say", the closest documents, and the document that governs the topic."""
    closest, seen = [], set()
    for c in ranked:
        if c.result.doc_id not in seen and c.stale < 2:
            seen.add(c.result.doc_id)
            closest.append(c)
        if len(closest) == 3:
            break
    what = "con số hoặc mức cụ thể" if plan.wants_quantity else "nội dung"
    lines = [f"Tài liệu hiện có chưa nêu {what} trả lời trực tiếp câu hỏi này."]
    governing = [e for e in (entry_for(catalogue, n) for n in plan.numbers) if e]
    if plan.criterion:  # a criterion question is governed by the decision that sets the criteria
        governing = [entry_for(catalogue, plan.criterion.decision)]
    governing = [e for e in governing if e] or governing_entries(question_terms(plan), plan.as_of, catalogue)
    if governing:
        lines.append("Văn bản quy định nội dung này: "
                     + "; ".join(governing_sentence(e, plan.as_of, catalogue) for e in governing) + ".")
    cits = tuple(citation(i, c) for i, c in enumerate(closest, 1))
    if cits:
        lines.append("Tài liệu gần nhất:\n" + "\n".join(source_line(c, True) for c in cits))
    return Answer("\n\n".join(lines), False, cits, ())
