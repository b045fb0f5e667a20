"""The vector store protocol and its value types, shared by the embedded (qdrant-edge, `store_edge`) and server
(qdrant-client, `store_server`) backends. Which backend a process uses is decided in `ntm/services.py`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence

from retrieval.sparse import SparseVec

DENSE = "dense"
SPARSE = "sparse"
# Payload fields with an index, and their kind; filters may use only these.
INDEXED_FIELDS = {
    "doc_id": "keyword",
    "doc_version": "keyword",
    "number": "keyword",
    "doc_type": "keyword",
    "issuer": "keyword",
    "status": "keyword",
    "year": "integer",
}
RRF_K = 60


def prefetch_depth(limit: int) -> int:
    """How deep each search of a fused query reads: four times the results asked, at least 40 (the same in the
    engine's fusion and the one computed in retrieval/search.py)."""
    return max(limit * 4, 40)


class StoreError(Exception):
    """The store cannot be opened or used; the message tells an operator what to do."""


@dataclass(frozen=True)
class StoredPoint:
    """One chunk as written to the store."""

    id: str
    dense: Sequence[float]
    sparse: SparseVec
    payload: dict


@dataclass(frozen=True)
class Hit:
    """One search result."""

    id: str
    score: float
    payload: dict


@dataclass(frozen=True)
class SearchFilter:
    """Equality filters on indexed payload fields; a list value means "any of"."""

    must: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = set(self.must) - set(INDEXED_FIELDS)
        if unknown:
            raise ValueError(f"cannot filter on {sorted(unknown)}; filterable fields: {sorted(INDEXED_FIELDS)}")

    def narrowed(self, other: "SearchFilter | None") -> "SearchFilter":
        """Both filters at once (`other` wins on a shared field)."""
        return SearchFilter({**self.must, **(other.must if other else {})})


@dataclass(frozen=True)
class DocRecord:
    """What the store knows of one ingested document (the registry row)."""

    doc_id: str
    version: str  # hash of doc id + normalised text + chunking settings; unique per document state
    source: str
    chunk_count: int
    meta: dict = field(default_factory=dict, compare=False)


class VectorStore(Protocol):
    """Chunks with a dense and a sparse vector, plus a registry of documents and their active version."""

    def ensure_schema(self, dim: int, model_name: str) -> None:
        """Create collection and payload indexes if missing; refuse a different model or dimension."""

    def upsert(self, points: Sequence[StoredPoint]) -> None:
        """Write points (idempotent on id) and make them durable."""

    def delete_chunks(self, doc_id: str, keep_version: str | None = None) -> None:
        """Delete a document's chunks, except those of `keep_version`."""

    def query(
        self,
        dense: Sequence[float] | None,
        sparse: SparseVec | None,
        limit: int,
        flt: SearchFilter | None = None,
        boost: SearchFilter | None = None,
        fusion: str = "rrf",
        payload: bool = True,
    ) -> list[Hit]:
        """Nearest chunks: dense, sparse, or both fused in the engine ("rrf" or "dbsf"); `boost` adds the same
        searches restricted to the chunks it matches (e.g. a document the question names), so those rank higher.
        With `payload=False` the hits carry empty payloads: fusing long lists here reads only the kept ones'."""

    def payloads(self, ids: Sequence[str]) -> dict[str, dict]:
        """The payloads of these chunks, by id (a chunk not found is left out)."""

    def count(self, flt: SearchFilter | None = None) -> int:
        """Number of chunks (matching the filter)."""

    def chunk_versions(self) -> set[str]:
        """Every document version that has chunks in the store (active or left by a crash)."""

    def delete_version(self, version: str, written_before: float | None = None) -> None:
        """Delete all chunks of one document version (only those written before a time, if given)."""

    def documents(self) -> dict[str, DocRecord]:
        """The document registry."""

    def put_document(self, record: DocRecord) -> None:
        """Insert or replace a registry row (this is the switch to a new version)."""

    def remove_document(self, doc_id: str) -> None:
        """Drop a registry row."""

    def optimize(self) -> None:
        """Bring the index into its search-ready layout after writes (a server does this by itself)."""
        ...

    def info(self) -> dict:
        """Model name and dimension the store was built with, and the backend."""

    def close(self) -> None:
        """Release files and connections."""


def leftover_versions(store: VectorStore) -> set[str]:
    """Versions that have chunks but no registry row: written by a run that stopped before its switch, or an old
    version whose chunks a run switched away from but had not yet deleted."""
    return store.chunk_versions() - {rec.version for rec in store.documents().values()}
