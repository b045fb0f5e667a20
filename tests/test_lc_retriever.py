"""The LangChain retriever returns the project's search results as Documents with citation metadata."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document

from ntm.services import build_services
from ntm.settings import Settings
from retrieval.lc_retriever import NTMRetriever

pytestmark = pytest.mark.synthetic

# synthetic fixture: two made-up letters on unrelated topics
WATER = """CÔNG VĂN
V/v thử nghiệm cấp nước sạch tập trung

1. Các xã rà soát công trình cấp nước sạch tập trung, bảo đảm hộ dân được dùng nước hợp vệ sinh.
2. Đơn vị quản lý công trình nước sạch báo cáo chất lượng nước mỗi quý.
"""
ROADS = """CÔNG VĂN
V/v thử nghiệm bê tông hóa đường giao thông nông thôn

1. Các thôn lập danh mục tuyến đường trục thôn cần bê tông hóa.
2. Mặt đường bê tông rộng tối thiểu 3 mét, có rãnh thoát nước hai bên.
"""


@pytest.fixture
def services(tmp_path, fake_embedder):
    (tmp_path / "docs").mkdir()
    (tmp_path / "knowledge").mkdir()  # no catalogue: only the two letters are indexed
    (tmp_path / "docs" / "nuoc-sach.txt").write_text(WATER, encoding="utf-8")
    (tmp_path / "docs" / "duong.txt").write_text(ROADS, encoding="utf-8")
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", knowledge_dir=tmp_path / "knowledge",
                        qdrant_url=None)
    services = build_services(settings, embedder=fake_embedder)
    try:
        report = services.indexer.ingest_paths([str(tmp_path / "docs" / "nuoc-sach.txt"),
                                                str(tmp_path / "docs" / "duong.txt")])
        assert not report.skipped
        services.searcher.refresh()
        yield services
    finally:
        services.close()


@pytest.mark.parametrize("mode", ["hybrid", "sparse"])
def test_retriever_returns_documents_from_the_right_file(services, mode):
    retriever = NTMRetriever(searcher=services.searcher, k=2, mode=mode)
    docs = retriever.invoke("bê tông hóa đường trục thôn")
    assert 1 <= len(docs) <= 2 and all(isinstance(d, Document) for d in docs)
    top = docs[0]
    assert top.metadata["source"].endswith("duong.txt")
    assert "bê tông" in top.page_content
    assert set(top.metadata) == {"doc_id", "number", "title", "path", "page", "source", "score", "chunk_id",
                                 "status", "location"}
    assert top.metadata["chunk_id"] and top.metadata["doc_id"] and top.metadata["location"]
    water = retriever.invoke("chất lượng nước sạch tập trung")
    assert water[0].metadata["source"].endswith("nuoc-sach.txt")


def test_retriever_k_limits_the_results(services):
    assert len(NTMRetriever(searcher=services.searcher, k=1).invoke("công văn thử nghiệm")) == 1
