"""One contract, two backends: the embedded qdrant-edge shard and qdrant-client (":memory:")."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest
from qdrant_client import QdrantClient

from ingest.pipeline import Indexer
from ingest.types import DocMeta, LoadedDocument
from retrieval.search import Searcher
from retrieval.sparse import document_vector, query_vector
from retrieval.store import DocRecord, SearchFilter, StoredPoint, StoreError
from retrieval.store_edge import EdgeStore
from retrieval.store_server import ServerStore

DIM = 4
# synthetic fixture: three tiny "chunks" from two documents
TEXTS = {
    ("doc-a", 0): ("Tiêu chí thu nhập của xã nông thôn mới", [1.0, 0.0, 0.0, 0.0], "318/QĐ-TTg", 2022),
    ("doc-a", 1): ("Tiêu chí giao thông và đường xã", [0.0, 1.0, 0.0, 0.0], "318/QĐ-TTg", 2022),
    ("doc-b", 0): ("Công văn hướng dẫn xã hình thành sau sắp xếp", [0.0, 0.0, 1.0, 0.0], "267/BNN-VPĐP", 2024),
}


def _points(version: str = "v1", doc: str | None = None) -> list[StoredPoint]:
    out = []
    for (doc_id, pos), (text, vec, number, year) in TEXTS.items():
        if doc and doc_id != doc:
            continue
        out.append(StoredPoint(
            id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{doc_id}|{pos}|{version}")),
            dense=vec, sparse=document_vector(text),
            payload={"doc_id": doc_id, "doc_version": f"{doc_id}:{version}", "number": number,
                     "year": year, "text": text},
        ))
    return out


@pytest.fixture(params=["embedded", "server"])
def store(request, tmp_path):
    s = EdgeStore(tmp_path / "qdrant") if request.param == "embedded" else ServerStore(QdrantClient(":memory:"), "t")
    yield s
    s.close()


def test_empty_store_answers_nothing_without_error(store):
    assert store.count() == 0
    assert store.query([1, 0, 0, 0], None, 5) == []
    assert store.documents() == {}


def test_dense_sparse_and_hybrid_find_the_matching_chunk(store):
    store.ensure_schema(DIM, "fake")
    store.upsert(_points())
    assert store.count() == 3
    dense = store.query([0, 0, 1, 0], None, 1)
    sparse = store.query(None, query_vector("xã hình thành sau sắp xếp"), 1)
    hybrid = store.query([0, 0, 0.9, 0.1], query_vector("hình thành sau sắp xếp"), 2)
    for hits in (dense, sparse, hybrid):
        assert hits[0].payload["doc_id"] == "doc-b"
    assert len(hybrid) == 2


def test_hits_without_payloads_and_the_payloads_of_the_kept_ones(store):
    store.ensure_schema(DIM, "fake")
    store.upsert(_points())
    bare = store.query([0, 0, 1, 0], None, 3, payload=False)
    full = store.query([0, 0, 1, 0], None, 3)
    assert [h.id for h in bare] == [h.id for h in full] and all(h.payload == {} for h in bare)
    assert store.payloads([bare[0].id, "00000000-0000-0000-0000-000000000000"]) == {bare[0].id: full[0].payload}
    assert store.payloads([]) == {}


def test_filters_restrict_results(store):
    store.ensure_schema(DIM, "fake")
    store.upsert(_points())
    hits = store.query([0, 0, 1, 0], None, 5, SearchFilter({"number": "318/QĐ-TTg"}))
    assert {h.payload["doc_id"] for h in hits} == {"doc-a"}
    assert store.count(SearchFilter({"year": [2024, 2030]})) == 1
    with pytest.raises(ValueError):
        SearchFilter({"text": "x"})


def test_upsert_is_idempotent_and_versions_are_deleted_selectively(store):
    store.ensure_schema(DIM, "fake")
    store.upsert(_points())
    store.upsert(_points())
    assert store.count() == 3
    store.upsert(_points("v2", doc="doc-a"))
    assert store.chunk_versions() == {"doc-a:v1", "doc-a:v2", "doc-b:v1"}
    store.delete_chunks("doc-a", keep_version="doc-a:v2")
    assert store.chunk_versions() == {"doc-a:v2", "doc-b:v1"}
    store.delete_version("doc-b:v1")
    assert store.count() == 2


def test_registry_round_trip(store):
    rec = DocRecord("doc-a", "doc-a:v1", "corpus/a.txt", 2, {"number": "318/QĐ-TTg"})
    store.put_document(rec)
    assert store.documents()["doc-a"] == rec
    assert store.documents()["doc-a"].meta == {"number": "318/QĐ-TTg"}
    store.remove_document("doc-a")
    assert store.documents() == {}


def test_other_model_or_dimension_is_refused(store):
    store.ensure_schema(DIM, "fake")
    with pytest.raises(StoreError, match="dim"):
        store.ensure_schema(8, "other")
    assert store.info()["dim"] == DIM


def test_embedded_store_refuses_a_second_process_clearly(tmp_path):
    first = EdgeStore(tmp_path / "qdrant")
    first.ensure_schema(DIM, "fake")
    code = (
        "import sys; from retrieval.store_edge import EdgeStore; from retrieval.store import StoreError\n"
        f"try:\n    EdgeStore({str(tmp_path / 'qdrant')!r})\nexcept StoreError as e:\n    print(e); sys.exit(3)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    first.close()
    assert proc.returncode == 3, proc.stderr
    assert "in use by another process" in proc.stdout and "NTM_QDRANT_URL" in proc.stdout
    # once the first process let go, the store opens again with its data
    again = EdgeStore(tmp_path / "qdrant")
    assert again.info()["dim"] == DIM
    again.close()


def test_embedded_store_survives_reopen(tmp_path):
    s = EdgeStore(tmp_path / "qdrant")
    s.ensure_schema(DIM, "fake")
    s.upsert(_points())
    s.put_document(DocRecord("doc-a", "doc-a:v1", "a.txt", 2))
    s.put_document(DocRecord("doc-b", "doc-b:v1", "b.txt", 1))  # chunks no row names are leftovers, removed at open
    s.close()
    s = EdgeStore(tmp_path / "qdrant")
    assert s.count() == 3 and set(s.documents()) == {"doc-a", "doc-b"}
    s.close()


def test_searcher_on_a_shared_server_sees_documents_written_by_another_process(fake_embedder):
    client = QdrantClient(":memory:")
    serving = ServerStore(client, "t")
    searcher = Searcher(serving, fake_embedder, refresh_every=0.0)
    writer = Indexer(ServerStore(client, "t"), fake_embedder)  # stands for a separate `ntm ingest`
    doc = LoadedDocument(source="tb.txt", media_type="text", text="Thông báo họp thôn về đường giao thông.")
    writer.index_document("tb", doc, DocMeta())
    assert searcher.search("họp thôn", limit=1)[0].source == "tb.txt"


def test_bm25_prefers_the_chunk_with_the_words_in_the_asked_order(store):
    # synthetic: both chunks hold the same syllables; only one says "thu nhập bình quân" in that order
    texts = {"in-order": "Thu nhập bình quân đầu người của xã đạt mức quy định.",
             "scattered": "Bình quân đầu người của xã đạt mức quy định về thu nhập."}
    store.ensure_schema(DIM, "fake")
    store.upsert([StoredPoint(str(uuid.uuid5(uuid.NAMESPACE_URL, key)), [0.5, 0.5, 0.5, 0.5], document_vector(text),
                              {"doc_id": key, "doc_version": f"{key}:v1", "text": text})
                  for key, text in texts.items()])
    for asked in ("thu nhập bình quân đầu người", "thu nhap binh quan dau nguoi"):
        hits = store.query(None, query_vector(asked, folded=asked.isascii()), 2)
        assert [h.payload["doc_id"] for h in hits] == ["in-order", "scattered"], asked
        assert hits[0].score > hits[1].score * 1.05, asked  # not a tie broken by chance


def test_optimize_keeps_every_point_and_answer(store):
    store.ensure_schema(DIM, "fake")
    store.upsert(_points())
    before = [h.payload["doc_id"] for h in store.query([0, 0, 0.9, 0.1], query_vector("hình thành sau sắp xếp"), 3)]
    store.optimize()
    store.optimize()  # idempotent
    after = [h.payload["doc_id"] for h in store.query([0, 0, 0.9, 0.1], query_vector("hình thành sau sắp xếp"), 3)]
    assert store.count() == 3 and after == before
