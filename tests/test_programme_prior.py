"""Programme documents before general pages of the same relevance, one copy of a passage published twice, and the
one-time count of programme mentions for a store written before it existed (no text embedded again)."""

from __future__ import annotations

import pytest
from qdrant_client import QdrantClient

from ingest.pipeline import Indexer
from knowledge.catalogue import load_catalogue
from knowledge.programme import CHARS_KEY, MENTIONS_KEY, on_programme, programme_mentions
from retrieval.fusion import dbsf_fuse
from retrieval.hit_order import is_copy
from retrieval.search import Searcher
from retrieval.store import DocRecord, Hit, SearchFilter
from retrieval.store_edge import EdgeStore
from retrieval.store_server import ServerStore
from tests_support import HookedEmbedder

pytestmark = pytest.mark.synthetic  # every text here is written for these tests

# A commune's programme plan and an encyclopedia-style page on the same market: the page repeats the asked words
# more often, so without the prior it ranks first.
PLAN = """Số: 41/KH-UBND
KẾ HOẠCH
Xây dựng nông thôn mới xã Thử Nghiệm năm 2031

1. Chợ xã được nâng cấp mái che và khu vệ sinh trong năm 2031.
2. Xã đạt chuẩn tiêu chí cơ sở hạ tầng thương mại nông thôn.
"""
PAGE = """Chợ Thử Nghiệm

Chợ Thử Nghiệm là chợ xã lâu đời. Chợ xã có mái che, khu vệ sinh và bãi xe; chợ xã họp mỗi sáng.
"""
# A numbered act that never names the programme, as relevant as the page: it keeps its score.
ACT = """Số: 17/TB-BKX
THÔNG BÁO
Chợ Thử Nghiệm

Chợ Thử Nghiệm là chợ xã lâu đời. Chợ xã có mái che, khu vệ sinh và bãi xe; chợ xã họp mỗi sáng.
"""
# The same passage on two general pages under different headings (a quiz page and its answer page).
QUIZ = "Câu hỏi cuộc thi tìm hiểu pháp luật năm 2031"
COPY = ("Ngày 11/6/2031, Ủy ban nhân dân tỉnh Thử Nghiệm phát động cuộc thi trực tuyến tìm hiểu pháp luật về "
        "trật tự an toàn giao thông; cuộc thi kéo dài bảy ngày, mỗi tuần có giải nhất, giải nhì và giải ba.")
CONTEST = "Kế hoạch số 9/KH-UBND\n\nCuộc thi tìm hiểu nông thôn mới năm 2031 kéo dài ba tuần.\n"


def test_mentions_are_counted_with_or_without_diacritics_and_as_the_abbreviation():
    assert programme_mentions("Xây dựng Nông thôn mới; xa dat chuan nong thon moi; NTM nâng cao") == 3
    assert programme_mentions("nông thôn, mới đây; NTMX; chương trình OCOP") == 0
    assert programme_mentions("xây dựng nông\nthôn  mới") == 1  # a line break inside the name, as in PDF text


def test_a_document_belongs_when_catalogued_a_card_or_about_the_programme_and_an_old_row_is_unknown():
    catalogue = load_catalogue()
    catalogued = next(e.number for e in catalogue if e.level == "central")
    local = next(e.number for e in catalogue if e.level == "local")
    assert on_programme({"number": catalogued, MENTIONS_KEY: 0, CHARS_KEY: 4000}, catalogue) is True
    assert on_programme({"kind": "catalogue"}, catalogue) is True
    assert on_programme({"number": "17/TB-BKX", MENTIONS_KEY: 2, CHARS_KEY: 9000}, catalogue) is True
    # an encyclopedia article naming the programme once in 15,000 characters is not about it
    assert on_programme({"number": None, MENTIONS_KEY: 1, CHARS_KEY: 15000}, catalogue) is False
    assert on_programme({"number": "17/TB-BKX", MENTIONS_KEY: 0, CHARS_KEY: 900}, catalogue) is False
    assert on_programme({"number": "17/TB-BKX"}, catalogue) is None
    # a provincial number repeats across provinces: catalogued elsewhere says nothing of this one
    assert on_programme({"number": local, MENTIONS_KEY: 0, CHARS_KEY: 900}, catalogue) is False


@pytest.fixture(params=["embedded", "server"])
def store(request, tmp_path):
    s = ServerStore(QdrantClient(":memory:"), "t") if request.param == "server" else EdgeStore(tmp_path / "s")
    yield s
    s.close()


def _ingest(store, embedder, tmp_path, files: dict[str, str]):
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return Indexer(store, embedder).ingest_paths([str(tmp_path / name) for name in files])


