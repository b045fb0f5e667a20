"""Reciprocal rank fusion in Python, with a fixed tie-break so the same question always ranks the same way."""

from __future__ import annotations

from typing import Sequence

from retrieval.store import RRF_K, Hit


def rrf_fuse(lists: Sequence[Sequence[Hit]], limit: int, k: int = RRF_K) -> list[Hit]:
    """Fuse ranked lists by RRF; ties go to the better rank in the earliest list (BM25 first), then the id."""
    scores: dict[str, float] = {}
    first: dict[str, tuple[int, int]] = {}  # (list index, rank) of the earliest list that ranks the hit
    hits: dict[str, Hit] = {}
    for li, ranked in enumerate(lists):
        for rank, hit in enumerate(ranked):
            scores[hit.id] = scores.get(hit.id, 0.0) + 1.0 / (k + rank + 1)
            first.setdefault(hit.id, (li, rank))
            hits.setdefault(hit.id, hit)
    # The engine's own RRF breaks exact ties (rank 1 in one list, 2 in the other) in no fixed order,
    # which made identical runs disagree on a few percent of questions.
    order = sorted(scores, key=lambda i: (-round(scores[i], 12), first[i], i))
    return [Hit(i, scores[i], hits[i].payload) for i in order[:limit]]
