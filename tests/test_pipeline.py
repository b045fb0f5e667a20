"""Ingestion end to end on the embedded store with a fake embedder: idempotence, replacement, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.pipeline import Indexer
from retrieval.search import Searcher
from tests_support import HookedEmbedder

# synthetic fixture: a short decision and a short plan, written for these tests
DECISION = """QUYẾT ĐỊNH
Ban hành quy định thử nghiệm về tiêu chí xã mẫu

Điều 1. Phạm vi điều chỉnh
Quy định này áp dụng cho các xã tham gia thử nghiệm tiêu chí cây xanh.

Điều 2. Tiêu chí cây xanh
1. Mỗi thôn trồng ít nhất 500 cây xanh trong năm.
2. Tỷ lệ hộ gia đình tham gia chăm sóc cây đạt từ 80% trở lên.
"""
PLAN = """KẾ HOẠCH
Thực hiện phong trào làm đường giao thông nông thôn năm 2031

I. MỤC TIÊU
1. Hoàn thành 12 km đường bê tông liên thôn.
II. GIẢI PHÁP
1. Huy động người dân hiến đất làm đường.
"""


def _ctrl_c_after_32(embedder) -> None:
    if embedder.passages >= 32:
        raise KeyboardInterrupt  # Ctrl-C mid-way: stops the run, like a crash


@pytest.fixture
def corpus(tmp_path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "qd-cay-xanh.txt").write_text(DECISION, encoding="utf-8")
    (folder / "kh-giao-thong.md").write_text(PLAN, encoding="utf-8")
    return folder


def _top_text(store, embedder, query: str) -> str:
    hits = Searcher(store, embedder).search(query, limit=1, mode="sparse")
    return hits[0].text if hits else ""


def test_ingest_then_search_reports_sources_as_given(store, fake_embedder, corpus):
    report = Indexer(store, fake_embedder).ingest_paths([str(corpus)])
    assert len(report.added) == 2 and report.chunks >= 2 and not report.skipped
    hits = Searcher(store, fake_embedder).search("trồng cây xanh mỗi thôn", limit=3)
    assert hits[0].source == str(corpus / "qd-cay-xanh.txt")
    assert "500 cây xanh" in hits[0].text
    assert "Điều 2" in hits[0].path


def test_reingesting_unchanged_files_does_no_work(store, fake_embedder, corpus):
    Indexer(store, fake_embedder).ingest_paths([str(corpus)])
    counted = HookedEmbedder(fake_embedder)
    before = store.count()
    report = Indexer(store, counted).ingest_paths([str(corpus)])
    assert len(report.unchanged) == 2 and report.chunks == 0
    assert counted.passages == 0 and store.count() == before


def test_changed_file_replaces_its_chunks(store, fake_embedder, corpus):
    Indexer(store, fake_embedder).ingest_paths([str(corpus)])
    (corpus / "qd-cay-xanh.txt").write_text(DECISION.replace("500 cây", "700 cây"), encoding="utf-8")
    report = Indexer(store, fake_embedder).ingest_paths([str(corpus)])
    assert len(report.updated) == 1 and len(report.unchanged) == 1
    assert "700 cây" in _top_text(store, fake_embedder, "cây xanh mỗi thôn")
    assert store.count() == sum(r.chunk_count for r in store.documents().values())


def test_interrupted_replacement_keeps_the_previous_version_searchable(store, fake_embedder, corpus):
    Indexer(store, fake_embedder).ingest_paths([str(corpus)])
    old_docs = store.documents()
    long_decision = DECISION + "".join(f"\nĐiều {n}. Nội dung thử số {n}\nCây xanh loại {n}." for n in range(3, 80))
    (corpus / "qd-cay-xanh.txt").write_text(long_decision.replace("500 cây", "900 cây"), encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        Indexer(store, HookedEmbedder(fake_embedder, before_batch=_ctrl_c_after_32)).ingest_paths([str(corpus)])
    assert store.documents() == old_docs  # the switch never happened
    assert "500 cây" in _top_text(store, fake_embedder, "cây xanh mỗi thôn")
    # the next run finishes the job and removes the half-written version
    report = Indexer(store, fake_embedder).ingest_paths([str(corpus)])
    assert report.cleaned_versions == 1 and len(report.updated) == 1
    assert "900 cây" in _top_text(store, fake_embedder, "cây xanh mỗi thôn")
    assert store.count() == sum(r.chunk_count for r in store.documents().values())


def test_delete_by_id_number_or_source(store, fake_embedder, corpus):
    indexer = Indexer(store, fake_embedder)
    indexer.ingest_paths([str(corpus)])
    source = str(corpus / "kh-giao-thong.md")
    assert len(indexer.delete(source)) == 1
    assert indexer.delete(source) == []
    assert all(r.source != source for r in store.documents().values())
    assert "đường bê tông" not in _top_text(store, fake_embedder, "đường bê tông liên thôn")
    assert store.count() == sum(r.chunk_count for r in store.documents().values())


def test_same_content_under_another_path_is_skipped_as_duplicate(store, fake_embedder, corpus, tmp_path):
    other = tmp_path / "copy"
    other.mkdir()
    (other / "ban-sao.txt").write_text(DECISION, encoding="utf-8")
    report = Indexer(store, fake_embedder).ingest_paths([str(corpus), str(other)])
    assert [code for _, code, _ in report.skipped] == ["duplicate"]
    assert len(store.documents()) == 2


def test_bad_inputs_are_reported_and_nothing_stored_is_lost(store, fake_embedder, corpus, tmp_path):
    indexer = Indexer(store, fake_embedder, max_bytes=1024 * 1024)
    indexer.ingest_paths([str(corpus)])
    before = (store.documents(), store.count())
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "rong.txt").write_text("", encoding="utf-8")
    (bad / "bang.xlsx").write_bytes(b"PK\x03\x04 not really")
    (bad / "hong.pdf").write_bytes(b"%PDF-1.4 garbage that is not a pdf")
    with open(bad / "lon.pdf", "wb") as fh:  # sparse file: 200 MB on paper, nothing written
        fh.truncate(200 * 1024 * 1024)
    report = indexer.ingest_paths([str(bad), str(tmp_path / "khong-ton-tai")])
    codes = {Path(src).name: code for src, code, _ in report.skipped}
    assert codes["rong.txt"] == "empty"
    assert codes["bang.xlsx"] == "unsupported"
    assert codes["hong.pdf"] == "corrupt"
    assert codes["lon.pdf"] == "too_large"
    assert codes["khong-ton-tai"] == "not_found"
    assert all(reason for _, _, reason in report.skipped)
    assert (store.documents(), store.count()) == before


def test_a_folder_with_thousands_of_files(store, fake_embedder, tmp_path):
    folder = tmp_path / "nhieu"
    for i in range(2000):
        sub = folder / f"nhom-{i // 200}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"tb-{i}.txt").write_text(f"Thông báo số {i}/TB-UBND về việc họp thôn lần {i}.", encoding="utf-8")
    seen = []
    report = Indexer(store, fake_embedder).ingest_paths([str(folder)], progress=lambda it: seen.extend(it) or seen)
    assert len(seen) == 2000
    assert len(report.added) == 2000 and not report.skipped
    assert store.count() == 2000


def test_progress_within_a_big_file_advances_by_chunks(store, fake_embedder, tmp_path):
    # synthetic fixture: 120 articles, one chunk each, so the file is embedded in several batches
    path = tmp_path / "quy-dinh-dai.txt"
    path.write_text("\n\n".join(f"Điều {n}. Xã thử nghiệm số {n} trồng {n} cây xanh mỗi năm." for n in range(1, 121)),
                    encoding="utf-8")
    pulled: list[int] = []
    bars: list[tuple[int, str]] = []

    def chunk_bar(items, total, name):
        bars.append((total, name))
        for item in items:
            pulled.append(1)
            yield item

    counted = HookedEmbedder(fake_embedder)
    seen_at_batch: list[int] = []
    counted.before_batch = lambda e: seen_at_batch.append(len(pulled))
    report = Indexer(store, counted).ingest_paths([str(path)], chunks=chunk_bar)
    assert bars == [(report.chunks, "quy-dinh-dai.txt")] and report.chunks >= 100
    assert len(pulled) == report.chunks  # every chunk counted once
    # between two embedding batches the bar moved on, and before the last one it had not reached the end
    assert len(seen_at_batch) > 2 and all(a < b for a, b in zip(seen_at_batch, seen_at_batch[1:]))
    assert seen_at_batch[-1] < report.chunks
