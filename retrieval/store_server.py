"""Server store: a Qdrant server or cluster through qdrant-client (also `QdrantClient(":memory:")` in tests)."""

from __future__ import annotations

import uuid
import warnings
from typing import Sequence

from qdrant_client import QdrantClient
from qdrant_client import models as qm

from retrieval.sparse import SparseVec
from retrieval.store import (
    DENSE,
    INDEXED_FIELDS,
    RRF_K,
    SPARSE,
    DocRecord,
    Hit,
    SearchFilter,
    StoredPoint,
    StoreError,
    prefetch_depth,
)

_SCHEMA_TYPES = {"keyword": qm.PayloadSchemaType.KEYWORD, "integer": qm.PayloadSchemaType.INTEGER}
_NS = uuid.UUID("2f1d6b0e-4c55-4a57-9a43-0b7f3c0d9e11")
_SETTINGS_ID = str(uuid.uuid5(_NS, "settings"))


def _condition(key: str, value: object) -> qm.FieldCondition:
    if isinstance(value, (list, tuple, set)):
        return qm.FieldCondition(key=key, match=qm.MatchAny(any=list(value)))
    return qm.FieldCondition(key=key, match=qm.MatchValue(value=value))


def _filter(flt: SearchFilter | None) -> qm.Filter | None:
    if flt is None or not flt.must:
        return None
    return qm.Filter(must=[_condition(k, v) for k, v in flt.must.items()])


def _sparse(vec: SparseVec) -> qm.SparseVector:
    return qm.SparseVector(indices=list(vec.indices), values=list(vec.values))


