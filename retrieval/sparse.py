"""Vietnamese BM25-style sparse vectors: word segmentation, term hashing, TF saturation.

Qdrant applies IDF itself (sparse vector modifier `idf`), so documents carry only the
saturated term frequency and queries carry one weight per distinct term.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

K1 = 1.2
B = 0.75
AVG_DOC_TOKENS = 220.0  # typical chunk length in tokens (syllables + compounds), measured on the NTM corpus

# Document numbers such as 318/QĐ-TTg, 51/2025/QĐ-TTg, 09-NQ/TU are kept whole: the
# segmenter would split them into meaningless pieces.
DOC_NUMBER_RE = re.compile(r"\b\d{1,5}(?:/\d{4})?[/-][A-Za-zĐđ][\wĐđ]*(?:[-/][\wĐđ]+)*", re.UNICODE)
_WORD_RE = re.compile(r"\w+", re.UNICODE)

# Function words that carry no topic; IDF would down-weight them anyway, dropping them
# keeps vectors short.
STOPWORDS = frozenset(
    "và của các là có được cho trong với những này đó theo về để từ một khi thì đã sẽ "
    "đang cũng như tại do bị nhưng hay hoặc mà nên vì nếu ra vào lên nào gì ai "
    "the of and to in".split()
)


@dataclass(frozen=True)
class SparseVec:
    """Sparse vector as parallel lists, sorted by index."""

    indices: tuple[int, ...]
    values: tuple[float, ...]


@lru_cache(maxsize=200_000)
def term_id(term: str) -> int:
    """Stable 32-bit id of a term (the same across processes and machines)."""
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=4).digest(), "big")


def _segment(text: str) -> list[str]:
    from pyvi import ViTokenizer  # imported lazily: loading the CRF model costs ~0.3 s

    return ViTokenizer.tokenize(text).split()


def tokenize(text: str) -> list[str]:
    """Lower-cased terms of a Vietnamese text: document numbers, compound words and their syllables."""
    text = unicodedata.normalize("NFC", text)
    terms: list[str] = []
    for match in DOC_NUMBER_RE.finditer(text):
        number = match.group(0).lower()
        # The whole number, and its leading digits, which is how officers cite it ("cv 267").
        terms.append(number)
        terms.append(re.match(r"\d+", number).group(0))
    for word in _segment(DOC_NUMBER_RE.sub(" ", text)):
        word = word.lower()
        syllables = [s for s in word.split("_") if _WORD_RE.fullmatch(s)]
        if not syllables:
            continue
        # Index both the compound ("nông_thôn") and its syllables, so a query that the
        # segmenter splits differently still matches.
        if len(syllables) > 1:
            terms.append("_".join(syllables))
        terms.extend(s for s in syllables if s not in STOPWORDS)
    return terms


def _to_vec(weights: dict[int, float]) -> SparseVec:
    items = sorted(weights.items())
    return SparseVec(tuple(i for i, _ in items), tuple(v for _, v in items))


def document_vector(text: str) -> SparseVec:
    """BM25 document side: saturated term frequency with length normalisation."""
    counts = Counter(tokenize(text))
    length = sum(counts.values()) or 1
    norm = K1 * (1 - B + B * length / AVG_DOC_TOKENS)
    weights: dict[int, float] = {}
    for term, tf in counts.items():
        tid = term_id(term)
        weights[tid] = weights.get(tid, 0.0) + tf * (K1 + 1) / (tf + norm)
    return _to_vec(weights)


def query_vector(text: str) -> SparseVec:
    """BM25 query side: weight 1 per distinct term (IDF comes from the store)."""
    return _to_vec({term_id(t): 1.0 for t in set(tokenize(text))})
