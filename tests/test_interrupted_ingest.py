"""Interrupted ingests: a re-ingest killed (SIGKILL) at any moment loses nothing, and what it leaves behind never
reaches search."""

from __future__ import annotations

import re
import sys
import time
import types
from pathlib import Path

import pytest
from qdrant_client import QdrantClient
from typer.testing import CliRunner

from crash_child import MOMENTS
from ingest.pipeline import Indexer
from ntm import cli
from ntm.services import build_services
from ntm.settings import Settings
from retrieval.embedding import HashEmbedder
from retrieval.search import Searcher
from retrieval.store import SearchFilter
from retrieval.store_edge import EdgeStore
from retrieval.store_server import ServerStore
from tests_support import HookedEmbedder, kill_when

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


# synthetic fixtures: documents whose every line names the edition it belongs to, so that each search hit shows
# which version of its document it comes from. Articles per document: the first has more than one batch of 32.
CRASH_DOCS = {"a-ke-hoach.txt": 40, "b-thong-bao.txt": 3, "c-cong-van.txt": 3, "d-quyet-dinh.txt": 3}
CHANGED = ("a-ke-hoach.txt", "b-thong-bao.txt", "d-quyet-dinh.txt")  # edited between the two ingests
EDITION = re.compile(r"theo bản số (\d+)")
EVERY_CHUNK = 500  # a result limit above the corpus's chunk count, so a search shows every chunk it can reach
# What a re-ingest killed at each moment has switched to the new edition already (files are read in name order).
SWITCHED_AT = {"model-load": (), "mid-embedding": (), "after-switch": ("a-ke-hoach.txt",),
               "between-files": ("a-ke-hoach.txt",)}


def _write_edition(folder: Path, edition: int, names) -> None:
    for name in names:
        topic = name.split("-", 1)[1].removesuffix(".txt").replace("-", " ")
        lines = [f"VĂN BẢN THỬ NGHIỆM VỀ {topic.upper()} theo bản số {edition}", ""] + [
            f"Điều {k}. Xã thử nghiệm thực hiện nhiệm vụ {topic} thứ {k} theo bản số {edition}."
            for k in range(1, CRASH_DOCS[name] + 1)]
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


def _ingest(folder: Path):
    return CliRunner().invoke(cli.app, ["ingest", "--no-catalogue", str(folder)])


def _editions_searched(data_dir: Path) -> dict[str, set[str]]:
    """Per listed document, the editions its search hits come from; checks on the way that every listed version
    is complete in the store, that the store holds nothing else, and that search reaches every listed chunk."""
    store = EdgeStore(data_dir / "qdrant")  # what the next `ntm serve` or `ntm search` opens
    try:
        records = {Path(r.source).name: r for r in store.documents().values()}
        for rec in records.values():
            assert store.count(SearchFilter({"doc_id": rec.doc_id, "doc_version": rec.version})) == rec.chunk_count
        assert store.count() == sum(r.chunk_count for r in records.values())
        hits = Searcher(store, HashEmbedder()).search("xã thử nghiệm thực hiện nhiệm vụ theo bản số", mode="sparse",
                                                      limit=EVERY_CHUNK, per_document=EVERY_CHUNK)
        seen: dict[str, set[str]] = {name: set() for name in records}
        for hit in hits:
            seen[Path(hit.source).name].update(EDITION.findall(hit.text))
        assert len(hits) == store.count()
        return seen
    finally:
        store.close()


@pytest.mark.parametrize("moment", MOMENTS)
def test_a_reingest_killed_at_any_moment_loses_nothing_and_the_next_run_finishes(moment, tmp_path, monkeypatch):
    monkeypatch.setenv("NTM_DATA_DIR", str(tmp_path / "data"))  # the child inherits the settings
    monkeypatch.setenv("NTM_QDRANT_URL", "")  # the embedded store, whatever a developer's .env says
    monkeypatch.setattr("ntm.services.build_embedder", lambda settings: HashEmbedder())  # as crash_child.py does
    docs = tmp_path / "docs"
    docs.mkdir()
    _write_edition(docs, 1, CRASH_DOCS)
    assert _ingest(docs).exit_code == 0
    _write_edition(docs, 2, CHANGED)

    child = [sys.executable, str(Path(__file__).with_name("crash_child.py")), moment, "ingest", "--no-catalogue",
             str(docs)]
    kill_when(child, lambda line: line == f"paused at {moment}", cwd=tmp_path)
    switched = SWITCHED_AT[moment]
    # every document still listed and searchable, each wholly in its old or (once switched) its new edition
    assert _editions_searched(tmp_path / "data") == {name: {"2" if name in switched else "1"} for name in CRASH_DOCS}

    resumed = _ingest(docs)
    assert resumed.exit_code == 0, resumed.output
    assert f"updated {len(CHANGED) - len(switched)}, unchanged {1 + len(switched)}" in resumed.output
    assert _editions_searched(tmp_path / "data") == {name: {"2" if name in CHANGED else "1"} for name in CRASH_DOCS}
