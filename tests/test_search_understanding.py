"""Search with query understanding on a real embedded store: unaccented questions, named documents, diversity."""

from __future__ import annotations

import pytest
from qdrant_client import QdrantClient

from ntm.services import build_services
from ntm.settings import Settings
from retrieval.filters import BadFilter, Filters, to_search_filter
from retrieval.fusion import rrf_fuse
from retrieval.search import Searcher
from retrieval.store import Hit
from retrieval.store_server import ServerStore

pytestmark = pytest.mark.synthetic

# synthetic fixture: three made-up documents
INCOME = """Số: 77/KH-UBND
KẾ HOẠCH
Nâng cao thu nhập cho cư dân nông thôn

1. Thu nhập bình quân đầu người của xã phải tăng đều mỗi năm.
2. Xã tổ chức lớp nghề cho lao động nông thôn.
"""
ROADS = """Số: 88/KH-UBND
KẾ HOẠCH
Làm đường giao thông liên thôn

1. Đường trục thôn được cứng hóa, có rãnh thoát nước.
2. Thu nhập từ dịch vụ vận tải được khuyến khích.
"""
LONG = "Số: 99/KH-UBND\nKẾ HOẠCH\nChợ nông thôn\n\n" + "\n".join(
    f"{i}. Chợ nông thôn số {i} được sửa chữa mái che và khu vệ sinh." for i in range(1, 40))


@pytest.fixture(params=["embedded", "server"])
def services(request, tmp_path, fake_embedder):
    for name, text in (("thu-nhap.txt", INCOME), ("giao-thong.txt", ROADS), ("cho.txt", LONG)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", qdrant_url=None)
    store = ServerStore(QdrantClient(":memory:"), "t") if request.param == "server" else None
    services = build_services(settings, embedder=fake_embedder, store=store)
    services.indexer.ingest_paths([str(tmp_path / n) for n in ("thu-nhap.txt", "giao-thong.txt", "cho.txt")])
    services.searcher.refresh()
    yield services
    services.close()


def test_a_question_typed_without_diacritics_finds_the_accented_text(services):
    hits = services.searcher.search("thu nhap binh quan dau nguoi cua xa", limit=3, mode="sparse")
    assert hits and hits[0].source.endswith("thu-nhap.txt")


def test_naming_a_document_ranks_its_chunks_first(services):
    plain = services.searcher.search("thu nhập", limit=3, mode="sparse")
    assert plain[0].source.endswith("thu-nhap.txt")
    # dense mode: only the boosted prefetch (not the words) can bring the named document to the top
    for typed in ("thu nhập theo kế hoạch 88/KH-UBND", "thu nhập theo KH 88"):
        named = services.searcher.search(typed, limit=3, mode="dense")
        assert named[0].number == "88/KH-UBND"


def test_one_long_document_does_not_fill_every_slot(services):
    hits = services.searcher.search("chợ nông thôn thu nhập đường", limit=5, mode="sparse")
    per_doc = [h.doc_id for h in hits]
    assert max(per_doc.count(d) for d in per_doc) <= 2
    assert len(set(per_doc)) == 3


def test_filters_resolve_any_spelling_and_reject_what_matches_nothing(services):
    records = services.store.documents()
    flt = to_search_filter(Filters(document="88/kh-ubnd"), records)
    hits = services.searcher.search("thu nhập", limit=5, flt=flt)
    assert hits and {h.number for h in hits} == {"88/KH-UBND"}
    for bad in (Filters(document="12345/XYZ"), Filters(doc_type="Sắc lệnh"), Filters(period="2030-2020"),
                Filters(status="magic"), Filters(year=3000)):
        with pytest.raises(BadFilter) as err:
            to_search_filter(bad, records)
        assert err.value.message


@pytest.mark.parametrize("fusion", ["dbsf", "rrf", "engine-rrf"])
def test_every_fusion_finds_the_named_document_and_ranks_the_same_way_twice(services, fusion):
    searcher = Searcher(services.store, services.embedder, fusion=fusion)
    first = searcher.search("thu nhập theo kế hoạch 88/KH-UBND", limit=3)
    assert first[0].number == "88/KH-UBND"
    if fusion != "engine-rrf":
        assert [h.chunk_id for h in searcher.search("thu nhập theo kế hoạch 88/KH-UBND", limit=3)] == \
            [h.chunk_id for h in first]


def test_rrf_ties_go_to_the_bm25_list_then_the_id():
    a, b, c = (Hit(i, 0.0, {}) for i in "abc")
    # a: rank 1 in BM25, 2 in dense; b: the mirror image; equal RRF scores
    fused = rrf_fuse([[a, b], [b, a, c]], limit=3)
    assert [h.id for h in fused] == ["a", "b", "c"]
    assert fused[0].score == pytest.approx(1 / 61 + 1 / 62)


def test_an_unknown_fusion_is_refused():
    with pytest.raises(ValueError, match="unknown fusion"):
        Searcher(None, None, fusion="magic")  # type: ignore[arg-type]
