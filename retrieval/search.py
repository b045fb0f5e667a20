"""Search over the store: embed the question, query dense/sparse/hybrid, keep only active document versions."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from typing import Sequence

import numpy as np

from knowledge.catalogue import CatalogueEntry
from knowledge.programme import on_programme
from retrieval.sources import source_root
from retrieval.embedding import Embedder
from retrieval.filters import BadFilter, FilterChoices, Filters, to_search_filter
from retrieval.hit_order import OFF_PROGRAMME_WEIGHT, is_copy, weigh_programme
from retrieval.fusion import dbsf_fuse, rrf_fuse
from retrieval.query import QueryPlan, parse_question
from retrieval.question import MAX_QUERY_CHARS, normalise_question
from retrieval.sparse import SparseVec, query_vector
from retrieval.store import Hit, SearchFilter, VectorStore, prefetch_depth

MODES = ("hybrid", "dense", "sparse")
# "dbsf": one Qdrant query, prefetches fused by distribution-based score fusion (best measured, stable);
# "rrf": RRF computed here from the engine's ranked lists, deterministic tie-break; "engine-rrf": the
# engine's RRF, which breaks exact ties in no fixed order. Numbers: eval/bench_retrieval.py, README.
FUSIONS = ("dbsf", "rrf", "engine-rrf")
# When general pages share the index, the programme's best chunks per retriever join the candidates even below
# the global depth: enough for the few places an answer reads (5-10, at most two chunks a document).
PROGRAMME_DEPTH = 20


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
    kind: str = "document"  # "catalogue" for the knowledge catalogue's document cards
    doc_type: str | None = None
    issuer: str | None = None


@dataclass(frozen=True)
class QueryVectors:
    """A question's search vectors, computed once per question and reused by every search it needs."""

    dense: np.ndarray | None
    sparse: SparseVec | None


