"""Asking a question: check it, understand it, retrieve evidence, answer (LLM when configured, else extractive)."""

from __future__ import annotations

import threading
import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from datetime import date
from typing import Sequence

from knowledge.admin_units import AdminUnits
from knowledge.cards import card_id, entry_text
from knowledge.catalogue import CatalogueEntry, entry_for
from knowledge.criteria import CriteriaTable
from knowledge.text import fold
from knowledge.unit_mentions import mentions
from retrieval.criteria_answers import criteria_answer
from retrieval.criteria_asks import covers, default_period, read_criteria_ask
from retrieval.doc_facts import CARD_LABEL
from retrieval.evidence import Answer
from retrieval.extractive import extractive_answer, refusal, source_line
from retrieval.gate import AnswerGate
from retrieval.ranking import rank_sentences
from retrieval.query import QueryPlan
from retrieval.question import check_question
from retrieval.search import Searcher, SearchResult
from retrieval.store import SearchFilter
from retrieval.unit_answers import STATUS_QUESTIONS, is_unit_question, unit_answer, unit_note, with_units
from retrieval.validity import validity_note

EVIDENCE_K = 8  # chunks retrieved as evidence for one question
NAMED_DOCUMENT_K = 2  # chunks fetched of a document the lead quote names, when none was retrieved
ASK_EVIDENCE_K = 6  # chunks retrieved for each ask of a message with several, searched with the ask's own words
CARD_K = 3  # chunks of a document card read for an ask about the document itself (a card is 1-2 chunks)
MERGE_QUOTES_KEPT = 64  # asked dates whose merge-status quotes are kept (cleared when full; a few bytes each)


class NotReady(RuntimeError):
    """Nothing is indexed yet, so no question can be answered from documents."""


@dataclass(frozen=True)
class AskResult:
    """An answer with what was understood and how long it took."""

    answer: Answer
    plan: QueryPlan
    latency_ms: float
    mode: str


