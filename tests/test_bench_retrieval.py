"""Retrieval benchmark plumbing on a tiny made-up ALQAC-format corpus and dev set, with the hash embedder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval import alqac as alqac_mod
from eval import bench_retrieval as bench

pytestmark = pytest.mark.synthetic

# synthetic fixture: made-up articles of a made-up law, written for these tests
ARTICLES = {
    "99/2031/QH99::1": "Phạm vi điều chỉnh\n\nLuật này quy định về việc nuôi ong lấy mật tại các hợp tác xã miền núi.",
    "99/2031/QH99::2": "Đối tượng áp dụng\n\nLuật này áp dụng đối với tổ chức, cá nhân trồng rừng phòng hộ ven biển.",
    "99/2031/QH99::3": "Giải thích từ ngữ\n\nNhà văn hóa thôn là công trình phục vụ sinh hoạt cộng đồng của dân cư.",
    "99/2031/QH99::4": "Xử phạt vi phạm\n\nNgười đổ rác thải xuống kênh mương thủy lợi bị phạt tiền theo quy định.",
    # a long article, split into several pieces that all carry its doc_id
    "99/2031/QH99::5": "Trách nhiệm của xã\n\n" + "\n\n".join(
        f"{i}. Ủy ban nhân dân xã tổ chức kiểm tra đường giao thông liên thôn số {i} mỗi quý một lần, "
        "lập biên bản và báo cáo kết quả lên huyện trong thời hạn mười ngày làm việc." for i in range(1, 16)),
}
QUERIES = [
    {"qid": "s-1", "question": "Hợp tác xã nuôi ong lấy mật", "relevant": ["99/2031/QH99::1"], "answer": "x"},
    {"qid": "s-2", "question": "Đổ rác xuống kênh mương bị xử lý thế nào?", "relevant": ["99/2031/QH99::4"],
     "answer": "phạt tiền"},
    {"qid": "s-3", "question": "Ai kiểm tra đường giao thông liên thôn?", "relevant": ["99/2031/QH99::5"],
     "answer": "UBND xã"},
]


@pytest.fixture
def alqac_dir(tmp_path) -> Path:
    folder = tmp_path / "alqac"
    folder.mkdir()
    with open(folder / "corpus.jsonl", "w", encoding="utf-8") as fh:
        for doc_id, text in ARTICLES.items():
            law, _, art = doc_id.partition("::")
            fh.write(json.dumps({"doc_id": doc_id, "law_id": law, "article_id": art, "text": text},
                                ensure_ascii=False) + "\n")
    with open(folder / "queries.jsonl", "w", encoding="utf-8") as fh:
        for q in QUERIES:
            fh.write(json.dumps(q, ensure_ascii=False) + "\n")
    return folder


def test_loaders_and_splitting(alqac_dir):
    articles = alqac_mod.load_corpus(alqac_dir)
    queries = alqac_mod.load_queries(alqac_dir / "queries.jsonl")
    assert [a.doc_id for a in articles] == list(ARTICLES)
    assert articles[0].law_id == "99/2031/QH99" and articles[0].article_id == "1"
    assert queries[1].relevant == ("99/2031/QH99::4",) and queries[1].answer == "phạt tiền"
    long_text = ARTICLES["99/2031/QH99::5"]
    pieces = alqac_mod.split_article(long_text)
    assert len(pieces) > 1 and all(len(p) <= alqac_mod.MAX_PIECE_CHARS for p in pieces)
    assert "".join(pieces).replace("\n", "").replace(" ", "") == long_text.replace("\n", "").replace(" ", "")
    assert alqac_mod.split_article("ngắn") == ["ngắn"]
    # one paragraph with no breaks at all is still cut to size
    assert all(len(p) <= 100 for p in alqac_mod.split_article("chữ " * 200, max_chars=100))


def test_index_search_modes_and_cache_reuse(alqac_dir, tmp_path, fake_embedder, monkeypatch):
    calls = []
    real_index = alqac_mod.index_alqac

    def counting_index(*args, **kwargs):
        calls.append(1)
        return real_index(*args, **kwargs)

    monkeypatch.setattr(alqac_mod, "index_alqac", counting_index)
    work = tmp_path / "work"
    result = bench.run_alqac(alqac_dir, fake_embedder, work, progress=False)
    assert len(calls) == 1
    for mode in ("sparse", "hybrid"):  # words found in one article only: rank 1
        assert result.runs[mode].ranked["s-1"][0] == "99/2031/QH99::1"
        assert result.runs[mode].ranked["s-2"][0] == "99/2031/QH99::4"
    for mode in bench.MODES:
        for ranked in result.runs[mode].ranked.values():
            assert len(ranked) == len(set(ranked)) <= bench.K  # pieces of the long article count once
    assert "99/2031/QH99::5" in result.runs["sparse"].ranked["s-3"][:3]
    # every article has a registry row and a deterministic version; the long one has several points
    (folder,) = work.glob("alqac-*")
    info = json.loads((folder / bench.COMPLETE_MARKER).read_text(encoding="utf-8"))
    assert info["articles"] == 5 and info["points"] > 5

    again = bench.run_alqac(alqac_dir, fake_embedder, work, progress=False)
    assert len(calls) == 1, "the cached index must be reused"
    # (only rank 1 is compared: the engine's RRF breaks exact score ties in no fixed order)
    assert [again.runs["hybrid"].ranked[q][0] for q in ("s-1", "s-2")] == ["99/2031/QH99::1", "99/2031/QH99::4"]
    assert again.runs["sparse"].ranked == result.runs["sparse"].ranked
    assert "reused" in again.notes[0]


def test_a_question_naming_an_article_finds_it(tmp_path, fake_embedder):
    # Articles are embedded as the product embeds its chunks: law number and "Điều N" before the text, which
    # itself never says which article it is. Six articles with the same wording: only the path tells them apart.
    folder = tmp_path / "same"
    folder.mkdir()
    rows = [{"doc_id": f"98/2032/QH98::{n}", "law_id": "98/2032/QH98", "article_id": str(n),
             "text": "Báo cáo định kỳ\n\nỦy ban nhân dân xã báo cáo kết quả thực hiện hằng năm."} for n in range(1, 7)]
    (folder / "corpus.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    (article,) = [a for a in alqac_mod.load_corpus(folder) if a.article_id == "4"]
    version = alqac_mod.article_version(article, fake_embedder.name)
    (chunk,) = alqac_mod._chunks(article, version, alqac_mod.MAX_PIECE_CHARS, "corpus.jsonl", 0.0)
    assert chunk.embed_text.startswith("98/2032/QH98\nĐiều 4\n") and chunk.span.text == article.text
    query = bench.BenchQuery("s-9", "Theo Điều 4, xã báo cáo kết quả thế nào?", frozenset({"98/2032/QH98::4"}), "")
    store, _ = bench.open_alqac_index(folder / "corpus.jsonl", fake_embedder, tmp_path / "work", False)
    try:
        from retrieval.search import Searcher

        searcher = Searcher(store, fake_embedder)
        for mode in ("sparse", "hybrid"):
            run = bench.run_mode(searcher, [query], mode, lambda r: r.doc_id, progress=False)
            assert run.ranked["s-9"][0] == "98/2032/QH98::4", mode
    finally:
        store.close()


def test_point_ids_are_deterministic(alqac_dir, fake_embedder):
    (article,) = [a for a in alqac_mod.load_corpus(alqac_dir) if a.article_id == "1"]
    v1 = alqac_mod.article_version(article, fake_embedder.name)
    assert v1 == alqac_mod.article_version(article, fake_embedder.name)
    assert v1.startswith(article.doc_id + ":")
    assert alqac_mod.point_id(article.doc_id, 0, v1) == alqac_mod.point_id(article.doc_id, 0, v1)
    assert alqac_mod.point_id(article.doc_id, 0, v1) != alqac_mod.point_id(article.doc_id, 1, v1)


def test_scores_and_report(alqac_dir, tmp_path, fake_embedder):
    result = bench.run_alqac(alqac_dir, fake_embedder, tmp_path / "work", progress=False)
    s = bench.score(result.queries, result.runs["sparse"])
    assert s["R@1"] >= 2 / 3 and s["F2"] == s["R@1"]  # one gold, one prediction: F2 of top-1 is R@1
    report = bench.render([result], fake_embedder.name)
    assert "| BM25 (sparse) |" in report and "| hybrid (RRF) |" in report and "F2 (top-1)" in report
    assert "3 queries" in report


# synthetic fixture: a made-up seed article and a made-up decision under a tiny corpus root
SEED = "Bài báo thử nghiệm\n\nHuyện Thử Nghiệm hoàn thành xây dựng nhà văn hóa thôn cho tất cả các xã trong năm 2031."
DECISION = """QUYẾT ĐỊNH
Về việc thí điểm mô hình nuôi ong lấy mật

