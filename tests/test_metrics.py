"""Retrieval metrics on hand-made rankings with known answers."""

from __future__ import annotations

import math

import pytest

from eval.metrics import alqac_macro_f2, dedupe_ranked, f2, mrr_at_k, ndcg_at_k, percentile, recall_at_k


def test_dedupe_keeps_first_occurrence_order():
    assert dedupe_ranked(["a", "b", "a", "c", "b", "d"]) == ["a", "b", "c", "d"]
    assert dedupe_ranked([]) == []


def test_recall_is_a_hit_in_the_top_k():
    ranked = ["x", "y", "g", "z"]
    assert recall_at_k(ranked, {"g"}, 1) == 0.0
    assert recall_at_k(ranked, {"g"}, 2) == 0.0
    assert recall_at_k(ranked, {"g"}, 3) == 1.0
    assert recall_at_k(ranked, {"g", "other"}, 10) == 1.0  # hit recall: one gold of two is enough
    assert recall_at_k(ranked, {"missing"}, 10) == 0.0
    assert recall_at_k([], {"g"}, 5) == 0.0


def test_repeated_chunks_of_one_document_count_once():
    # three chunks of "x" would push the gold to position 4 of the raw list; distinct ranking puts it 2nd
    ranked = ["x", "x", "x", "g", "y"]
    assert recall_at_k(ranked, {"g"}, 2) == 1.0
    assert mrr_at_k(ranked, {"g"}, 10) == 0.5
    assert ndcg_at_k(ranked, {"g"}, 10) == pytest.approx(1 / math.log2(3))


def test_mrr_gold_at_rank_three_and_cut_off():
    ranked = ["a", "b", "g", "c"]
    assert mrr_at_k(ranked, {"g"}, 10) == pytest.approx(1 / 3)
    assert mrr_at_k(ranked, {"g"}, 2) == 0.0  # beyond the cut-off
    assert mrr_at_k(ranked, {"b", "g"}, 10) == 0.5  # the first gold counts
    assert mrr_at_k(ranked, {"none"}, 10) == 0.0


def test_ndcg_binary_relevance():
    assert ndcg_at_k(["g", "a"], {"g"}, 10) == 1.0
    assert ndcg_at_k(["a", "b", "g"], {"g"}, 10) == pytest.approx(0.5)  # 1/log2(4)
    # two gold documents at ranks 1 and 3: (1 + 1/log2 4) / (1 + 1/log2 3)
    assert ndcg_at_k(["g1", "a", "g2"], {"g1", "g2"}, 10) == pytest.approx(1.5 / (1 + 1 / math.log2(3)))
    # more gold than k: the ideal ranking is k hits
    assert ndcg_at_k(["g1"], {"g1", "g2", "g3"}, 1) == 1.0
    assert ndcg_at_k(["a", "b"], {"g"}, 10) == 0.0
    assert ndcg_at_k(["a"], set(), 10) == 0.0


def test_bad_k_is_refused():
    with pytest.raises(ValueError):
        recall_at_k(["a"], {"a"}, 0)


def test_f2_values():
    assert f2({"a"}, {"a"}) == 1.0
    assert f2({"a"}, {"b"}) == 0.0
    assert f2(set(), {"a"}) == 0.0  # empty prediction
    assert f2({"a"}, set()) == 0.0
    # P = 1/2, R = 1: 5 * 0.5 * 1 / (4 * 0.5 + 1) = 2.5 / 3
    assert f2({"a", "b"}, {"a"}) == pytest.approx(2.5 / 3)
    # P = 1, R = 1/2: 5 * 0.5 / (4 + 0.5) = 2.5 / 4.5 (recall weighs more than precision)
    assert f2({"a"}, {"a", "b"}) == pytest.approx(2.5 / 4.5)


def test_alqac_macro_f2_is_the_mean_of_per_query_f2():
    pairs = [({"a"}, {"a"}), ({"x"}, {"b"}), (set(), {"c"}), ({"d", "e"}, {"d"})]
    assert alqac_macro_f2(pairs) == pytest.approx((1 + 0 + 0 + 2.5 / 3) / 4)
    assert alqac_macro_f2([]) == 0.0


def test_percentile_interpolates():
    values = [10.0, 20.0, 30.0, 40.0]
    assert percentile(values, 0) == 10.0
    assert percentile(values, 100) == 40.0
    assert percentile(values, 50) == 25.0
    assert percentile([40.0, 10.0, 30.0, 20.0], 95) == pytest.approx(38.5)  # unsorted input
    assert percentile([7.0], 95) == 7.0
    with pytest.raises(ValueError):
        percentile([], 50)
