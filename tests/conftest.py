"""Shared fixtures: paths, the shared corpus (skipped when absent), fakes and the real model (built once)."""

from __future__ import annotations

import os
import unicodedata
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


@pytest.fixture
def store(tmp_path):
    """A fresh embedded store (test_store_contract overrides it to run on both backends)."""
    from retrieval.store_edge import EdgeStore

    s = EdgeStore(tmp_path / "store")
    yield s
    s.close()


@pytest.fixture(scope="session")
def built_model() -> Path:
    """The real offline model, built once into the project's data dir (shared with setup.sh)."""
    from retrieval.embedding import default_model_dir
    from retrieval.modelbuild import build_model

    return build_model(default_model_dir(Path(os.environ.get("NTM_DATA_DIR", REPO / "data"))))


@pytest.fixture(scope="session")
def real_embedder(built_model):
    """SentenceTransformerEmbedder on the built model, loaded once per test session."""
    from retrieval.embedding import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(str(built_model))


@pytest.fixture(scope="session")
def shared_services(shared_dir, real_embedder, tmp_path_factory):
    """Services over ../shared/corpus/seeds + ntm and the catalogue, real model; indexed once per session."""
    from ntm.services import build_services, ingest_catalogue
    from ntm.settings import Settings

    settings = Settings(_env_file=None, data_dir=tmp_path_factory.mktemp("shared-index"), qdrant_url=None)
    services = build_services(settings, embedder=real_embedder)
    report = ingest_catalogue(services)
    corpus = shared_dir / "corpus"
    services.indexer.ingest_paths([str(corpus / "seeds"), str(corpus / "ntm")], report=report)
    services.searcher.refresh()
    yield services, report
    services.close()


def encode_cp1258(text: str) -> bytes:
    """Encode like Windows does: base letters from the code page, tones as combining marks."""
    out = []
    for ch in text:
        try:
            out.append(ch.encode("cp1258"))
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            tones = "".join(c for c in parts if c in "\u0300\u0301\u0303\u0309\u0323")
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
            out.append((base + tones).encode("cp1258"))
    return b"".join(out)


@pytest.fixture
def cp1258():
    """The legacy Windows Vietnamese encoder, for files written the way old office software did."""
    return encode_cp1258