def test_the_programme_plan_outranks_a_page_that_only_repeats_the_words_more(store, fake_embedder, tmp_path):
    _ingest(store, fake_embedder, tmp_path, {"ke-hoach.txt": PLAN, "trang.txt": PAGE})
    question = "chợ xã có mái che và khu vệ sinh không"
    unweighted = Searcher(store, fake_embedder, off_programme_weight=1.0).search(question, limit=2, mode="sparse")
    assert [h.title for h in unweighted] == ["Chợ Thử Nghiệm", PLAN.splitlines()[2]]  # the words favour the page
    hits = Searcher(store, fake_embedder).search(question, limit=2, mode="sparse")
    assert [h.title for h in hits] == [PLAN.splitlines()[2], "Chợ Thử Nghiệm"]


def test_a_numbered_act_outside_the_programme_keeps_its_place(store, fake_embedder, tmp_path):
    _ingest(store, fake_embedder, tmp_path, {"ke-hoach.txt": PLAN, "thong-bao.txt": ACT})
    hits = Searcher(store, fake_embedder).search("chợ xã có mái che và khu vệ sinh không", limit=2, mode="sparse")
    assert hits[0].number == "17/TB-BKX"  # a law or decree may be what answers, whether or not it names NTM


def test_a_passage_published_on_two_pages_takes_one_place(store, fake_embedder, tmp_path):
    _ingest(store, fake_embedder, tmp_path, {
        "de-thi.txt": f"{QUIZ}\n\n{COPY}\n", "dap-an.txt": f"Đáp án: {QUIZ}\n\n{COPY}\n",
        "ke-hoach-thi.txt": CONTEST})
    hits = Searcher(store, fake_embedder).search("cuộc thi trực tuyến tìm hiểu pháp luật kéo dài mấy ngày",
                                                 limit=3, mode="sparse")
    sources = [h.source.rsplit("/", 1)[-1] for h in hits]
    assert len([s for s in sources if s in ("de-thi.txt", "dap-an.txt")]) == 1
    assert "ke-hoach-thi.txt" in sources  # the freed place goes to the next document


def test_numbered_documents_repeating_a_passage_both_keep_their_place(store, fake_embedder, tmp_path):
    _ingest(store, fake_embedder, tmp_path, {  # an amendment quoting the clause of the act it amends
        "goc.txt": f"Số: 5/QĐ-UBND\nQUYẾT ĐỊNH\n\n{COPY}\n", "sua.txt": f"Số: 6/QĐ-UBND\nQUYẾT ĐỊNH\n\n{COPY}\n"})
    hits = Searcher(store, fake_embedder).search("cuộc thi trực tuyến tìm hiểu pháp luật", limit=3, mode="sparse")
    assert {h.number for h in hits} == {"5/QĐ-UBND", "6/QĐ-UBND"}


def test_a_store_written_before_the_count_gets_it_on_the_next_ingest_without_embedding_again(
        tmp_path, fake_embedder):
    store = EdgeStore(tmp_path / "s")
    try:
        _ingest(store, fake_embedder, tmp_path, {"ke-hoach.txt": PLAN, "trang.txt": PAGE})
        for rec in store.documents().values():  # as an older version of the project wrote the rows
            store.put_document(DocRecord(rec.doc_id, rec.version, rec.source, rec.chunk_count,
                                         {k: v for k, v in rec.meta.items()
                                          if k not in (MENTIONS_KEY, CHARS_KEY, "read_version")}))
        question = "chợ xã có mái che và khu vệ sinh không"
        assert Searcher(store, fake_embedder).search(question, limit=1, mode="sparse")[0].number is None  # the page
        counting = HookedEmbedder(fake_embedder)
        report = Indexer(store, counting).ingest_paths([str(tmp_path / "ke-hoach.txt"), str(tmp_path / "trang.txt")])
        assert counting.passages == 0 and len(report.unchanged) == 2
        assert {r.meta[MENTIONS_KEY] > 0 for r in store.documents().values()} == {False, True}
        assert Searcher(store, fake_embedder).search(question, limit=1, mode="sparse")[0].number == "41/KH-UBND"
    finally:
        store.close()


