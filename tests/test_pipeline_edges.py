"""Ingestion edge cases found in review: duplicates that change, renames, headers, status, deletes, odd files."""

from __future__ import annotations

import os

import pytest
from qdrant_client import QdrantClient

from ingest.catalogue_index import index_catalogue
from ingest.pipeline import AmbiguousSelection, Indexer
from ntm.settings import Settings
from retrieval.search import Searcher
from retrieval.store import StoreError
from retrieval.store_edge import EdgeStore
from retrieval.store_server import ServerStore
from tests_support import HookedEmbedder

# synthetic fixtures
NOTICE = "Thông báo: đoàn kiểm tra làm việc tại xã Hòa An ngày 12/5/2031.\n"
HEADED = "Tiêu đề: Quyết định thử nghiệm\nSố hiệu: 12/QĐ-UBND\n" + "=" * 20 + "\nĐiều 1. Xã trồng 300 cây xanh.\n"


def _sources(store) -> set[str]:
    return {os.path.basename(r.source) for r in store.documents().values()}


def test_copy_is_indexed_once_its_twin_changes_or_is_renamed(store, fake_embedder, tmp_path):
    folder = tmp_path / "dup"
    folder.mkdir()
    (folder / "a.txt").write_text(NOTICE, encoding="utf-8")
    (folder / "b.txt").write_text(NOTICE, encoding="utf-8")
    indexer = Indexer(store, fake_embedder)
    first = indexer.ingest_paths([str(folder)])
    assert [code for _, code, _ in first.skipped] == ["duplicate"] and _sources(store) == {"a.txt"}
    (folder / "a.txt").write_text(NOTICE.replace("12/5", "20/6"), encoding="utf-8")
    second = indexer.ingest_paths([str(folder)])
    assert not second.skipped and _sources(store) == {"a.txt", "b.txt"}
    hits = Searcher(store, fake_embedder).search("đoàn kiểm tra xã Hòa An", limit=5, mode="sparse")
    assert any("12/5/2031" in h.text for h in hits) and any("20/6/2031" in h.text for h in hits)


def test_renamed_file_is_indexed_under_its_new_name_and_the_old_one_reported(store, fake_embedder, tmp_path):
    folder = tmp_path / "ren"
    folder.mkdir()
    (folder / "cu.txt").write_text(NOTICE, encoding="utf-8")
    indexer = Indexer(store, fake_embedder)
    indexer.ingest_paths([str(folder)])
    (folder / "cu.txt").rename(folder / "moi.txt")
    report = indexer.ingest_paths([str(folder)])
    assert report.added == [str(folder / "moi.txt")] and not report.skipped
    assert report.missing == [str(folder / "cu.txt")] and _sources(store) == {"cu.txt", "moi.txt"}
    pruned = indexer.ingest_paths([str(folder)], prune=True)
    assert pruned.pruned == [str(folder / "cu.txt")] and _sources(store) == {"moi.txt"}
    assert store.count() == sum(r.chunk_count for r in store.documents().values())


def test_header_only_edit_updates_the_metadata(store, fake_embedder, tmp_path):
    doc = tmp_path / "vb.txt"
    doc.write_text(HEADED, encoding="utf-8")
    indexer = Indexer(store, fake_embedder)
    indexer.ingest_paths([str(doc)])
    doc.write_text(HEADED.replace("12/QĐ-UBND", "99/QĐ-UBND"), encoding="utf-8")
    report = indexer.ingest_paths([str(doc)])
    assert report.updated == [str(doc)]
    assert [r.meta["number"] for r in store.documents().values()] == ["99/QĐ-UBND"]


def test_catalogue_status_change_reaches_indexed_documents(store, fake_embedder, tmp_path):
    doc = tmp_path / "vb.txt"
    doc.write_text(HEADED, encoding="utf-8")
    Indexer(store, fake_embedder, status_of=lambda n: "in_force").ingest_paths([str(doc)])
    report = Indexer(store, fake_embedder, status_of=lambda n: "replaced").ingest_paths([str(doc)])
    assert report.updated == [str(doc)]
    hit = Searcher(store, fake_embedder).search("trồng cây xanh", limit=1, mode="sparse")[0]
    assert hit.status == "replaced"


