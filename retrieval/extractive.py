"""The default answerer: for each ask of the message, quote the evidence unit that answers it (or the catalogue
fact, for an ask about a document itself), with citations; say plainly which asks the documents do not answer.

Nothing is paraphrased: the answer is quotes plus fixed Vietnamese phrases and catalogue facts, so every
number it contains comes from a cited quote or the catalogue. Units are scored in `retrieval.ranking`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Callable, Sequence

from knowledge.catalogue import CatalogueEntry, entry_for
from knowledge.dates import vn_date
from knowledge.text import fold, folded_words, without_markup
from retrieval.asks import Ask, split_asks
from retrieval.doc_facts import CARD_LABEL, DocFact, doc_fact, target_entries
from retrieval.evidence import Answer, Citation, location_of, stated_numbers
from retrieval.query import QueryPlan, resolve_numbers
from retrieval.ranking import UNUSABLE, Candidate, answers, question_terms, rank_sentences
from retrieval.search import SearchResult
from retrieval.validity import governing_entries, governing_sentence, validity_note

CLOSEST_SOURCES = 3  # documents listed under "Tài liệu gần nhất" when the answer is a refusal
SECOND_SOURCE_SHARE = 0.85  # another document's answering unit this close to the lead's score may be cited too...
FOCUS_MIN = 0.5  # share of an ask's own distinctive words its quote (with headings) must hold, in a multi-ask message
# Longest parts of a `Căn cứ:` line, so a citation stays one chat line (the JSON citation keeps everything).
LABEL_CHARS, TITLE_CHARS, LOCATION_CHARS, LINE_QUOTE_CHARS = 90, 100, 60, 200

Fetch = Callable[[str], Sequence[SearchResult]]  # chunks of one document, by number
Cards = Callable[[CatalogueEntry], Sequence[SearchResult]]  # the card chunks of a catalogue entry


def _label(r: SearchResult) -> str:
    if r.number:
        return f"{r.doc_type or 'Văn bản'} {r.number}"
    return _short(without_markup(r.title or r.source.rsplit("/", 1)[-1]).strip(), LABEL_CHARS)


def citation(n: int, c: Candidate) -> Citation:
    """The Citation of a candidate sentence."""
    r = c.result
    where = CARD_LABEL if r.kind == "catalogue" else location_of(r.path, r.page)  # a card is our summary: say so
    return Citation.of(n, r, r.title or _label(r), where, c.quote, r.page)


def _card_citation(n: int, fact: DocFact, plan: QueryPlan, quote: str) -> Citation:
    r = fact.card
    where = f"{CARD_LABEL}, tình trạng tính đến {vn_date(plan.as_of.isoformat())}"
    return Citation.of(n, r, r.title or _label(r), where, quote)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " …"


def source_line(cit: Citation, with_quote: bool) -> str:
    """One line of the `Căn cứ:` list: "[n] number — title; location" (and the quote), kept chat-sized."""
    title = _short(cit.title, TITLE_CHARS)
    head = f"[{cit.n}] " + (f"{cit.number} — {title}" if cit.number else title)
    quote = f": “{_short(cit.quote, LINE_QUOTE_CHARS)}”" if with_quote else ""
    return f"{head}; {_short(cit.location, LOCATION_CHARS)}{quote}"


def _notes(numbers: Sequence[str | None], plan: QueryPlan, catalogue: Sequence[CatalogueEntry]) -> list[str]:
    notes, seen = [], set()
    numbers = [*numbers, plan.criterion.decision] if plan.criterion else list(numbers)
    for number in numbers:
        entry = entry_for(catalogue, number)
        if entry and entry.number not in seen:
            seen.add(entry.number)
            if note := validity_note(entry, plan.as_of, catalogue):
                notes.append(note)
    return notes


def _named_document(lead: Candidate, plan: QueryPlan, results: Sequence[SearchResult],
                    catalogue: Sequence[CatalogueEntry], fetch: Fetch | None, any_unit: bool) -> Candidate | None:
    """When the quote names another document (a news page citing a letter), that document's answering sentence
    (`any_unit`: its best sentence, for an ask of which document, which that document answers by existing)."""
    for number in resolve_numbers(lead.quote, fold(lead.quote), catalogue, {}):
        if number == lead.result.number or entry_for(catalogue, number) is None:
            continue
        pool = [r for r in results if r.number == number] or list(fetch(number) if fetch else [])
        ranked = sorted(rank_sentences(plan, pool, catalogue), key=lambda c: not answers(c, plan))
        if ranked and (any_unit or answers(ranked[0], plan)):
            return ranked[0]
    return None


@dataclass(frozen=True)
class _Finding:
    """What answers one ask: a quoted unit, a catalogue fact, or nothing."""

    ask: Ask
    plan: QueryPlan
    unit: Candidate | None = None
    fact: DocFact | None = None
    ranked: tuple[Candidate, ...] = ()  # the ask's evidence units, best first (reused, not ranked again)


def _distinctive(ask: Ask, asks: Sequence[Ask]) -> set[str]:
    others = {t for a in asks if a is not ask for t in a.own_terms}
    return {t for t in ask.own_terms if t not in others}


def _about(c: Candidate, words: set[str]) -> bool:
    """Whether a unit (with its headings) holds enough of an ask's own words to answer that ask and not another."""
    if not words:
        return True
    r = c.result
    bag = set(re.findall(r"[^\W_]+", fold(f"{r.text[c.start:c.end]} {r.title or ''} {r.path}")))
    return sum(1 for w in words if w in bag) >= FOCUS_MIN * len(words)


