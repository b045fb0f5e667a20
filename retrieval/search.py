"""Search over the store: embed the question, query dense/sparse/hybrid, keep only active document versions."""

from __future__ import annotations

import time
import unicodedata
from dataclasses import dataclass

from retrieval.embedding import Embedder
from retrieval.sparse import query_vector
from retrieval.store import SearchFilter, VectorStore

MODES = ("hybrid", "dense", "sparse")
MAX_QUERY_CHARS = 2000


@dataclass(frozen=True)
class SearchResult:
    """One chunk found for a query, with what a reader needs to judge it."""

    score: float
    doc_id: str
    number: str | None
    title: str | None
    path: str
    page: int | None
    source: str
    text: str
    status: str | None
    chunk_id: str


class Searcher:
    """Holds the embedder, the store and the set of active document versions."""

    def __init__(self, store: VectorStore, embedder: Embedder, refresh_every: float | None = None) -> None:
        self.store, self.embedder = store, embedder
        # A shared Qdrant server can be written by other processes; re-read the registry now and then.
        self.refresh_every = refresh_every
        self._active: set[str] = set()
        self._loaded_at = 0.0
        self.refresh()

    def refresh(self) -> None:
        """Reload which document versions are live (after an ingest)."""
        self._active = {rec.version for rec in self.store.documents().values()}
        self._loaded_at = time.monotonic()

    @property
    def document_count(self) -> int:
        """Number of live documents."""
        return len(self._active)

    def search(self, query: str, limit: int = 5, mode: str = "hybrid",
               flt: SearchFilter | None = None) -> list[SearchResult]:
        """Top chunks for a query; raises ValueError on an empty query or an unknown mode."""
        query = unicodedata.normalize("NFC", query or "").strip()
        if not query:
            raise ValueError("the query is empty")
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
        query = query[:MAX_QUERY_CHARS]
        if self.refresh_every is not None and time.monotonic() - self._loaded_at > self.refresh_every:
            self.refresh()
        dense = self.embedder.embed_queries([query])[0] if mode in ("hybrid", "dense") else None
        sparse = query_vector(query) if mode in ("hybrid", "sparse") else None
        # Over-fetch: chunks of a version not yet switched on (interrupted ingest) are dropped here.
        hits = self.store.query(dense, sparse, limit * 2 + 5, flt)
        if self.refresh_every is not None and any(h.payload.get("doc_version") not in self._active for h in hits):
            self.refresh()  # another process may have switched a document to a version we do not know yet
        results = []
        for hit in hits:
            p = hit.payload
            if p.get("doc_version") not in self._active:
                continue
            results.append(SearchResult(hit.score, p.get("doc_id", ""), p.get("number"), p.get("title"),
                                        p.get("path", ""), p.get("page"), p.get("source", ""), p.get("text", ""),
                                        p.get("status"), hit.id))
            if len(results) == limit:
                break
        return results