Điều 1. Phạm vi
Quyết định này quy định việc thí điểm mô hình nuôi ong lấy mật tại các xã miền núi.
"""


def test_dev_run_maps_sources_relative_to_the_corpus(tmp_path, fake_embedder):
    root = tmp_path / "corpus"
    (root / "seeds").mkdir(parents=True)
    (root / "ntm").mkdir()
    (root / "seeds" / "seed-a.txt").write_text(SEED, encoding="utf-8")
    (root / "ntm" / "QD-thu-nghiem.txt").write_text(DECISION, encoding="utf-8")
    dev = tmp_path / "dev.jsonl"
    rows = [
        {"id": "d1", "question": "thí điểm nuôi ong lấy mật", "category": "fact",
         "expected_sources": ["ntm/QD-thu-nghiem.txt"], "answer_facts": [["nuôi ong"]], "answerable": True,
         "reference_answer": "Thí điểm nuôi ong lấy mật ở xã miền núi."},
        {"id": "d2", "question": "nhà văn hóa thôn huyện Thử Nghiệm", "category": "which_document",
         "expected_sources": ["seeds/seed-a.txt"], "answer_facts": [["nhà văn hóa thôn"]], "answerable": True,
         "reference_answer": "Bài báo về huyện Thử Nghiệm."},
        {"id": "d3", "question": "câu hỏi ngoài phạm vi", "category": "unanswerable", "expected_sources": [],
         "answer_facts": [], "answerable": False, "reference_answer": "Không có trong kho."},
    ]
    dev.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    result = bench.run_dev(dev, root, fake_embedder, tmp_path / "work", progress=False)
    assert [q.qid for q in result.queries] == ["d1", "d2"]  # unanswerable items are not scored
    assert result.runs["sparse"].ranked["d1"][0] == "ntm/QD-thu-nghiem.txt"
    assert result.runs["sparse"].ranked["d2"][0] == "seeds/seed-a.txt"
    report = bench.render([result], fake_embedder.name)
    assert "Per category" in report and "| fact | 1 |" in report


def test_catalogue_cards_map_to_their_corpus_file(tmp_path):
    from types import SimpleNamespace

    from ntm.settings import Settings

    to_source = bench.dev_source_mapper(tmp_path, Path(Settings().knowledge_dir) / "catalogue.yaml")
    from knowledge.catalogue import load_catalogue

    entry = next(e for e in load_catalogue(Path(Settings().knowledge_dir) / "catalogue.yaml") if e.corpus_file)
    card = SimpleNamespace(doc_id=f"catalogue-{entry.id}", source=f"knowledge/catalogue.yaml#{entry.id}")
    assert to_source(card) == entry.corpus_file
    chunk = SimpleNamespace(doc_id="x", source=str(tmp_path / "ntm" / "a.txt"))
    assert to_source(chunk) == "ntm/a.txt"
