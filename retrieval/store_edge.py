"""Embedded store: the Qdrant engine in-process (qdrant-edge), one shard under the data directory."""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
from pathlib import Path
from typing import Sequence

import qdrant_edge as qe

from retrieval.registry import SqliteRegistry
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
    leftover_versions,
    prefetch_depth,
)

log = logging.getLogger(__name__)

# Dense candidates the HNSW search keeps: on 73k chunks the default found 0.928 of the exact top 10 (0.26 ms), 256
# found 0.944 (0.40 ms); exact search takes 9.4 ms (eval/bench_ann.py).
HNSW_EF = 256
INT8_QUANTILE = 0.99  # int8 range from the 99th percentile: a few outlier components do not squash the rest
_SCHEMA_TYPES = {"keyword": qe.PayloadSchemaType.Keyword, "integer": qe.PayloadSchemaType.Integer}


def _condition(key: str, value: object) -> qe.FieldCondition:
    if isinstance(value, (list, tuple, set)):
        return qe.FieldCondition(key, match=qe.MatchAny(list(value)))
    return qe.FieldCondition(key, match=qe.MatchValue(value))


def _filter(flt: SearchFilter | None) -> qe.Filter | None:
    if flt is None or not flt.must:
        return None
    return qe.Filter(must=[_condition(k, v) for k, v in flt.must.items()])


def _sparse(vec: SparseVec) -> qe.SparseVector:
    return qe.SparseVector(list(vec.indices), list(vec.values))