class ServerStore:
    """VectorStore on a Qdrant server; the registry is a payload-only companion collection."""

    backend = "server"

    def __init__(self, client: QdrantClient, collection: str) -> None:
        self.client = client
        self.collection = collection
        self.registry = f"{collection}_documents"
        try:
            if not client.collection_exists(self.registry):
                client.create_collection(self.registry, vectors_config={})
        except Exception as exc:  # connection refused, auth, TLS: all end here
            raise StoreError(f"cannot reach the Qdrant server for collection {collection!r}: {exc}") from exc

    @classmethod
    def connect(cls, url: str, api_key: str | None, collection: str) -> "ServerStore":
        """Open a store on a Qdrant URL."""
        return cls(QdrantClient(url=url, api_key=api_key, timeout=30), collection)

    def _settings(self) -> dict:
        found = self.client.retrieve(self.registry, [_SETTINGS_ID], with_payload=True)
        return dict(found[0].payload or {}) if found else {}

    def ensure_schema(self, dim: int, model_name: str) -> None:
        """Create the collection and payload indexes; refuse another model or dimension."""
        stored = self._settings()
        if stored and (stored.get("dim"), stored.get("model")) != (dim, model_name):
            raise StoreError(
                f"collection {self.collection!r} was built with model {stored.get('model')!r} "
                f"(dim {stored.get('dim')}), but the configured model is {model_name!r} (dim {dim}). "
                "Use another NTM_COLLECTION or re-ingest into a fresh collection."
            )
        if not self.client.collection_exists(self.collection):
            self.client.create_collection(
                self.collection,
                vectors_config={DENSE: qm.VectorParams(size=dim, distance=qm.Distance.COSINE)},
                sparse_vectors_config={SPARSE: qm.SparseVectorParams(modifier=qm.Modifier.IDF)},
            )
            with warnings.catch_warnings():  # local mode warns that indexes are no-ops there
                warnings.simplefilter("ignore")
                for name, kind in INDEXED_FIELDS.items():
                    self.client.create_payload_index(self.collection, name, _SCHEMA_TYPES[kind])
        payload = {"kind": "settings", "dim": dim, "model": model_name}
        self.client.upsert(self.registry, [qm.PointStruct(id=_SETTINGS_ID, vector={}, payload=payload)], wait=True)

    def upsert(self, points: Sequence[StoredPoint]) -> None:
        """Write points and wait until they are applied."""
        if not points:
            return
        structs = [
            qm.PointStruct(id=p.id, vector={DENSE: [float(x) for x in p.dense], SPARSE: _sparse(p.sparse)},
                           payload=p.payload)
            for p in points
        ]
        self.client.upsert(self.collection, structs, wait=True)

    def _delete(self, flt: qm.Filter) -> None:
        if self.client.collection_exists(self.collection):
            self.client.delete(self.collection, qm.FilterSelector(filter=flt), wait=True)

    def delete_chunks(self, doc_id: str, keep_version: str | None = None) -> None:
        """Delete a document's chunks except those of keep_version."""
        must_not = [_condition("doc_version", keep_version)] if keep_version else None
        self._delete(qm.Filter(must=[_condition("doc_id", doc_id)], must_not=must_not))

    def delete_version(self, version: str, written_before: float | None = None) -> None:
        """Delete the chunks of one document version (only older than `written_before`, if given)."""
        must = [_condition("doc_version", version)]
        if written_before is not None:
            must.append(qm.FieldCondition(key="written_at", range=qm.Range(lt=written_before)))
        self._delete(qm.Filter(must=must))

    def query(self, dense, sparse, limit: int, flt: SearchFilter | None = None,
              boost: SearchFilter | None = None, fusion: str = "rrf", payload: bool = True) -> list[Hit]:
        """Dense, sparse, or RRF-fused hybrid search (with boosted prefetches when `boost` is given)."""
        if not self.client.collection_exists(self.collection):
            return []
        qfilter = _filter(flt)
        stages: list[tuple[object, str]] = []
        if dense is not None:
            stages.append(([float(x) for x in dense], DENSE))
        if sparse is not None and sparse.indices:
            stages.append((_sparse(sparse), SPARSE))
        if not stages:
            return []
        if len(stages) == 1 and boost is None:
            query, using = stages[0]
            result = self.client.query_points(self.collection, query=query, using=using, limit=limit,
                                              query_filter=qfilter, with_payload=payload)
        else:
            depth = prefetch_depth(limit)
            prefetch = [qm.Prefetch(query=q, using=u, limit=depth, filter=qfilter) for q, u in stages]
            if boost is not None:
                narrow = _filter(boost.narrowed(flt))  # the caller's filter wins on a shared field
                prefetch += [qm.Prefetch(query=q, using=u, limit=depth, filter=narrow) for q, u in stages]
            result = self.client.query_points(self.collection, prefetch=prefetch,
                                              query=(qm.FusionQuery(fusion=qm.Fusion.DBSF) if fusion == "dbsf"
                                                     else qm.RrfQuery(rrf=qm.Rrf(k=RRF_K))), limit=limit,
                                              query_filter=qfilter, with_payload=payload)
        return [Hit(str(p.id), float(p.score), dict(p.payload or {})) for p in result.points]

    def payloads(self, ids: Sequence[str]) -> dict[str, dict]:
        """The payloads of these chunks, by id."""
        if not ids or not self.client.collection_exists(self.collection):
            return {}
        return {str(r.id): dict(r.payload or {})
                for r in self.client.retrieve(self.collection, ids=list(ids), with_payload=True, with_vectors=False)}

    def count(self, flt: SearchFilter | None = None) -> int:
        """Number of chunks."""
        if not self.client.collection_exists(self.collection):
            return 0
        return self.client.count(self.collection, count_filter=_filter(flt), exact=True).count

    def chunk_versions(self) -> set[str]:
        """Versions that have chunks, from a facet over the version field."""
        if not self.client.collection_exists(self.collection):
            return set()
        facet = self.client.facet(self.collection, key="doc_version", limit=10_000_000, exact=True)
        return {str(h.value) for h in facet.hits if h.count > 0}

    def documents(self) -> dict[str, DocRecord]:
        """Registry rows, scrolled from the companion collection."""
        out: dict[str, DocRecord] = {}
        offset = None
        kind = qm.Filter(must=[_condition("kind", "document")])
        while True:
            records, offset = self.client.scroll(self.registry, scroll_filter=kind, limit=1000,
                                                 offset=offset, with_payload=True)
            for r in records:
                p = r.payload or {}
                out[p["doc_id"]] = DocRecord(p["doc_id"], p["version"], p["source"], p["chunk_count"], p.get("meta", {}))
            if offset is None:
                return out

    def put_document(self, record: DocRecord) -> None:
        """Insert or replace a registry row."""
        payload = {"kind": "document", "doc_id": record.doc_id, "version": record.version,
                   "source": record.source, "chunk_count": record.chunk_count, "meta": record.meta}
        point = qm.PointStruct(id=str(uuid.uuid5(_NS, record.doc_id)), vector={}, payload=payload)
        self.client.upsert(self.registry, [point], wait=True)

    def remove_document(self, doc_id: str) -> None:
        """Drop a registry row."""
        self.client.delete(self.registry, qm.PointIdsList(points=[str(uuid.uuid5(_NS, doc_id))]), wait=True)

    def info(self) -> dict:
        """Backend, model and dimension."""
        stored = self._settings()
        return {"backend": self.backend, "collection": self.collection, "model": stored.get("model"),
                "dim": stored.get("dim")}

    def optimize(self) -> None:
        """Nothing to do: the Qdrant server's optimizers index new points in the background."""

    def close(self) -> None:
        """Close the client."""
        self.client.close()
