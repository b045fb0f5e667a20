"""The default answerer: quote the sentence(s) of the evidence that answer the question, with citations, or say
plainly that the documents do not answer (sentences are scored in `retrieval.ranking`).

Nothing is paraphrased: the answer is quotes plus fixed Vietnamese phrases and catalogue facts, so every
number it contains comes from a cited quote or the catalogue.
"""

from __future__ import annotations

from typing import Callable, Sequence

from knowledge.catalogue import CatalogueEntry, entry_for
from knowledge.text import fold
from retrieval.evidence import Answer, Citation, location_of
from retrieval.query import QueryPlan, resolve_numbers
from retrieval.ranking import UNUSABLE, Candidate, answers, question_terms, rank_sentences
from retrieval.search import SearchResult
from retrieval.validity import governing_entries, governing_sentence, validity_note

SECOND_SOURCE_SHARE = 0.85  # another document's answering sentence is cited too when it scores this close to the lead
CLOSEST_SOURCES = 3  # documents listed under "Tài liệu gần nhất" when the answer is a refusal
# Longest parts of a `Căn cứ:` line, so a citation stays one chat line (the JSON citation keeps everything).
LABEL_CHARS, TITLE_CHARS, LOCATION_CHARS, LINE_QUOTE_CHARS = 90, 100, 60, 200


def _label(r: SearchResult) -> str:
    if r.number:
        return f"{r.doc_type or 'Văn bản'} {r.number}"
    return _short((r.title or r.source.rsplit("/", 1)[-1]).strip(), LABEL_CHARS)


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
    title = _short(cit.title, TITLE_CHARS)
    head = f"[{cit.n}] " + (f"{cit.number} — {title}" if cit.number else title)
    quote = f": “{_short(cit.quote, LINE_QUOTE_CHARS)}”" if with_quote else ""
    return f"{head}; {_short(cit.location, LOCATION_CHARS)}{quote}"


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
            (c for c in good[1:] if c.result.doc_id != good[0].result.doc_id and c.score >= SECOND_SOURCE_SHARE * good[0].score),
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
        if c.result.doc_id not in seen and c.stale < UNUSABLE:
            seen.add(c.result.doc_id)
            closest.append(c)
        if len(closest) == CLOSEST_SOURCES:
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
