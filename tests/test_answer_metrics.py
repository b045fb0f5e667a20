"""Answer metrics on hand-made outputs with known scores."""

from __future__ import annotations

import pytest

from eval.answer_metrics import (aggregate, citation_precision, citation_recall, fact_recall, invented_numbers,
                                 latency_summary, load_catalogue_texts, refusal_counts, score_question)

QD318 = "ntm/QD-318-2022-TTg.txt"
BEN_TRE = "seeds/ben-tre-2023.txt"
QUOTE = "Kế hoạch năm 2023 phấn đấu có thêm tối thiểu 15 xã đạt chuẩn nông thôn mới."
CARD = "Thẻ văn bản: Quyết định 318/QĐ-TTg. Ngày ký/thông qua: ngày 8 tháng 3 năm 2022. Gồm 19 tiêu chí."


def cite(key: str, quote: str = QUOTE, **extra) -> dict:
    return {"n": 1, "document_id": key, "number": None, "title": "Kế hoạch", "location": "Mục II", "page": None,
            "source": f"/corpus/{key}", "quote": quote, "score": 0.9, "source_key": key} | extra


def item(answerable=True, sources=(BEN_TRE,), facts=(("15", "mười lăm"),), category="fact") -> dict:
    return {"answerable": answerable, "expected_sources": list(sources), "answer_facts": [list(f) for f in facts],
            "category": category}


def output(answer: str, citations=(), answered=True) -> dict:
    return {"answer": answer, "answered": answered, "citations": list(citations), "as_of": "2024-06-01",
            "latency_ms": 120.0}


def test_a_number_found_in_no_evidence_is_flagged_as_invented():
    answer = "Bến Tre phấn đấu thêm 16 xã đạt chuẩn năm 2023 [1]."
    assert invented_numbers(answer, [QUOTE], [CARD]) == {"16"}
    scores = score_question(item(), output(answer, [cite(BEN_TRE)]), catalogue_texts=[CARD])
    assert scores["invented_numbers"] == ["16"]


def test_numbers_from_quotes_catalogue_and_citation_labels_are_not_invented():
    # the answer writes the date "08/3/2022"; the catalogue card spells it "ngày 8 tháng 3 năm 2022"
    answer = "Quyết định 318/QĐ-TTg ký ngày 08/3/2022 gồm 19 tiêu chí; Bến Tre thêm 15 xã năm 2023 (Mục II) [1]."
    assert invented_numbers(answer, [QUOTE], [CARD], extra=["Mục II"]) == set()
    assert invented_numbers(answer, [QUOTE], []) == {"2022-03-08", "318/qdttg", "19"}
    # the location "Điều 3" of a citation supports the "3" of "Điều 3" in the answer
    located = "Theo Điều 3, có 15 xã [1]."
    assert score_question(item(), output(located, [cite(BEN_TRE, location="Điều 3")]))["invented_numbers"] == []
    assert load_catalogue_texts()  # the real catalogue renders to cards


def test_citing_one_gold_and_one_other_source_halves_precision():
    cited = [BEN_TRE, "ntm/other.txt", BEN_TRE]  # the repeat of a source counts once
    assert citation_precision(cited, [BEN_TRE]) == 0.5
    assert citation_recall(cited, [BEN_TRE, QD318]) == 0.5
    assert citation_precision([], [BEN_TRE]) is None
    assert citation_recall([BEN_TRE], []) is None
    scores = score_question(item(), output("15 xã [1][2].", [cite(BEN_TRE), cite("ntm/other.txt")]))
    assert scores["citation_precision"] == 0.5 and scores["citation_recall"] == 1.0 and scores["fact_recall"] == 1.0


def test_fact_recall_accepts_an_alternative_and_keeps_numbers_literal():
    facts = [["15", "mười lăm"], ["Bến Tre"]]
    assert fact_recall("Tỉnh BẾN  TRE phấn đấu thêm mười lăm xã.", facts) == 1.0
    assert fact_recall("Bến Tre phấn đấu thêm 16 xã.", facts) == 0.5
    assert fact_recall("Năm 2015 Bến Tre ...", [["15"]]) == 0.0  # a part of a longer number is not the fact
    assert fact_recall("Tỷ lệ 56,4%", [["56,4"]]) == 1.0
    assert fact_recall("Tỷ lệ 56.4%", [["56,4"]]) == 0.0  # spellings are alternatives, not normalised
    assert fact_recall("Tỷ lệ 56,45%", [["56,4"]]) == 0.0
    assert fact_recall("anything", []) is None