def _fact(ask: Ask, plan: QueryPlan, catalogue: Sequence[CatalogueEntry], cards: Cards | None) -> DocFact | None:
    for entry in target_entries(ask, plan, catalogue):
        fact = doc_fact(ask, plan, entry, catalogue, cards(entry) if cards else ())
        if fact is not None and fact.card is not None:
            return fact
    return None


def _quantities(quote: str) -> int:
    """How many figures (not dates or document numbers) a quote states."""
    return sum(1 for x in stated_numbers(quote) if x[:1].isdigit() and "/" not in x and "-" not in x)


def _find(plan: QueryPlan, results: Sequence[SearchResult], catalogue: Sequence[CatalogueEntry],
          cards: Cards | None, per_ask: Sequence[Sequence[SearchResult]] | None) -> list[_Finding]:
    asks = [a for a, _ in plan.asks]
    out, taken = [], set()
    for i, (ask, sub) in enumerate(plan.asks):
        evidence = results
        if per_ask:  # the ask's own search first (its order is the ask's relevance), then the message's
            own = {r.chunk_id for r in per_ask[i]}
            evidence = [*per_ask[i], *(r for r in results if r.chunk_id not in own)]
        if (fact := _fact(ask, sub, catalogue, cards)) is not None:  # an empty field is said so, never guessed
            out.append(_Finding(ask, sub, fact=fact))
            continue
        words = _distinctive(ask, asks) if len(asks) > 1 else set()
        ranked = tuple(rank_sentences(sub, evidence, catalogue))
        good = [c for c in ranked if answers(c, sub) and _about(c, words)]
        # a unit already quoted for an earlier ask that answers this one too is referred to, not repeated; one
        # figure cannot answer two asks for figures
        reusable = [c for c in good if (c.result.chunk_id, c.start) in taken
                    and (ask.kind != "figure" or _quantities(c.quote) >= 2)]
        unit = reusable[0] if reusable else next((c for c in good if (c.result.chunk_id, c.start) not in taken),
                                                 good[0] if good else None)
        if unit is not None:
            taken.add((unit.result.chunk_id, unit.start))
        out.append(_Finding(ask, sub, unit=unit, ranked=ranked))
    return out


def extractive_answer(plan: QueryPlan, results: Sequence[SearchResult], catalogue: Sequence[CatalogueEntry],
                      fetch: Fetch | None = None, cards: Cards | None = None,
                      per_ask: Sequence[Sequence[SearchResult]] | None = None) -> Answer:
    """One quote (or catalogue fact) per ask, with citations; a plain refusal when no ask is answered.

    `fetch(number)` returns chunks of one document (the answer may cite a document its quote names);
    `cards(entry)` the card chunks of a catalogue entry (asks about a document itself are answered from it);
    `per_ask[i]` the chunks retrieved for ask i alone, when the message has several.
    """
    if not plan.asks:  # a plan built by hand: the message is one ask
        plan = replace(plan, asks=((split_asks(plan.text)[0], plan),))
    findings = _find(plan, results, catalogue, cards, per_ask)
    if not any(f.unit or (f.fact and f.fact.recorded) for f in findings):
        ranked = findings[0].ranked if len(findings) == 1 and findings[0].ranked else rank_sentences(plan, results,
                                                                                                    catalogue)
        return refusal(plan, ranked, catalogue, findings)
    if len(findings) == 1 and findings[0].unit is not None:  # one ask: the quote, and the document it names
        kept, extra = _with_named_document(findings[0], results, catalogue, fetch)
        return _compose(plan, kept, extra or _second_source(kept[0], results, catalogue), catalogue)
    return _compose(plan, findings, [], catalogue)


def _second_source(lead: _Finding, results: Sequence[SearchResult],
                   catalogue: Sequence[CatalogueEntry]) -> list[Candidate]:
    """...but only when it supplies what the lead lacks: a figure the lead does not state, or asked words it lacks."""
    good = [c for c in lead.ranked if answers(c, lead.plan)]
    first = lead.unit
    words = set(question_terms(lead.plan))
    have = set(folded_words(first.quote))
    for c in good:
        if c.result.doc_id == first.result.doc_id or c.score < SECOND_SOURCE_SHARE * first.score:
            continue
        adds_figure = lead.plan.wants_quantity and bool(stated_numbers(c.quote) - stated_numbers(first.quote))
        adds_words = bool((words & set(folded_words(c.quote))) - have)
        return [c] if adds_figure or adds_words else []
    return []


