"""The order of fused hits before they become results: documents outside the NTM programme a step down, and a
passage published twice (the same text on two pages) kept once.

Both matter when a large general corpus is indexed beside the programme's documents: its pages on the same
subject (a commune's encyclopedia article, a quiz page quoting a decision) took places an officer's answer
needed (README: distractors).
"""

from __future__ import annotations

import re
from typing import Collection, Sequence

from knowledge.text import fold
from retrieval.store import Hit

# A hit from a document not about the programme (knowledge.programme) counts this share of its fused score:
# at near-equal relevance the programme's own text wins, while a clearly more relevant document still ranks
# first. Measured on the dev set with the 13,933 distractor pages indexed: R@5 0.932 with no prior, 0.941 at
# 0.8 and 0.65, 0.949 at 0.5. Not 0.5: a province's own decision that never names the programme (a beekeeping
# pilot) then fell below a catalogue card that barely matched (tests/test_bench_retrieval.py).
OFF_PROGRAMME_WEIGHT = 0.8
# Two passages sharing this share of their word 3-grams (Jaccard) say the same thing: copies of one text on
# two pages differ only in their headings and page furniture.
DUPLICATE_SHARE = 0.8
SHINGLE_WORDS = 3


def weigh_programme(hits: Sequence[Hit], off_programme: Collection[str], named: Collection[str] = (),
                    weight: float = OFF_PROGRAMME_WEIGHT) -> list[Hit]:
    """Hits re-ordered with the scores of off-programme documents (doc ids in `off_programme`) multiplied by
    `weight`; a document the question names by number (`named`) keeps its score. Ties keep the engine's order."""
    if not off_programme or weight == 1.0:
        return list(hits)

    def weighed(hit: Hit) -> float:
        down = hit.payload.get("doc_id") in off_programme and hit.payload.get("number") not in named
        return hit.score * weight if down else hit.score

    return [Hit(h.id, s, h.payload) for s, h in
            sorted(((weighed(h), h) for h in hits), key=lambda pair: -pair[0])]


def _shingles(text: str) -> frozenset[tuple[str, ...]]:
    words = re.findall(r"\w+", fold(text))
    return frozenset(tuple(words[i:i + SHINGLE_WORDS]) for i in range(max(1, len(words) - SHINGLE_WORDS + 1)))


def without_copies(hits: Sequence[Hit], share: float = DUPLICATE_SHARE) -> list[Hit]:
    """Hits in order, less each unnumbered page whose text repeats (by `share` of its word 3-grams) a better hit
    of another document. A numbered document is its own act even where it repeats another (an amendment quoting
    the clause it replaces), so it always keeps its place."""
    kept: list[tuple[Hit, frozenset]] = []
    for hit in hits:
        grams = _shingles(hit.payload.get("text", ""))
        if not hit.payload.get("number") and any(
                other.payload.get("doc_id") != hit.payload.get("doc_id") and grams and seen
                and len(grams & seen) / len(grams | seen) >= share for other, seen in kept):
            continue
        kept.append((hit, grams))
    return [hit for hit, _ in kept]
