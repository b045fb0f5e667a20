"""End to end on the real corpus in ../shared with the real model (skipped when ../shared is absent)."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.shared, pytest.mark.model]


@pytest.fixture(scope="module")
def indexed(shared_services):
    services, report = shared_services
    return services.store, services.indexer, report, services.searcher


def test_every_corpus_file_is_ingested(indexed, shared_dir):
    store, _, report, _ = indexed
    files = [p for p in (shared_dir / "corpus").rglob("*") if p.is_file() and p.suffix in (".txt", ".md")]
    assert report.skipped == []
    sources = {rec.source for rec in store.documents().values()}
    assert sum(s.startswith(str(shared_dir)) for s in sources) == len(files)


def test_header_numbers_become_document_metadata(indexed, shared_dir):
    store, *_ = indexed
    by_source = {rec.source: rec for rec in store.documents().values()}
    for path in (shared_dir / "corpus" / "ntm").glob("*.txt"):
        header_number = next(line.split(":", 1)[1].strip() for line in path.read_text(encoding="utf-8").splitlines()
                             if line.startswith("Số hiệu:"))
        assert by_source[str(path)].meta["number"] == header_number


def test_merged_units_question_finds_official_letter_267(indexed):
    *_, searcher = indexed
    hits = searcher.search("công văn hướng dẫn xã hình thành sau sắp xếp", limit=5)
    assert "267/BNN-VPĐP" in [h.number for h in hits]
    assert any("267/BNN-VPĐP" in h.text or h.number == "267/BNN-VPĐP" for h in hits[:3])


def test_seed_plan_figures_are_findable_with_their_source(indexed, shared_dir):
    *_, searcher = indexed
    hits = searcher.search("Bến Tre năm 2023 phấn đấu công nhận thêm bao nhiêu xã đạt chuẩn nông thôn mới", limit=5)
    seed_hits = [h for h in hits if h.source.startswith(str(shared_dir / "corpus" / "seeds"))]
    assert seed_hits and any("15 xã" in h.text for h in seed_hits)


def test_reingesting_the_corpus_writes_nothing(indexed, shared_dir):
    store, indexer, _, _ = indexed
    before = store.count()
    again = indexer.ingest_paths([str(shared_dir / "corpus" / "seeds"), str(shared_dir / "corpus" / "ntm")])
    assert again.chunks == 0 and not again.added and not again.updated
    assert store.count() == before