class AskService:
    """Answers questions from the index; one instance per process, shared by the CLI, the API and the bots."""

    def __init__(self, searcher: Searcher, catalogue: Sequence[CatalogueEntry], llm=None,
                 evidence_k: int = EVIDENCE_K, units: AdminUnits | None = None,
                 criteria: CriteriaTable | None = None, gate: AnswerGate | None = None) -> None:
        self.searcher, self.catalogue, self.llm, self.evidence_k = searcher, tuple(catalogue), llm, evidence_k
        self.units = units  # read only once loaded (Services.warm_up); without it no unit is recognised
        self.criteria = criteria  # the criteria table; without it criteria questions go to the documents
        self._merge_quotes: dict = {}  # (date, filter, live versions) → quotes on NTM status after a merge
        self._merge_lock = threading.Lock()
        # answers computed at once, and how many may wait (Overloaded beyond); unbounded without a gate
        self.gate: AbstractContextManager = gate if gate is not None else nullcontext()

    def ask(self, question: object, *, as_of: date | None = None, mode: str = "hybrid",
            flt: SearchFilter | None = None, today: date | None = None) -> AskResult:
        """Answer one question; raises BadQuestion for unusable input, NotReady on an empty index and Overloaded
        (retrieval.gate) at once when more questions wait than the gate allows."""
        started = time.perf_counter()  # the reported latency includes the wait for a slot
        text = check_question(question)  # normalised and bounded here, once (a bad question takes no slot)
        with self.gate:
            return self._ask(question, text, started, as_of, mode, flt, today)

    def _ask(self, question: object, text: str, started: float, as_of: date | None, mode: str,
             flt: SearchFilter | None, today: date | None) -> AskResult:
        if self.searcher.document_count == 0:
            raise NotReady("no documents are indexed yet")
        plan = self.searcher.plan(text, as_of=as_of, today=today, original=question)
        found = mentions(self.units, text) if self.units is not None and self.units.loaded else []
        if found:  # search the other era's names too: documents before 2025 use the old ones
            plan = with_units(plan, found, self.units)
        table_ask = self._criteria_ask(plan)  # answered from the table: only the cards are searched
        subs = [sub for _, sub in plan.asks] if len(plan.asks) > 1 and table_ask is None else []
        # the message and each of its asks, embedded in one call; the named-document searches below reuse them
        vectors, *ask_vectors = self.searcher.encode_many([plan, *subs], mode)

        def cards(entry: CatalogueEntry) -> list[SearchResult]:
            return self.searcher.retrieve(plan, vectors, limit=CARD_K, flt=SearchFilter({"doc_id": card_id(entry)}))

        if table_ask is not None:
            answer = criteria_answer(table_ask, plan.folded or plan.text, plan.as_of, self.catalogue, cards,
                                     self.criteria, self._passage)
            return AskResult(answer, plan, (time.perf_counter() - started) * 1000, mode)
        results = self.searcher.retrieve(plan, vectors, limit=self.evidence_k, flt=flt)
        per_ask = [self.searcher.retrieve(sub, v, limit=ASK_EVIDENCE_K, flt=flt) for sub, v in zip(subs, ask_vectors)]
        answer = None

        def fetch(number: str) -> list[SearchResult]:
            return self.searcher.retrieve(plan, vectors, limit=NAMED_DOCUMENT_K,
                                          flt=SearchFilter({"number": number}).narrowed(flt))
        if is_unit_question(plan, found):
            about = extractive_answer(plan, results, self.catalogue, fetch, cards, per_ask or None)
            # a year in the message ("sáp nhập năm 2025") names the event, not the date the documents are read at
            when = plan.as_of if plan.as_of_source == "request" else (today or date.today())
            answer = unit_answer(plan, found, self.units, self.catalogue, cards,
                                 self._merge_status(replace(plan, as_of=when), flt),
                                 [c for c in about.citations if c.location != CARD_LABEL] if about.answered else [],
                                 when)
            return AskResult(answer, plan, (time.perf_counter() - started) * 1000, mode)
        if self.llm is not None and results:
            evidence = list({r.chunk_id: r for r in [*results, *(r for rs in per_ask for r in rs)]}.values())
            asked = plan.text if not subs else plan.text + "\n(Các ý cần trả lời: " + "; ".join(
                f"{i}) {a.text}" for i, (a, _) in enumerate(plan.asks, 1)) + ")"
            answer = self.llm.answer(asked, evidence, plan.as_of.isoformat(), self._catalogue_support(evidence))
            if answer is not None and not answer.answered:  # the model found no answer: say so, plainly
                answer = refusal(plan, rank_sentences(plan, results, self.catalogue), self.catalogue)
                answer = Answer(answer.text, False, answer.citations, answer.notes, "llm")
            elif answer is not None:
                answer = self._finish_llm_answer(answer, plan)
        answer = answer or extractive_answer(plan, results, self.catalogue, fetch, cards, per_ask or None)
        if found and answer.answered:  # the answer shows the unit's names in both eras
            answer = Answer(answer.text + unit_note(found, self.units), True, answer.citations, answer.notes,
                            answer.answerer)
        return AskResult(answer, plan, (time.perf_counter() - started) * 1000, mode)

    def _criteria_ask(self, plan: QueryPlan):
        """The criteria-table ask of a message, read with the period its criterion number or date points at; a
        message mixing a criteria ask with others is answered ask by ask from the documents instead."""
        if self.criteria is None:
            return None
        decision = entry_for(self.catalogue, plan.criterion.decision) if plan.criterion else None
        period = decision.period if decision and decision.period else default_period(self.catalogue, plan.as_of)
        table_ask = read_criteria_ask(plan.folded or fold(plan.text), self.criteria, period)
        if table_ask is not None and len(plan.asks) > 1 and \
                not all(covers(fold(ask.text), table_ask) for ask, _ in plan.asks):
            return None
        return table_ask

    def _passage(self, words: str, corpus_file: str) -> SearchResult | None:
        """A chunk of one corpus file holding the given words (to quote a fact the criteria table attributes)."""
        sub = self.searcher.plan(words)
        found = self.searcher.retrieve(sub, self.searcher.encode_many([sub])[0], limit=self.evidence_k)
        return next((r for r in found if (r.source or "").endswith(corpus_file)), None)

    def _merge_status(self, plan: QueryPlan, flt: SearchFilter | None) -> list:
        """Quoted passages on keeping or re-assessing NTM status after a merge, on the asked date (the same for
        every unit question until the index or the date changes, so kept)."""
        key = (plan.as_of, repr(flt), self.searcher.live_versions)
        quotes = self._merge_quotes.get(key)
        if quotes is None:
            quotes = self._merge_status_now(plan, flt)
            with self._merge_lock:  # requests are answered in threads
                if len(self._merge_quotes) >= MERGE_QUOTES_KEPT:
                    self._merge_quotes.clear()
                self._merge_quotes[key] = quotes
        return quotes

    def _merge_status_now(self, plan: QueryPlan, flt: SearchFilter | None) -> list:
        subs = [self.searcher.plan(q, as_of=plan.as_of) for q in STATUS_QUESTIONS]
        quotes = []
        for sub, vectors in zip(subs, self.searcher.encode_many(subs)):
            answer = extractive_answer(sub, self.searcher.retrieve(sub, vectors, limit=self.evidence_k, flt=flt),
                                       self.catalogue)
            quotes += [c for c in answer.citations if answer.answered and c.location != CARD_LABEL]
        return quotes

    def _catalogue_support(self, results: Sequence[SearchResult]) -> list[str]:
        entries = [entry_for(self.catalogue, r.number) for r in results]
        return [entry_text(e, self.catalogue) for e in dict.fromkeys(e for e in entries if e)]

    def _finish_llm_answer(self, answer: Answer, plan: QueryPlan) -> Answer:
        """The model's verified sentences, then validity notes and the `Căn cứ:` list, as extractive answers have."""
        notes = []
        for number in dict.fromkeys(c.number for c in answer.citations):
            entry = entry_for(self.catalogue, number)
            note = entry and validity_note(entry, plan.as_of, self.catalogue)
            if note:
                notes.append(note)
        text = answer.text + ("\n\nLưu ý: " + " ".join(notes) if notes else "")
        text += "\n\nCăn cứ:\n" + "\n".join(source_line(c, True) for c in answer.citations)
        return Answer(text, True, answer.citations, tuple(notes), answer.answerer)