class Searcher:
    """Holds the embedder, the store, the catalogue and the set of active document versions.

    Construction touches nothing; `warm_up()` (or the first search) reads which versions are live.
    """

    def __init__(self, store: VectorStore, embedder: Embedder, refresh_every: float | None = None,
                 catalogue: Sequence[CatalogueEntry] = (), abbreviations: dict[str, str] | None = None,
                 per_document: int = 2, fusion: str = "dbsf", off_programme_weight: float = OFF_PROGRAMME_WEIGHT
                 ) -> None:
        if fusion not in FUSIONS:
            raise ValueError(f"unknown fusion {fusion!r}; use one of {', '.join(FUSIONS)}")
        self.fusion = fusion
        self.store, self.embedder = store, embedder
        self.catalogue, self.abbreviations = tuple(catalogue), abbreviations or {}
        # At most this many chunks of one document in a result list, so a long document (or a document
        # and its catalogue card) does not push every other source out of the top results.
        self.per_document = per_document
        self.off_programme_weight = off_programme_weight
        self._off_programme: set[str] = set()  # documents outside the NTM programme (knowledge.programme)
        self._programme: tuple[str, ...] = ()  # ...and those in it (a filter's value, so sorted once)
        self._numbers: set[str] = set()
        # A shared Qdrant server can be written by other processes; re-read the registry now and then.
        self.refresh_every = refresh_every
        self._active: set[str] = set()
        self._choices = FilterChoices()
        self._loaded_at: float | None = None  # None until the registry has been read

    def warm_up(self) -> None:
        """Read the registry once (idempotent); `refresh()` reads it again."""
        if self._loaded_at is None:
            self.refresh()

    def refresh(self) -> None:
        """Reload which document versions are live and what filters may choose from (after an ingest)."""
        records = self.store.documents()
        self._active = {rec.version for rec in records.values()}
        self._numbers = {rec.meta.get("number") for rec in records.values() if rec.meta.get("number")}
        belongs = {doc_id: on_programme(rec.meta, self.catalogue) for doc_id, rec in records.items()}
        self._off_programme = {doc_id for doc_id, yes in belongs.items() if yes is False}
        self._programme = tuple(sorted(doc_id for doc_id, yes in belongs.items() if yes))
        self._choices = FilterChoices.of(records)
        self._source_root = source_root(rec.source for rec in records.values())
        self._loaded_at = time.monotonic()

    @property
    def live_versions(self) -> frozenset[str]:
        """The document versions search returns now (changes with every ingest): a cache key for answers."""
        return frozenset(self._active)

    @property
    def source_root(self) -> str:
        """The folder holding every indexed file: public responses show sources relative to it."""
        self.warm_up()
        return self._source_root

    @property
    def document_count(self) -> int:
        """Number of live documents."""
        self.warm_up()
        return len(self._active)

    def _mixed(self, flt: SearchFilter | None) -> bool:
        """True when programme documents share the index with general pages and the programme prior applies: DBSF
        (where the weight was measured), not a search pinned to one document (a card, a named document)."""
        pinned = flt is not None and ("doc_id" in flt.must or "number" in flt.must)
        return bool(self._off_programme and self._programme and self.off_programme_weight != 1.0
                    and self.fusion == "dbsf" and not pinned)

    def _query(self, dense, sparse, limit: int, flt: SearchFilter | None, boost: SearchFilter | None,
               mixed: bool) -> list:
        if mixed:  # decided once per search by `_mixed`: the fusion and the weighing go together
            return self._with_programme(dense, sparse, limit, flt, boost)
        if self.fusion != "rrf" or (boost is None and (dense is None or sparse is None)):
            return self.store.query(dense, sparse, limit, flt, boost, fusion=self.fusion.replace("engine-", ""))
        depth = prefetch_depth(limit)
        filters = [flt] + ([boost.narrowed(flt)] if boost is not None else [])
        lists = [self.store.query(d, s, depth, f) for f in filters
                 for d, s in ((None, sparse), (dense, None)) if (d if s is None else s) is not None]
        return rrf_fuse(lists, limit)

    def _with_programme(self, dense, sparse, limit: int, flt: SearchFilter | None,
                        boost: SearchFilter | None) -> list:
        """The engine's DBSF computed here, so that the programme's best chunks join the candidates on the global
        lists' scale even when general pages fill the global depth."""
        depth = prefetch_depth(limit)
        searches = [(d, s) for d, s in ((dense, None), (None, sparse)) if (d if s is None else s) is not None]
        lists = [self.store.query(d, s, depth, flt, payload=False) for d, s in searches]
        programme = SearchFilter({"doc_id": list(self._programme)}).narrowed(flt)
        joining = [self.store.query(d, s, PROGRAMME_DEPTH, programme, payload=False) for d, s in searches]
        if boost is not None:  # as in the engine: the named documents' own searches, each on its own scale
            lists += [self.store.query(d, s, depth, boost.narrowed(flt), payload=False) for d, s in searches]
        fused = dbsf_fuse(lists, limit, joining)
        payloads = self.store.payloads([h.id for h in fused])  # read for the kept hits only
        return [Hit(h.id, h.score, payloads[h.id]) for h in fused if h.id in payloads]

    @property
    def known_numbers(self) -> set[str]:
        """Document numbers of the live documents."""
        self.warm_up()
        return set(self._numbers)

    def _fresh(self) -> None:
        """Read the registry if never read, or again when a shared store's copy is older than refresh_every."""
        self.warm_up()
        if self.refresh_every is not None and time.monotonic() - self._loaded_at > self.refresh_every:
            self.refresh()

    def search_filter(self, filters: Filters | None) -> SearchFilter | None:
        """The store filter for user filters, checked against what is indexed (raises BadFilter); on a shared
        store a value nothing matches is checked again after re-reading the registry (just ingested elsewhere)."""
        self._fresh()
        try:
            return to_search_filter(filters, self._choices, self.catalogue)
        except BadFilter:
            if self.refresh_every is None:
                raise
            self.refresh()
            return to_search_filter(filters, self._choices, self.catalogue)

    def plan(self, text: str, as_of: date | None = None, today: date | None = None,
             original: str | None = None) -> QueryPlan:
        """What a normalised question names (documents, criterion, date) and the text to search with."""
        self._fresh()
        return parse_question(text, self.catalogue, self.abbreviations, known_numbers=self._numbers, today=today,
                              as_of=as_of, original=original)

    def encode(self, plan: QueryPlan, mode: str = "hybrid") -> QueryVectors:
        """The plan's search text (bounded to MAX_QUERY_CHARS) as dense and/or sparse vectors; raises ValueError
        on an unknown mode."""
        return self.encode_many([plan], mode)[0]

    def encode_many(self, plans: Sequence[QueryPlan], mode: str = "hybrid") -> list[QueryVectors]:
        """Several plans' vectors with one call of the embedder (a message and each of its asks)."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
        texts = [" ".join(filter(None, (p.search_text, p.retrieval_extra)))[:MAX_QUERY_CHARS] for p in plans]
        dense = list(self.embedder.embed_queries(texts)) if mode in ("hybrid", "dense") else [None] * len(plans)
        sparse = [query_vector(t, folded=p.unaccented) if mode in ("hybrid", "sparse") else None
                  for t, p in zip(texts, plans)]
        return [QueryVectors(d, s) for d, s in zip(dense, sparse)]

    def search(self, query: str, limit: int = 5, mode: str = "hybrid", flt: SearchFilter | None = None,
               per_document: int | None = None) -> list[SearchResult]:
        """Top chunks for a query as typed; raises ValueError on an empty query or an unknown mode."""
        text = normalise_question(query or "")[:MAX_QUERY_CHARS]  # the entry point: normalised and bounded once
        if not text:
            raise ValueError("the query is empty")
        plan = self.plan(text, original=query)
        return self.retrieve(plan, self.encode(plan, mode), limit, flt, per_document)

    def retrieve(self, plan: QueryPlan, vectors: QueryVectors, limit: int = 5, flt: SearchFilter | None = None,
                 per_document: int | None = None) -> list[SearchResult]:
        """Top chunks for vectors already computed (one embedding serves every search of a question)."""
        self._fresh()
        # Chunks of the documents the question names are searched a second time on their own and fused in.
        boost = SearchFilter({"number": list(plan.numbers)}) if plan.numbers else None
        cap = per_document or self.per_document
        # Over-fetch: chunks of a version not yet switched on (interrupted ingest) and chunks beyond the
        # per-document cap are dropped here.
        mixed = self._mixed(flt)
        hits = self._query(vectors.dense, vectors.sparse, limit * (cap + 2) + 10, flt, boost, mixed)
        if self.refresh_every is not None and any(h.payload.get("doc_version") not in self._active for h in hits):
            self.refresh()  # another process may have switched a document to a version we do not know yet
        if mixed:
            hits = weigh_programme(hits, self._off_programme, self.off_programme_weight)
        results: list[SearchResult] = []
        kept: list[Hit] = []
        per_doc: dict[str, int] = {}
        for hit in hits:
            p = hit.payload
            doc_id = p.get("doc_id", "")
            if p.get("doc_version") not in self._active or per_doc.get(doc_id, 0) >= cap \
                    or is_copy(hit, kept, self._off_programme):
                continue
            per_doc[doc_id] = per_doc.get(doc_id, 0) + 1
            kept.append(hit)
            results.append(SearchResult(hit.score, doc_id, p.get("number"), p.get("title"), p.get("path", ""),
                                        p.get("page"), p.get("source", ""), p.get("text", ""), p.get("status"),
                                        hit.id, p.get("kind") or "document", p.get("doc_type"), p.get("issuer")))
            if len(results) == limit:
                break
        return results