def _with_named_document(lead: _Finding, results: Sequence[SearchResult], catalogue: Sequence[CatalogueEntry],
                         fetch: Fetch | None) -> tuple[list[_Finding], list[Candidate]]:
    """A quote from a page citing a document, and the cited document's own answering unit: both when the ask is
    which document, or the document adds a figure; the document alone when it states every figure of the page's
    quote; the page alone otherwise."""
    named = _named_document(lead.unit, lead.plan, results, catalogue, fetch, lead.ask.kind == "document")
    if named is None:
        return [lead], []
    page, own = stated_numbers(lead.unit.quote), stated_numbers(named.quote)
    if lead.ask.kind == "document":
        return [lead], [named]
    if page <= own:
        return [replace(lead, unit=named)], []
    return ([lead], [named]) if own - page else ([lead], [])


def _compose(plan: QueryPlan, findings: Sequence[_Finding], extra: Sequence[Candidate],
             catalogue: Sequence[CatalogueEntry]) -> Answer:
    """The answer text: a line per ask (quote, fact, or what the documents do not say), notes, `Căn cứ:`."""
    cits: list[Citation] = []
    by_key: dict[tuple[str, int] | str, Citation] = {}
    lines, numbers, stated = [], [], set()
    many = len(findings) > 1

    def cite(key, make) -> Citation:
        if key not in by_key:
            by_key[key] = make(len(cits) + 1)
            cits.append(by_key[key])
        return by_key[key]

    card_lines: dict[str, list[str]] = {}  # a card is cited once, quoting every line the answer states from it
    for f in findings:
        if f.fact is not None and f.fact.recorded:
            lines_of = card_lines.setdefault(f.fact.card.doc_id, [])
            lines_of += [f.fact.quote] if f.fact.quote not in lines_of else []
    for f in findings:
        head = f"• {f.ask.text}: " if many else ""  # a bullet, not "1.": the answer states no number of its own
        if f.fact is not None and f.fact.recorded:
            quote = " ".join(card_lines[f.fact.card.doc_id])
            cit = cite(f.fact.card.doc_id, lambda n, f=f, q=quote: _card_citation(n, f.fact, f.plan, q))
            lines.append(f"{head}{f.fact.text} (theo thẻ văn bản của hệ thống) [{cit.n}]")
            stated.add(f.fact.card.number)
        elif f.unit is not None:
            key = (f.unit.result.chunk_id, f.unit.start)
            seen = key in by_key
            cit = cite(key, lambda n, f=f: citation(n, f.unit))
            body = f"xem trích dẫn [{cit.n}] ở trên." if seen else \
                f"Theo {_label(f.unit.result)} ({cit.location}): “{cit.quote}” [{cit.n}]"
            lines.append(head + body)
            numbers.append(f.unit.result.number)
        else:
            missing = f.fact.text if f.fact is not None else "Tài liệu hiện có chưa nêu nội dung trả lời ý này."
            lines.append(f"{head}{missing}")
    for c in extra:
        cit = cite((c.result.chunk_id, c.start), lambda n, c=c: citation(n, c))
        lines.append(f"Theo {_label(c.result)} ({cit.location}): “{cit.quote}” [{cit.n}]")
        numbers.append(c.result.number)
    if plan.extra_asks:
        lines.append("Tin nhắn có nhiều câu hỏi; các câu sau chưa được trả lời, vui lòng gửi riêng: "
                     + "; ".join(f"“{a}”" for a in plan.extra_asks) + ".")
    notes = _notes([n for n in numbers if n not in stated], plan, catalogue)
    parts = ["\n".join(lines)] + (["Lưu ý: " + " ".join(notes)] if notes else [])
    parts.append("Căn cứ:\n" + "\n".join(source_line(c, False) for c in cits))
    return Answer("\n\n".join(parts), True, tuple(cits), tuple(notes))


def refusal(plan: QueryPlan, ranked: Sequence[Candidate], catalogue: Sequence[CatalogueEntry],
            findings: Sequence[_Finding] = ()) -> Answer:
    """"The documents do not say", the closest documents, and the document that governs the topic."""
    closest, seen = [], set()
    for c in ranked:
        if c.result.doc_id not in seen and c.stale < UNUSABLE:
            seen.add(c.result.doc_id)
            closest.append(c)
        if len(closest) == CLOSEST_SOURCES:
            break
    what = "con số hoặc mức cụ thể" if plan.wants_quantity else "nội dung"
    lines = [f"Tài liệu hiện có chưa nêu {what} trả lời trực tiếp câu hỏi này."]
    lines += [f.fact.text for f in findings if f.fact is not None and not f.fact.recorded]
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
