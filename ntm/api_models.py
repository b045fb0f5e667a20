"""Pydantic models of the HTTP API and the `ntm ask --json` output (the edge; dataclasses inside)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from retrieval.filters import Filters
from retrieval.question import QUESTION_SCHEMA
from retrieval.service import AskResult
from retrieval.sources import public_source


class SearchHit(BaseModel):
    """One chunk in a search response (the API's view of retrieval.search.SearchResult)."""

    score: float
    doc_id: str
    number: str | None
    title: str | None
    path: str
    page: int | None
    source: str
    status: str | None
    text: str


class SearchResponse(BaseModel):
    """Response of GET /api/search."""

    query: str
    mode: str
    results: list[SearchHit]
    latency_ms: float


class AskFilters(BaseModel):
    """Optional narrowing of the evidence; an unknown key or a value nothing matches is a 422."""

    model_config = ConfigDict(extra="forbid")

    document: str | None = Field(None, description="Document number in any spelling (\"cv 267\") or a document id")
    doc_type: str | None = Field(None, description="Quyết định, Công văn, Kế hoạch, …")
    issuer: str | None = Field(None, description="Issuing body, as listed by /api/documents")
    period: str | None = Field(None, description="YYYY-YYYY: documents signed in those years",
                               json_schema_extra={"pattern": r"^\s*\d{4}\s*[-–]\s*\d{4}\s*$"})
    status: str | None = Field(None, description="in_force, amended, replaced, expired, guidance, local_plan, unknown")
    year: int | None = Field(None, description="Year the document was signed")

    def to_filters(self) -> Filters:
        """The internal value object."""
        return Filters(**self.model_dump())


class AskRequest(BaseModel):
    """Body of POST /api/ask."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(..., description="The question, in Vietnamese (with or without diacritics); a blank, "
                                           "too long or non-Vietnamese one is refused with a 422 and a Vietnamese "
                                           "reason", json_schema_extra=QUESTION_SCHEMA)
    filters: AskFilters | None = None
    as_of: date | None = Field(None, description="Answer as of this date (default: dates named in the question, "
                                                 "else today)")
    mode: Literal["hybrid", "dense", "sparse"] = "hybrid"


class CitationOut(BaseModel):
    """One numbered citation."""

    n: int
    document_id: str
    number: str | None
    title: str
    location: str
    page: int | None
    source: str
    quote: str
    score: float


class AskResponse(BaseModel):
    """An answer: text to show, whether the documents answer it, citations, the date it holds for, time taken."""

    answer: str
    answered: bool
    citations: list[CitationOut]
    as_of: str
    latency_ms: float

    @classmethod
    def from_result(cls, result: AskResult, source_root: str | None = None) -> "AskResponse":
        """Build from the service's result; for public responses, sources relative to `source_root` (never an
        absolute server path); None keeps them whole (the operator's own `ntm ask --json` and eval)."""
        a = result.answer
        cits = [CitationOut.model_validate(c, from_attributes=True) for c in a.citations]
        if source_root is not None:
            cits = [c.model_copy(update={"source": public_source(c.source, source_root)}) for c in cits]
        return cls(answer=a.text, answered=a.answered, citations=cits, as_of=result.plan.as_of.isoformat(),
                   latency_ms=round(result.latency_ms, 1))


class ErrorResponse(BaseModel):
    """Every 4xx/5xx body: a message to show, and a code for programs."""

    detail: str
    code: str


class DocumentOut(BaseModel):
    """One indexed document."""

    doc_id: str
    source: str
    chunks: int
    number: str | None = None
    title: str | None = None
    doc_type: str | None = None
    issuer: str | None = None
    signed_date: str | None = None
    status: str | None = None
    kind: str | None = None


class DocumentDetail(DocumentOut):
    """One document with what the catalogue knows about it (status today, what replaced it)."""

    status_today: str | None = None
    status_note: str | None = None
    replaced_by: list[str] = []
    amended_by: list[str] = []
    catalogue_id: str | None = None