def test_the_searchers_own_fusion_ranks_and_scores_as_the_engine_with_filters_and_named_documents(
        store, fake_embedder, tmp_path):
    _ingest(store, fake_embedder, tmp_path, {"ke-hoach.txt": PLAN, "trang.txt": PAGE, "thi.txt": CONTEST,
                                             "de-thi.txt": f"{QUIZ}\n\n{COPY}\n", "thong-bao.txt": ACT})
    searcher = Searcher(store, fake_embedder)
    vectors = searcher.encode(searcher.plan("chợ xã có mái che, cuộc thi năm 2031 kéo dài mấy ngày"))
    assert searcher._mixed(None)  # programme documents and general pages: the fusion is computed here
    for flt, boost in ((None, None), (SearchFilter({"doc_type": ["Kế hoạch"]}), None),
                       (None, SearchFilter({"number": ["17/TB-BKX"]}))):
        engine = store.query(vectors.dense, vectors.sparse, 10, flt, boost, fusion="dbsf")
        here = searcher._query(vectors.dense, vectors.sparse, 10, flt, boost, searcher._mixed(flt))  # all in depth
        assert engine and [h.id for h in here] == [h.id for h in engine]
        assert [round(h.score, 4) for h in here] == [round(h.score, 4) for h in engine]
        assert [h.payload for h in here] == [h.payload for h in engine]


def test_a_joined_chunk_far_below_a_list_scores_nothing_there_not_less():
    tight = [Hit(f"p{i}", 0.86 - i * 0.0015, {}) for i in range(40)]  # general pages, close together
    sparse = [Hit("plan", 9.0, {}), *[Hit(f"p{i}", 5.0 - i * 0.1, {}) for i in range(40)]]
    alone = dbsf_fuse([[], sparse], 50)
    joined = dbsf_fuse([tight, sparse], 50, joining=[[Hit("plan", 0.74, {})]])  # far under the pages' spread
    assert dict((h.id, h.score) for h in joined)["plan"] == pytest.approx(dict((h.id, h.score) for h in alone)["plan"])


def test_a_template_filled_with_other_figures_is_not_a_copy_and_a_programme_page_is_never_dropped():
    text = ("Tỉnh hỗ trợ mỗi xã đạt chuẩn {} triệu đồng để hoàn thiện hạ tầng giao thông, trường học, trạm y tế, "
            "nhà văn hóa và chợ; xã nhận hỗ trợ phải báo cáo kết quả trước ngày 30 tháng 6 hằng năm.")
    kept = [Hit("a", 1.0, {"doc_id": "quang-nam", "text": text.format(500)})]
    assert not is_copy(Hit("b", 0.9, {"doc_id": "ben-tre", "text": text.format(300)}), kept, off_programme=set())
    assert is_copy(Hit("b", 0.9, {"doc_id": "ban-sao", "text": "Bản sao. " + text.format(500)}), kept, set())
    # the kept page is general, the copy is the programme's own: the programme's text keeps its place
    assert not is_copy(Hit("b", 0.9, {"doc_id": "ntm", "text": text.format(500)}), kept, {"quang-nam"})


class _CrowdedStore:
    """Fake store: general pages fill every global list; only a search narrowed to the programme's documents finds
    the plan (as when 14k pages outnumber the programme's texts)."""

    def __init__(self) -> None:
        meta = {"kind": "document", MENTIONS_KEY: 0, CHARS_KEY: 900}
        self.records = {f"page-{i}": DocRecord(f"page-{i}", f"page-{i}:v", f"p{i}.txt", 1, meta) for i in range(60)}
        self.records["plan"] = DocRecord("plan", "plan:v", "plan.txt", 1,
                                         {"kind": "document", MENTIONS_KEY: 3, CHARS_KEY: 2000})

    def documents(self):
        return self.records

    def _hits(self, flt):
        if flt is not None and "doc_id" in flt.must:
            return [Hit("plan-0", 0.55, {"doc_id": "plan", "doc_version": "plan:v", "text": PLAN})]
        return [Hit(f"page-{i}-0", 0.9 - i * 0.005, {"doc_id": f"page-{i}", "doc_version": f"page-{i}:v",
                                                     "text": f"Trang {i} " * 5}) for i in range(60)]

    def query(self, dense, sparse, limit, flt=None, boost=None, fusion="rrf", payload=True):
        return [h if payload else Hit(h.id, h.score, {}) for h in self._hits(flt)[:limit]]

    def payloads(self, ids):
        return {h.id: h.payload for h in self._hits(None) + self._hits(SearchFilter({"doc_id": ["plan"]}))
                if h.id in ids}


def test_the_programme_plan_joins_the_candidates_when_pages_fill_the_global_depth(fake_embedder):
    store = _CrowdedStore()
    unweighted = Searcher(store, fake_embedder, off_programme_weight=1.0).search("chợ xã", limit=70, mode="dense")
    assert "plan" not in [h.doc_id for h in unweighted]  # no place in any list of the engine's
    hits = Searcher(store, fake_embedder).search("chợ xã", limit=70, mode="dense")
    assert [h.doc_id for h in hits].count("plan") == 1