class EdgeStore:
    """VectorStore on qdrant-edge; single process, guarded by a lock file."""

    backend = "embedded"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._shard_dir = self.path / "chunks"
        self._lock_file = self._acquire_lock(self.path / ".lock")
        try:
            self._registry = SqliteRegistry(self.path / "registry.sqlite")
        except sqlite3.DatabaseError as exc:
            self.close()
            raise StoreError(f"the document registry {self.path / 'registry.sqlite'} is unreadable ({exc}); "
                             f"move {self.path} aside and ingest again") from exc
        self._shard: qe.EdgeShard | None = None
        if (self._shard_dir / "edge_config.json").exists():
            self._shard = self._load_shard()
            self._remove_leftovers()

    def _load_shard(self) -> qe.EdgeShard:
        try:
            return qe.EdgeShard.load(str(self._shard_dir))
        except Exception as exc:  # the engine reports locks and corruption as plain Exception
            self.close()
            raise StoreError(f"cannot open the embedded store at {self._shard_dir}: {exc}") from exc

    def _remove_leftovers(self) -> None:
        """Delete the chunks no registry row points to, before anything is searched.

        We hold the lock, so no writer is running: such chunks are what a killed ingest left. Kept, they would
        take candidate places and shift term statistics (IDF) and fusion scores of unrelated searches. The shard
        is reloaded because its in-memory segments count deleted points in those statistics until then."""
        stale = leftover_versions(self)
        if not stale:
            return
        for version in stale:
            self.delete_version(version)
        shard, self._shard = self._shard, None
        shard.flush()
        shard.close()
        self._shard = self._load_shard()
        log.info("removed the chunks of %d document version(s) left by an interrupted ingest", len(stale))

    @staticmethod
    def _acquire_lock(lock_path: Path):
        handle = open(lock_path, "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise StoreError(
                f"The embedded store at {lock_path.parent} is in use by another process (pid {holder}). "
                "The embedded store is single-process: stop that process (for example a running "
                "`ntm serve`) and retry, or run a Qdrant server and set NTM_QDRANT_URL."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        return handle

    def _require_shard(self) -> qe.EdgeShard:
        if self._shard is None:
            raise StoreError("the store is empty: nothing has been ingested yet (run `ntm ingest PATH`)")
        return self._shard

    def ensure_schema(self, dim: int, model_name: str) -> None:
        """Create the shard and payload indexes on first use; refuse another model or dimension."""
        stored = self._registry.get_setting("dim"), self._registry.get_setting("model")
        if stored[0] is not None and (int(stored[0]), stored[1]) != (dim, model_name):
            raise StoreError(
                f"this store was built with model {stored[1]!r} (dim {stored[0]}), but the configured "
                f"model is {model_name!r} (dim {dim}). Use another NTM_DATA_DIR or delete {self.path} and re-ingest."
            )
        if self._shard is None:
            # Chosen by measurement (README, "Index layout"): vectors, sparse index and payload on disk, dense
            # vectors also as int8 in RAM (searched, then rescored with the originals). Optimised, 60k points
            # opened in 240 MB instead of 1,218 MB (all in RAM), with p95 5.0 ms instead of 5.5 ms per query.
            int8 = qe.ScalarQuantizationConfig(type=qe.ScalarType.Int8, quantile=INT8_QUANTILE, always_ram=True)
            config = qe.EdgeConfig(
                vectors={DENSE: qe.EdgeVectorParams(size=dim, distance=qe.Distance.Cosine, on_disk=True,
                                                    quantization_config=int8)},
                sparse_vectors={SPARSE: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf, on_disk=True)},
                on_disk_payload=True,
            )
            self._shard = qe.EdgeShard.create(str(self._shard_dir), config)
            for name, kind in INDEXED_FIELDS.items():
                self._shard.update(qe.UpdateOperation.create_field_index(name, _SCHEMA_TYPES[kind]))
        self._registry.set_setting("dim", str(dim))
        self._registry.set_setting("model", model_name)

    def upsert(self, points: Sequence[StoredPoint]) -> None:
        """Write points; the engine's WAL makes them durable."""
        if not points:
            return
        batch = [
            qe.Point(p.id, {DENSE: [float(x) for x in p.dense], SPARSE: _sparse(p.sparse)}, p.payload)
            for p in points
        ]
        self._require_shard().update(qe.UpdateOperation.upsert_points(batch))

    def delete_chunks(self, doc_id: str, keep_version: str | None = None) -> None:
        """Delete a document's chunks except those of keep_version."""
        if self._shard is None:
            return
        must_not = [_condition("doc_version", keep_version)] if keep_version else None
        flt = qe.Filter(must=[_condition("doc_id", doc_id)], must_not=must_not)
        self._shard.update(qe.UpdateOperation.delete_points_by_filter(flt))

    def delete_version(self, version: str, written_before: float | None = None) -> None:
        """Delete the chunks of one document version (only older than `written_before`, if given)."""
        if self._shard is not None:
            must = [_condition("doc_version", version)]
            if written_before is not None:
                must.append(qe.FieldCondition("written_at", range=qe.RangeFloat(lt=written_before)))
            self._shard.update(qe.UpdateOperation.delete_points_by_filter(qe.Filter(must=must)))

    def query(self, dense, sparse, limit: int, flt: SearchFilter | None = None,
              boost: SearchFilter | None = None, fusion: str = "rrf", payload: bool = True) -> list[Hit]:
        """Dense, sparse, or RRF-fused hybrid search (with boosted prefetches when `boost` is given)."""
        if self._shard is None:
            return []
        qfilter = _filter(flt)
        stages = []
        if dense is not None:
            stages.append(qe.Query.Nearest([float(x) for x in dense], using=DENSE))
        if sparse is not None and sparse.indices:
            stages.append(qe.Query.Nearest(_sparse(sparse), using=SPARSE))
        if not stages:
            return []
        params = qe.SearchParams(hnsw_ef=HNSW_EF)  # ignored by the sparse index
        if len(stages) == 1 and boost is None:
            request = qe.QueryRequest(limit=limit, query=stages[0], filter=qfilter, with_payload=payload,
                                      params=params)
        else:
            depth = prefetch_depth(limit)
            prefetches = [qe.Prefetch(limit=depth, query=s, filter=qfilter, params=params) for s in stages]
            if boost is not None:
                narrow = _filter(boost.narrowed(flt))  # the caller's filter wins on a shared field
                prefetches += [qe.Prefetch(limit=depth, query=s, filter=narrow, params=params) for s in stages]
            fused = qe.Fusion.Dbsf() if fusion == "dbsf" else qe.Fusion.Rrf(k=RRF_K)
            request = qe.QueryRequest(
                limit=limit, prefetches=prefetches, query=fused, filter=qfilter, with_payload=payload
            )
        return [Hit(str(p.id), float(p.score), dict(p.payload or {})) for p in self._shard.query(request)]

    def payloads(self, ids: Sequence[str]) -> dict[str, dict]:
        """The payloads of these chunks, by id."""
        if self._shard is None or not ids:
            return {}
        return {str(r.id): dict(r.payload or {}) for r in self._shard.retrieve(list(ids), True, False)}

    def count(self, flt: SearchFilter | None = None) -> int:
        """Number of chunks."""
        if self._shard is None:
            return 0
        return self._shard.count(qe.CountRequest(exact=True, filter=_filter(flt)))

    def chunk_versions(self) -> set[str]:
        """Versions that have chunks, from a facet over the version field."""
        if self._shard is None:
            return set()
        facet = self._shard.facet(qe.FacetRequest(key="doc_version", limit=10_000_000, exact=True))
        # exact facets also list values whose points were all deleted, with count 0
        return {str(h.value) for h in facet.hits if h.count > 0}

    def documents(self) -> dict[str, DocRecord]:
        """Registry rows."""
        return self._registry.documents()

    def put_document(self, record: DocRecord) -> None:
        """Switch a document to a version; its chunks are already durable in the engine's WAL."""
        self._registry.put(record)

    def remove_document(self, doc_id: str) -> None:
        """Drop a registry row."""
        self._registry.remove(doc_id)

    def optimize(self) -> None:
        """Merge the segments written since the last call and build their indexes (HNSW, int8, sparse).

        Until then new points sit in appendable in-memory segments, replayed from the WAL at every open: 60k such
        points cost 1.4 GB of RAM to open and 12 ms per query, optimised 240 MB and 3.3 ms."""
        if self._shard is not None:
            self._shard.optimize()

    def info(self) -> dict:
        """Backend, model and dimension."""
        dim = self._registry.get_setting("dim")
        return {"backend": self.backend, "path": str(self.path), "model": self._registry.get_setting("model"),
                "dim": int(dim) if dim else None}

    def close(self) -> None:
        """Flush and release the shard, the registry and the lock."""
        if getattr(self, "_shard", None) is not None:
            self._shard.flush()
            self._shard.close()
            self._shard = None
        if getattr(self, "_registry", None) is not None:
            self._registry.close()
            self._registry = None
        if getattr(self, "_lock_file", None) is not None:
            self._lock_file.close()
            self._lock_file = None
