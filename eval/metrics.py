"""Retrieval metrics on ranked id lists: hit recall, MRR, binary nDCG, ALQAC's F2, percentiles.

A ranking may name one document several times (several chunks of it): every ranking metric here
first keeps only the first occurrence of each id (`dedupe_ranked`), so k counts distinct documents.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Iterable, Sequence


def dedupe_ranked(ids: Iterable[Hashable]) -> list:
    """The ids in ranking order with repeats dropped (first occurrence kept)."""
    seen: set = set()
    out = []
    for i in ids:
        if i not in seen:
            seen.add(i)
            out.append(i)
    return out


def _top(ranked_ids: Iterable[Hashable], k: int) -> list:
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    return dedupe_ranked(ranked_ids)[:k]


def recall_at_k(ranked_ids: Iterable[Hashable], gold_ids: Collection[Hashable], k: int) -> float:
    """Hit recall: 1.0 if any gold id is among the top k distinct ids, else 0.0 (the usual "Recall@k" of QA sets)."""
    gold = set(gold_ids)
    return 1.0 if any(i in gold for i in _top(ranked_ids, k)) else 0.0


def mrr_at_k(ranked_ids: Iterable[Hashable], gold_ids: Collection[Hashable], k: int) -> float:
    """Reciprocal rank of the first gold id among the top k distinct ids (0.0 when none is there)."""
    gold = set(gold_ids)
    for rank, i in enumerate(_top(ranked_ids, k), start=1):
        if i in gold:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranked_ids: Iterable[Hashable], gold_ids: Collection[Hashable], k: int) -> float:
    """nDCG@k with binary relevance (gain 1 per gold id, discount log2(rank + 1)); 0.0 when there is no gold."""
    gold = set(gold_ids)
    if not gold:
        return 0.0
    dcg = sum(1.0 / math.log2(rank + 1) for rank, i in enumerate(_top(ranked_ids, k), start=1) if i in gold)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(gold), k) + 1))
    return dcg / ideal


def f2(predicted: Collection[Hashable], gold: Collection[Hashable]) -> float:
    """F2 (recall weighted 4x precision) of one predicted set against the gold set; 0.0 if either is empty."""
    pred, truth = set(predicted), set(gold)
    correct = len(pred & truth)
    if not pred or not truth or not correct:
        return 0.0
    precision, recall = correct / len(pred), correct / len(truth)
    return 5 * precision * recall / (4 * precision + recall)


def alqac_macro_f2(pairs: Iterable[tuple[Collection[Hashable], Collection[Hashable]]]) -> float:
    """ALQAC task-1 score: the mean over queries of per-query F2, given (predicted, gold) sets per query."""
    scores = [f2(pred, gold) for pred, gold in pairs]
    return sum(scores) / len(scores) if scores else 0.0


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100) with linear interpolation between order statistics (numpy's default)."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= p <= 100:
        raise ValueError(f"p must be within 0..100, got {p}")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * p / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)
