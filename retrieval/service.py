"""Asking a question: check it, understand it, retrieve evidence, answer (LLM when configured, else extractive)."""

from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Sequence

from knowledge.cards import entry_text
from knowledge.catalogue import CatalogueEntry, entry_for
from knowledge.syllables import is_vietnamese_word
from retrieval.evidence import Answer
from retrieval.extractive import extractive_answer, rank_sentences, refusal, source_line
from retrieval.query import QueryPlan
from retrieval.search import MAX_QUERY_CHARS, Searcher, SearchResult
from retrieval.store import SearchFilter
from retrieval.validity import validity_note

EVIDENCE_K = 8


class BadQuestion(ValueError):
    """A question the assistant cannot take; `message` is Vietnamese for the officer, `code` for programs."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class NotReady(RuntimeError):
    """Nothing is indexed yet, so no question can be answered from documents."""


@dataclass(frozen=True)
class AskResult:
    """An answer with what was understood and how long it took."""

    answer: Answer
    plan: QueryPlan
    latency_ms: float
    mode: str


def check_question(question: object) -> str:
    """The question, NFC-normalised and trimmed; raises BadQuestion with a Vietnamese message."""
    if not isinstance(question, str):
        raise BadQuestion("not_text", "Câu hỏi phải là một đoạn văn bản.")
    text = unicodedata.normalize("NFC", question).strip()
    if not text:
        raise BadQuestion("empty", "Câu hỏi đang trống. Vui lòng nhập câu hỏi về chương trình nông thôn mới.")
    if len(text) > MAX_QUERY_CHARS:
        raise BadQuestion("too_long", f"Câu hỏi quá dài ({len(text)} ký tự, tối đa {MAX_QUERY_CHARS}). "
                                      "Vui lòng hỏi ngắn gọn, mỗi lần một ý.")
    words = re.findall(r"[^\W\d_]+", text)
    if not words:
        raise BadQuestion("no_words", "Câu hỏi chưa có chữ (chỉ có số, ký hiệu hoặc biểu tượng). "
                                      "Vui lòng nhập câu hỏi bằng tiếng Việt.")
    lower = [w for w in words if not w.isupper()]  # abbreviations (NTM, UBND…) are language-neutral
    if lower and sum(is_vietnamese_word(w) for w in lower) < 0.6 * len(lower):
        raise BadQuestion("not_vietnamese", "Trợ lý chỉ trả lời câu hỏi bằng tiếng Việt về các văn bản nông thôn "
                                            "mới. Vui lòng đặt câu hỏi bằng tiếng Việt.")
    return text


class AskService:
    """Answers questions from the index; one instance per process, shared by the CLI, the API and the bots."""

    def __init__(self, searcher: Searcher, catalogue: Sequence[CatalogueEntry], llm=None,
                 evidence_k: int = EVIDENCE_K) -> None:
        self.searcher, self.catalogue, self.llm, self.evidence_k = searcher, tuple(catalogue), llm, evidence_k

    def ask(self, question: object, *, as_of: date | None = None, mode: str = "hybrid",
            flt: SearchFilter | None = None, today: date | None = None) -> AskResult:
        """Answer one question; raises BadQuestion for unusable input and NotReady on an empty index."""
        started = time.perf_counter()
        text = check_question(question)
        if self.searcher.document_count == 0:
            raise NotReady("no documents are indexed yet")
        plan = self.searcher.understand(text, as_of=as_of, today=today)
        results = self.searcher.search(text, limit=self.evidence_k, mode=mode, flt=flt, plan=plan)
        answer = None

        def fetch(number: str) -> list[SearchResult]:
            return self.searcher.search(text, limit=2, mode=mode, flt=SearchFilter({"number": number}).narrowed(flt),
                                        plan=plan)

        if self.llm is not None and results:
            answer = self.llm.answer(plan.text, results, plan.as_of.isoformat(), self._catalogue_support(results))
            if answer is not None and not answer.answered:  # the model found no answer: say so, plainly
                answer = refusal(plan, rank_sentences(plan, results, self.catalogue), self.catalogue)
                answer = Answer(answer.text, False, answer.citations, answer.notes, "llm")
            elif answer is not None:
                answer = self._finish_llm_answer(answer, plan)
        answer = answer or extractive_answer(plan, results, self.catalogue, fetch)
        return AskResult(answer, plan, (time.perf_counter() - started) * 1000, mode)

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
