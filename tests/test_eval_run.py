"""`ntm eval run` / `compare` end to end on a tiny synthetic corpus (the CI smoke test of the harness)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from ntm import cli
from tests_support import PROVINCE_PLAN

pytestmark = pytest.mark.synthetic

# synthetic fixture: two made-up documents and a four-question set about them
PLAN = PROVINCE_PLAN
LETTER = """Số: 418/UBND-NN
V/v cấp nước sạch nông thôn tỉnh Sông Lam

1. Đến hết năm 2031, tỷ lệ hộ dân nông thôn tỉnh Sông Lam dùng nước sạch đạt 92%.
"""
QUESTIONS = [
    {"id": "t-1", "question": "Tỉnh Hòa Bình Xanh năm 2031 phấn đấu bao nhiêu xã đạt chuẩn nông thôn mới?",
     "category": "fact", "expected_sources": ["docs/kh.txt"], "answer_facts": [["12 xã"]], "answerable": True,
     "reference_answer": "Thêm 12 xã."},
    {"id": "t-2", "question": "Tỷ lệ hộ dân nông thôn tỉnh Sông Lam dùng nước sạch năm 2031 là bao nhiêu phần trăm?",
     "category": "fact", "expected_sources": ["docs/cv.txt"], "answer_facts": [["92%"]], "answerable": True,
     "reference_answer": "92%."},
    {"id": "t-3", "question": "ke hoach tinh Hoa Binh Xanh to chuc bao nhieu lop tap huan moi huyen",
     "category": "no_diacritics", "expected_sources": ["docs/kh.txt"], "answer_facts": [["2 lớp"]],
     "answerable": True, "reference_answer": "Ít nhất 2 lớp."},
    {"id": "t-4", "question": "Mức hỗ trợ làm đường giao thông thôn của tỉnh Sông Lam là bao nhiêu tiền?",
     "category": "unanswerable", "expected_sources": ["docs/cv.txt"], "answer_facts": [], "answerable": False,
     "reference_answer": "Tài liệu không nêu."},
]


@pytest.fixture
def setup(tmp_path, monkeypatch, fake_embedder):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NTM_DATA_DIR", str(tmp_path / "data"))
    for var in ("NTM_LLM_BASE_URL", "NTM_LLM_GGUF", "NTM_QDRANT_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr("ntm.services.build_embedder", lambda settings: fake_embedder)
    docs = tmp_path / "corpus" / "docs"
    docs.mkdir(parents=True)
    (docs / "kh.txt").write_text(PLAN, encoding="utf-8")
    (docs / "cv.txt").write_text(LETTER, encoding="utf-8")
    dataset = tmp_path / "set.jsonl"
    dataset.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in QUESTIONS) + "\n", encoding="utf-8")
    return tmp_path, dataset, docs


def invoke(*args):
    return CliRunner().invoke(cli.app, [str(a) for a in args])


def test_run_writes_a_report_with_every_question_scored_in_every_mode(setup):
    root, dataset, docs = setup
    result = invoke("eval", "run", "--dataset", dataset, "--corpus", docs, "--out", root / "run-a",
                    "--work-dir", root / "work")
    assert result.exit_code == 0, result.output
    report = root / "run-a"
    data = json.loads((report / "results.json").read_text(encoding="utf-8"))
    assert data["run"]["modes"] == ["hybrid", "sparse", "dense"] and data["run"]["git_commit"]
    assert [q["id"] for q in data["questions"]] == ["t-1", "t-2", "t-3", "t-4"]
    first = data["questions"][0]["outputs"]["sparse"]
    assert first["answered"] and "12 xã" in first["answer"]
    assert first["citations"][0]["source_key"] == "docs/kh.txt" and first["ranked_sources"][0] == "docs/kh.txt"
    assert first["scores"]["recall@1"] == 1.0 and first["scores"]["fact_recall"] == 1.0
    assert first["scores"]["invented_numbers"] == []
    unanswerable = data["questions"][3]["outputs"]["sparse"]
    assert unanswerable["scores"]["refused"] is (not unanswerable["answered"])
    summary = (report / "summary.md").read_text(encoding="utf-8")
    assert "hybrid" in summary and "sparse" in summary and "fact" in summary
    for png in report.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(list(report.glob("*.png"))) == 3


def test_a_second_run_reuses_the_index_and_compare_shows_the_changes(setup):
    root, dataset, docs = setup
    assert invoke("eval", "run", "--dataset", dataset, "--corpus", docs, "--out", root / "a",
                  "--work-dir", root / "work", "--modes", "sparse").exit_code == 0
    # the same corpus: the index is reused (nothing re-indexed)
    assert invoke("eval", "run", "--dataset", dataset, "--corpus", docs, "--out", root / "b",
                  "--work-dir", root / "work", "--modes", "sparse").exit_code == 0
    b = json.loads((root / "b" / "results.json").read_text(encoding="utf-8"))
    assert b["run"]["index"]["indexed"] == 0
    compared = invoke("eval", "compare", root / "a", root / "b")
    assert compared.exit_code == 0 and "sparse" in compared.output


@pytest.mark.parametrize("args, message", [
    (["--modes", "magic"], "unknown mode"),
    (["--dataset-missing"], "does not exist"),
    (["--no-corpus"], "--corpus"),
])
def test_bad_arguments_are_clear_errors(setup, args, message):
    root, dataset, docs = setup
    base = ["eval", "run", "--dataset", dataset, "--corpus", docs, "--work-dir", root / "work"]
    if args == ["--dataset-missing"]:
        base[3] = root / "nope.jsonl"
    elif args == ["--no-corpus"]:
        base = ["eval", "run", "--dataset", dataset, "--work-dir", root / "work"]
    else:
        base += args
    result = invoke(*base)
    assert result.exit_code == 2 and message in result.output


def test_compare_refuses_what_is_not_a_run(setup):
    root, *_ = setup
    (root / "x.json").write_text("{}", encoding="utf-8")
    result = invoke("eval", "compare", root / "x.json", root / "x.json")
    assert result.exit_code == 2 and "not a results.json" in result.output


def test_the_llm_answerer_is_a_fourth_column_when_one_is_configured(setup, monkeypatch):
    from pathlib import Path

    from retrieval.llm import LLMAnswerer

    class EchoModel:  # a stand-in chat model: answers the first evidence's figure, cited
        name = "echo"

        def complete(self, messages, timeout):
            return "Tỉnh phấn đấu thêm 12 xã [1]." if "12 xã" in messages[1]["content"] else "KHÔNG_CÓ_THÔNG_TIN"

    prompts = Path(__file__).resolve().parents[1] / "prompts"
    monkeypatch.setattr("ntm.services.build_llm_answerer", lambda s: LLMAnswerer(EchoModel(), prompts, 5.0))
    root, dataset, docs = setup
    result = invoke("eval", "run", "--dataset", dataset, "--corpus", docs, "--out", root / "llm",
                    "--work-dir", root / "work", "--modes", "sparse,llm")
    assert result.exit_code == 0, result.output
    data = json.loads((root / "llm" / "results.json").read_text(encoding="utf-8"))
    assert data["run"]["modes"] == ["sparse", "llm"]
    assert "12 xã" in data["questions"][0]["outputs"]["llm"]["answer"]
    assert data["summary"]["llm"]["overall"]["invented_number_rate"] == 0.0
