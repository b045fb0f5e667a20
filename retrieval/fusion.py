"""Score fusion computed here: reciprocal rank fusion with a fixed tie-break (the same question always ranks the
same way), and the engine's distribution-based fusion with candidates joined from a narrower search."""

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


def _scale(scores: Sequence[float]) -> tuple[float, float]:
    """(low, high) a list's scores are scaled between: its mean minus and plus three sample standard deviations."""
    mean = sum(scores) / len(scores)
    spread = 3.0 * (sum((s - mean) ** 2 for s in scores) / (len(scores) - 1)) ** 0.5
    return mean - spread, mean + spread


def dbsf_fuse(lists: Sequence[Sequence[Hit]], limit: int, joining: Sequence[Sequence[Hit]] = ()) -> list[Hit]:
    """Distribution-based score fusion as the engine computes it (each list scaled by its mean ± 3 standard
    deviations, a single hit or a flat list at 0.5, scaled scores summed), with the hits of `joining[i]` that
    list i lacks added to it on list i's own scale: candidates a narrower search found below list i's depth.
    A joined hit scores at least 0 there, what the engine gives a hit a list lacks (one far below the list's
    spread would otherwise lose points for being found), and 0 beside a flat list, whose scale says nothing.
    Ties keep the order the hits were first met in."""
    scores: dict[str, float] = {}
    hits: dict[str, Hit] = {}
    for i, ranked in enumerate(lists):
        own = {h.id for h in ranked}
        extra = [h for h in (joining[i] if i < len(joining) else ()) if h.id not in own]
        low, high = _scale([h.score for h in ranked]) if len(ranked) > 1 else (0.0, 0.0)
        for hit in ranked:
            scores[hit.id] = scores.get(hit.id, 0.0) + (0.5 if high == low else (hit.score - low) / (high - low))
            hits.setdefault(hit.id, hit)
        for hit in extra:
            scaled = 0.0 if high == low else max(0.0, (hit.score - low) / (high - low))
            scores[hit.id] = scores.get(hit.id, 0.0) + scaled
            hits.setdefault(hit.id, hit)
    order = sorted(scores, key=lambda i: -scores[i])  # stable: first met wins a tie
    return [Hit(i, scores[i], hits[i].payload) for i in order[:limit]]