def test_delete_by_number_refuses_ambiguity_and_spares_catalogue_cards(store, fake_embedder, tmp_path):
    indexer = Indexer(store, fake_embedder)
    index_catalogue(indexer, Settings().knowledge_dir / "catalogue.yaml")
    for name in ("x.txt", "y.txt"):  # two provinces' documents can share a local number
        (tmp_path / name).write_text(HEADED.replace("300", str(len(name) + ord(name[0]))), encoding="utf-8")
    indexer.ingest_paths([str(tmp_path / "x.txt"), str(tmp_path / "y.txt")])
    with pytest.raises(AmbiguousSelection) as err:
        indexer.delete("12/QĐ-UBND")
    assert len(err.value.matches) == 2 and {"x.txt", "y.txt"} <= _sources(store)
    assert len(indexer.delete("12/QĐ-UBND", allow_many=True)) == 2
    doc_id = next(r.doc_id for r in store.documents().values() if r.meta.get("number") == "318/QĐ-TTg")
    assert indexer.delete("318/QĐ-TTg") == []  # number alone never removes a card
    assert indexer.delete(doc_id) == [doc_id]


def test_file_named_like_the_catalogue_survives_the_catalogue_pass(store, fake_embedder, tmp_path):
    (tmp_path / "Catalogue văn bản xã.txt").write_text(NOTICE, encoding="utf-8")
    indexer = Indexer(store, fake_embedder)
    indexer.ingest_paths([str(tmp_path)])
    index_catalogue(indexer, Settings().knowledge_dir / "catalogue.yaml")
    assert "Catalogue văn bản xã.txt" in _sources(store)


def test_links_loops_and_pipes_are_reported_and_the_run_goes_on(store, fake_embedder, tmp_path):
    folder = tmp_path / "odd"
    folder.mkdir()
    (folder / "ok.txt").write_text(NOTICE, encoding="utf-8")
    os.symlink(folder / "missing.txt", folder / "broken.txt")
    os.symlink(folder / "loop2.txt", folder / "loop1.txt")
    os.symlink(folder / "loop1.txt", folder / "loop2.txt")
    os.mkfifo(folder / "pipe.txt")
    report = Indexer(store, fake_embedder).ingest_paths([str(folder)])
    assert report.added == [str(folder / "ok.txt")]
    skipped = {os.path.basename(s) for s, _, _ in report.skipped}
    assert {"broken.txt", "loop1.txt", "loop2.txt", "pipe.txt"} <= skipped


def test_loader_warnings_reach_the_report(store, fake_embedder, tmp_path, cp1258):
    (tmp_path / "cu.txt").write_bytes(cp1258("Xã Hòa An đạt chuẩn nông thôn mới năm 2031."))
    report = Indexer(store, fake_embedder).ingest_paths([str(tmp_path / "cu.txt")])
    assert report.added and any("cp1258" in w for _, w in report.warnings)


def test_damaged_registry_is_a_clear_store_error(tmp_path):
    EdgeStore(tmp_path / "s").close()
    (tmp_path / "s" / "registry.sqlite").write_bytes(b"this is not a database" * 100)
    for extra in ("registry.sqlite-wal", "registry.sqlite-shm"):
        (tmp_path / "s" / extra).unlink(missing_ok=True)
    with pytest.raises(StoreError, match="registry"):
        EdgeStore(tmp_path / "s")


def test_server_cleanup_spares_a_version_another_process_is_writing(fake_embedder, tmp_path):
    client = QdrantClient(":memory:")
    other = Indexer(ServerStore(client, "c"), fake_embedder, gc_grace_seconds=3600)
    writer_store = ServerStore(client, "c")

    def other_process_runs_during_second_batch(embedder) -> None:
        if embedder.calls == 1:
            other.ingest_paths([])

    hooked = HookedEmbedder(fake_embedder, before_batch=other_process_runs_during_second_batch)
    writer = Indexer(writer_store, hooked, gc_grace_seconds=3600)
    (tmp_path / "long.txt").write_text("QUYẾT ĐỊNH\n" + "".join(
        f"Điều {n}. Nội dung {n}\nMỗi thôn trồng {n} cây xanh.\n" for n in range(1, 80)), encoding="utf-8")
    writer.ingest_paths([str(tmp_path / "long.txt")])
    (record,) = writer_store.documents().values()
    assert writer_store.count() == record.chunk_count > 32


def test_server_search_sees_an_update_made_by_another_process(fake_embedder, tmp_path):
    client = QdrantClient(":memory:")
    doc = tmp_path / "tb.txt"
    doc.write_text(NOTICE, encoding="utf-8")
    writer = Indexer(ServerStore(client, "c"), fake_embedder)
    writer.ingest_paths([str(doc)])
    searcher = Searcher(ServerStore(client, "c"), fake_embedder, refresh_every=30.0)
    assert "12/5/2031" in searcher.search("xã Hòa An", mode="sparse")[0].text
    doc.write_text(NOTICE.replace("12/5", "20/6"), encoding="utf-8")
    writer.ingest_paths([str(doc)])
    assert "20/6/2031" in searcher.search("xã Hòa An", mode="sparse")[0].text
