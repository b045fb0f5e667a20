"""Shared fixtures: paths, the shared corpus (skipped when absent), fakes and the real model (built once)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared beside the project; tests that need it skip cleanly when it is absent."""
    if not (SHARED / "corpus").is_dir():
        pytest.skip("../shared/corpus is not present")
    return SHARED


@pytest.fixture
def fake_embedder():
    """Fast deterministic embedder implementing the Embedder protocol."""
    from retrieval.embedding import HashEmbedder

    return HashEmbedder()


@pytest.fixture(scope="session")
def built_model() -> Path:
    """The real offline model, built once into the project's data dir (shared with setup.sh)."""
    from retrieval.embedding import DEFAULT_MODEL_DIRNAME
    from retrieval.modelbuild import build_model

    data_dir = Path(os.environ.get("NTM_DATA_DIR", REPO / "data"))
    return build_model(data_dir / "models" / DEFAULT_MODEL_DIRNAME)


@pytest.fixture(scope="session")
def real_embedder(built_model):
    """SentenceTransformerEmbedder on the built model, loaded once per test session."""
    from retrieval.embedding import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(str(built_model))