def test_refusals_on_unanswerable_are_right_and_on_answerable_are_false():
    refusal = "Tài liệu hiện có chưa nêu thông tin này."
    right = score_question(item(answerable=False, facts=()), output(refusal, answered=False))
    wrong = score_question(item(), output(refusal, answered=False))
    assert right["refused"] and right["citation_precision"] is None and right["fact_recall"] is None
    assert wrong["refused"] and wrong["fact_recall"] == 0.0 and wrong["citation_recall"] == 0.0
    unanswerable = item(answerable=False, facts=())
    answered_unanswerable = score_question(unanswerable, output("Có 15 xã [1].", [cite(QD318)]))
    rows = [{"answerable": False, **right}, {"answerable": True, **wrong},
            {"answerable": False, **answered_unanswerable},
            {"answerable": True, **score_question(item(), output("15 xã [1].", [cite(BEN_TRE)]))}]
    counts = refusal_counts(rows)
    assert counts["refusal_precision"] == 0.5  # two refusals, one on an unanswerable
    assert counts["refusal_recall"] == counts["refusal_accuracy"] == 0.5
    assert counts["false_refusal_rate"] == 0.5
    assert refusal_counts([])["refusal_precision"] is None


def test_retrieval_scores_come_from_the_ranked_sources():
    out = output("15 xã [1].", [cite(BEN_TRE)]) | {"ranked_sources": ["a", "b", BEN_TRE]}
    scores = score_question(item(), out)
    assert scores["first_gold_rank"] == 3 and scores["recall@1"] == 0.0 and scores["recall@5"] == 1.0
    assert scores["mrr@10"] == pytest.approx(1 / 3)
    unanswerable = score_question(item(answerable=False, facts=()), out)
    assert unanswerable["recall@5"] is None and unanswerable["first_gold_rank"] is None


def test_aggregate_by_category_ignores_none():
    rows = [
        {"category": "fact", "answerable": True, "refused": False, "fact_recall": 1.0, "citation_precision": 1.0,
         "invented_numbers": []},
        {"category": "fact", "answerable": True, "refused": False, "fact_recall": 0.5, "citation_precision": None,
         "invented_numbers": ["16"]},
        {"category": "unanswerable", "answerable": False, "refused": True, "fact_recall": None,
         "citation_precision": None, "invented_numbers": []},
    ]
    agg = aggregate(rows)
    assert agg["overall"]["n"] == 3
    assert agg["overall"]["fact_recall"] == 0.75 and agg["overall"]["n_fact_recall"] == 2
    assert agg["overall"]["citation_precision"] == 1.0
    assert agg["overall"]["invented_number_rate"] == pytest.approx(1 / 3)
    assert agg["overall"]["decision_accuracy"] == 1.0
    assert agg["by_category"]["fact"]["fact_recall"] == 0.75 and agg["by_category"]["fact"]["n"] == 2
    assert agg["by_category"]["unanswerable"]["fact_recall"] is None
    assert agg["by_category"]["unanswerable"]["answered_rate"] == 0.0


def test_latency_summary():
    s = latency_summary([100.0, 200.0, 300.0, 400.0])
    assert s == {"p50": 250.0, "p95": pytest.approx(385.0), "max": 400.0, "mean": 250.0}
    assert latency_summary([])["p95"] is None


def test_a_refusal_gets_no_credit_for_facts_or_sources_its_closest_quotes_contain():
    item = {"answerable": True, "expected_sources": ["ntm/a.txt"], "answer_facts": [["12 xã"]]}
    output = {"answer": "Tài liệu hiện có chưa nêu …\n[1] …: “thêm 12 xã”", "answered": False,
              "citations": [{"source_key": "ntm/a.txt", "quote": "thêm 12 xã", "title": "", "number": None,
                             "location": ""}]}
    scores = score_question(item, output)
    assert scores["refused"] and scores["fact_recall"] == 0.0 and scores["citation_recall"] == 0.0
    assert scores["citation_precision"] is None
