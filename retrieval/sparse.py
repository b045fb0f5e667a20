"""Vietnamese BM25-style sparse vectors: word segmentation, term hashing, TF saturation.

Qdrant applies IDF itself (sparse vector modifier `idf`), so documents carry only the
saturated term frequency and queries carry one weight per distinct term.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from knowledge.text import fold

K1 = 1.2
B = 0.75
AVG_DOC_TOKENS = 390.0  # typical chunk length in terms (syllables, compounds, bigrams): 220 before bigrams x 1.77 measured on 300 tvpl chunks

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
FOLDED_STOPWORDS = frozenset({"va", "cua", "cac", "la", "co", "duoc", "cho", "trong", "voi", "nhung", "nay", "do",
                              "theo", "ve", "de", "tu", "mot", "khi", "thi", "da", "se", "dang", "cung", "nhu",
                              "tai", "bi", "hay", "hoac", "ma", "nen", "vi", "neu", "ra", "vao", "len", "nao",
                              "gi", "ai", "the", "of", "and", "to", "in"})


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


FOLD_PREFIX = "~"  # folded (diacritic-free) terms live in their own namespace


def tokenize(text: str) -> list[str]:
    """Lower-cased terms of a Vietnamese text (NFC, as every entry point leaves it): document numbers, compound
    words and their syllables."""
    terms: list[str] = []
    for match in DOC_NUMBER_RE.finditer(text):
        # Numbers are folded: "267/BNN-VPDP" typed without Đ is the same document.
        number = fold(match.group(0))
        # The whole number, and its leading digits, which is how officers cite it ("cv 267").
        terms.append(number)
        terms.append(re.match(r"\d+", number).group(0))
    content: list[str] = []  # the text's non-stopword syllables in order, for the bigrams
    for word in _segment(DOC_NUMBER_RE.sub(" ", text)):
        word = word.lower()
        syllables = [s for s in word.split("_") if _WORD_RE.fullmatch(s)]
        if not syllables:
            continue
        # Index both the compound ("nông_thôn") and its syllables, so a query that the
        # segmenter splits differently still matches.
        if len(syllables) > 1:
            terms.append("_".join(syllables))
        content.extend(s for s in syllables if s not in STOPWORDS)
    terms.extend(content)
    terms.extend(bigrams(content))
    return terms


def bigrams(syllables: list[str]) -> list[str]:
    """Adjacent-syllable pairs ("thu nhập"), written with a space to stay apart from compounds ("thu_nhập").

    They carry word order, which the segmenter's compounds miss across word boundaries: on ALQAC-2022 they
    lifted BM25 R@1 from 0.838 to 0.892 (eval/bench_retrieval.py, README)."""
    return [f"{a} {b}" for a, b in zip(syllables, syllables[1:])]


def _to_vec(weights: dict[int, float]) -> SparseVec:
    items = sorted(weights.items())
    return SparseVec(tuple(i for i, _ in items), tuple(v for _, v in items))


def _is_number(term: str) -> bool:
    return term[:1].isdigit()


def document_vector(text: str) -> SparseVec:
    """BM25 document side: saturated term frequency with length normalisation, plus folded terms."""
    terms = tokenize(text)
    counts = Counter(terms)
    # Folded copies of the words let a question typed without diacritics match; the length (and so the
    # BM25 normalisation of the accented terms) is that of the text alone.
    folded = Counter(FOLD_PREFIX + fold(t) for t in terms if not _is_number(t))
    length = sum(counts.values()) or 1
    norm = K1 * (1 - B + B * length / AVG_DOC_TOKENS)
    weights: dict[int, float] = {}
    for term, tf in (*counts.items(), *folded.items()):
        tid = term_id(term)
        weights[tid] = weights.get(tid, 0.0) + tf * (K1 + 1) / (tf + norm)
    return _to_vec(weights)


def folded_query_terms(text: str) -> list[str]:
    """Terms of a question typed without diacritics (NFC text): folded syllables and adjacent-syllable pairs."""
    terms = [fold(m.group(0)) for m in DOC_NUMBER_RE.finditer(text)]
    terms += [re.match(r"\d+", t).group(0) for t in list(terms)]
    words = [fold(w) for w in _WORD_RE.findall(DOC_NUMBER_RE.sub(" ", text))]
    content = [w for w in words if w not in FOLDED_STOPWORDS]
    # The segmenter cannot group words without their marks, so every adjacent pair is tried as a
    # compound; pairs that are not words of the corpus simply match nothing.
    terms += [FOLD_PREFIX + w for w in content]
    terms += [FOLD_PREFIX + a + "_" + b for a, b in zip(words, words[1:])]
    terms += [FOLD_PREFIX + pair for pair in bigrams(content)]
    return terms


def query_vector(text: str, folded: bool = False) -> SparseVec:
    """BM25 query side: weight 1 per distinct term (IDF comes from the store); `folded` for unaccented text."""
    terms = folded_query_terms(text) if folded else tokenize(text)
    return _to_vec({term_id(t): 1.0 for t in set(terms)})
