"""The order of fused hits before they become results: general pages outside the NTM programme a step down, and a
passage published twice (the same text on two pages) kept once.

Both matter when a large general corpus is indexed beside the programme's documents: its pages on the same
subject (a commune's encyclopedia article, a quiz page quoting a decision) took places an officer's answer
needed (README: distractors).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Collection, Sequence

from knowledge.text import folded_words
from retrieval.store import Hit

# A hit from an unnumbered page not about the programme (knowledge.programme) counts this share of its fused
# score: at near-equal relevance the programme's own text wins, while a clearly more relevant page still ranks
# first. A numbered act keeps its score: a law or decree that never names the programme may be what answers.
# Chosen on the dev set with the 13,933 distractor pages indexed (README: distractors): R@5 0.932 without the
# weight, 0.941 at 0.8, 0.65 and 0.5; fact recall 0.667 at 0.8, 0.658 at 0.65 and 0.5.
OFF_PROGRAMME_WEIGHT = 0.8
# Two passages sharing this share of their word 3-grams (Jaccard), with the same figures, say the same thing:
# copies of one text on two pages differ only in their headings and page furniture, while a province's template
# filled with other figures (500 triệu here, 300 triệu there) is another text.
DUPLICATE_SHARE = 0.8
SHINGLE_WORDS = 3
MIN_SHINGLES = 10  # a heading or a fragment is too short to call anything a copy of it
FINGERPRINTS_KEPT = 4096  # the same chunks come back for every ask of a message: fingerprint each once


def weigh_programme(hits: Sequence[Hit], off_programme: Collection[str],
                    weight: float = OFF_PROGRAMME_WEIGHT) -> list[Hit]:
    """Hits re-ordered with the scores of unnumbered off-programme documents (doc ids in `off_programme`)
    multiplied by `weight`. Ties keep the engine's order."""
    def weighed(hit: Hit) -> float:
        down = hit.payload.get("doc_id") in off_programme and not hit.payload.get("number")
        return hit.score * weight if down else hit.score

    return [Hit(h.id, s, h.payload) for s, h in sorted(((weighed(h), h) for h in hits), key=lambda pair: -pair[0])]


@lru_cache(maxsize=FINGERPRINTS_KEPT)
def _fingerprint(text: str) -> tuple[frozenset[int], frozenset[str]]:
    """A passage's word 3-grams (hashed) and the figures it states."""
    words = folded_words(text)
    grams = frozenset(hash(tuple(words[i:i + SHINGLE_WORDS])) for i in range(len(words) - SHINGLE_WORDS + 1))
    return grams, frozenset(w for w in words if w.isdigit())


def is_copy(hit: Hit, kept: Sequence[Hit], off_programme: Collection[str], share: float = DUPLICATE_SHARE) -> bool:
    """True when `hit` is an unnumbered page repeating a kept hit of another document (by `share` of its word
    3-grams, with the same figures). A numbered document is its own act even where it repeats another (an
    amendment quoting the clause it replaces), and a programme page is never dropped for a general one."""
    doc_id = hit.payload.get("doc_id")
    grams, figures = _fingerprint(hit.payload.get("text", ""))
    if hit.payload.get("number") or len(grams) < MIN_SHINGLES:
        return False
    for other in kept:
        theirs = other.payload.get("doc_id")
        if theirs == doc_id or (doc_id not in off_programme and theirs in off_programme):
            continue
        their_grams, their_figures = _fingerprint(other.payload.get("text", ""))
        if their_figures != figures or min(len(grams), len(their_grams)) < share * max(len(grams), len(their_grams)):
            continue  # other figures, or sizes too far apart for the share (Jaccard <= smaller / larger)
        common = len(grams & their_grams)
        if common / (len(grams) + len(their_grams) - common) >= share:
            return True
    return False
