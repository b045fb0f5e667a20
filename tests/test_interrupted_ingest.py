"""Interrupted ingests: what a killed run leaves behind never reaches search."""

from __future__ import annotations

import time
import types
from pathlib import Path

import pytest
from qdrant_client import QdrantClient

from ingest.pipeline import Indexer
from ntm.services import build_services
from ntm.settings import Settings
from retrieval.store_edge import EdgeStore
from retrieval.store_server import ServerStore
from tests_support import HookedEmbedder

pytestmark = pytest.mark.synthetic  # every document here is written for these tests

# synthetic fixtures: two finished documents, and a long one whose ingest is killed half-way
GREEN = """QUYẾT ĐỊNH
Về trồng cây xanh ven đường giao thông nông thôn

Điều 1. Mỗi xã trồng ít nhất 500 cây xanh ven đường giao thông liên thôn.
Điều 2. Thôn Bình An chăm sóc cây xanh trên tuyến đường trục xã.
"""
SCHOOLS = """KẾ HOẠCH
Xây dựng trường học đạt chuẩn năm 2031

1. Huyện hoàn thành 3 trường học đạt chuẩn quốc gia.
2. Đường giao thông vào trường được bê tông hóa.
"""
LONG = "CÔNG VĂN\nVề cây xanh và đường giao thông\n\n" + "".join(
    f"Điều {n}. Thôn số {n} trồng {n * 10} cây xanh ven đường giao thông và làm {n} km đường mới.\n"
    for n in range(1, 90))
QUERY = "trồng cây xanh ven đường giao thông"
KILLED_HOURS_AGO = 2  # older than the grace period a shared server gives a version another process may be writing


def _stores(backend: str, tmp_path: Path):
    """Open (and reopen) named stores of one backend; a server store's data outlives its client object."""
    clients: dict[str, QdrantClient] = {}

    def open_store(name: str):
        if backend == "embedded":
            return EdgeStore(tmp_path / name)
        return ServerStore(clients.setdefault(name, QdrantClient(":memory:")), "c")

    def leave(store) -> None:
        if backend == "embedded":
            store.close()  # a process ends; the server keeps its collection

    return open_store, leave


def _kill_during_second_batch(embedder) -> None:
    if embedder.calls == 1:
        raise KeyboardInterrupt  # stands for SIGKILL: nothing after this point runs


def _served_results(store, embedder, tmp_path: Path) -> dict[str, list[tuple[str, str, float]]]:
    """What a freshly started serving process answers for QUERY, by search mode."""
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", qdrant_url=None)
    services = build_services(settings, embedder=embedder, store=store)
    services.warm_up()
    return {mode: [(r.doc_id, r.chunk_id, round(r.score, 5))
                   for r in services.searcher.search(QUERY, limit=5, mode=mode)] for mode in ("hybrid", "sparse")}


@pytest.mark.parametrize("backend", ["embedded", "server"])
def test_leftovers_of_a_killed_ingest_change_no_search_result_or_score(backend, tmp_path, fake_embedder,
                                                                       monkeypatch):
    docs, extra = tmp_path / "docs", tmp_path / "extra"
    docs.mkdir(), extra.mkdir()
    (docs / "qd-cay-xanh.txt").write_text(GREEN, encoding="utf-8")
    (docs / "kh-truong-hoc.txt").write_text(SCHOOLS, encoding="utf-8")
    (extra / "cv-dai.txt").write_text(LONG, encoding="utf-8")
    open_store, leave = _stores(backend, tmp_path)
    clean, dirty = open_store("clean"), open_store("dirty")
    for store in (clean, dirty):
        Indexer(store, fake_embedder).ingest_paths([str(docs)])
    long_ago = time.time() - KILLED_HOURS_AGO * 3600
    monkeypatch.setattr("ingest.pipeline.time", types.SimpleNamespace(time=lambda: long_ago))
    with pytest.raises(KeyboardInterrupt):
        Indexer(dirty, HookedEmbedder(fake_embedder, before_batch=_kill_during_second_batch)).ingest_paths(
            [str(extra)])
    monkeypatch.undo()
    assert len(dirty.chunk_versions()) == 3 and len(dirty.documents()) == 2  # leftovers of a third document
    leave(clean), leave(dirty)

    expected = _served_results(open_store("clean"), fake_embedder, tmp_path)
    assert all(expected.values())
    assert _served_results(open_store("dirty"), fake_embedder, tmp_path) == expected
