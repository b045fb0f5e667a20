"""`ntm ask` as an officer or a script uses it: a cited answer, one JSON object with --json, clear errors."""

from __future__ import annotations

import json
import os
from datetime import date

import pytest
from typer.testing import CliRunner

from ntm import cli

from tests_support import DISTRICT_PLAN, WATER_LETTER

pytestmark = pytest.mark.synthetic

PLAN = DISTRICT_PLAN

LETTER = WATER_LETTER

PLAN_QUESTION = "Năm 2031 huyện Đại Phong phấn đấu có thêm bao nhiêu xã đạt chuẩn nông thôn mới?"
WATER_QUESTION = "Tỷ lệ hộ dân nông thôn sử dụng nước sạch đạt bao nhiêu?"
ABSENT_QUESTION = "Huyện Đại Phong hỗ trợ bao nhiêu tiền cho mỗi xã xây nhà văn hóa?"
ASK_KEYS = {"answer", "answered", "citations", "as_of", "latency_ms"}
CITATION_KEYS = {"n", "document_id", "number", "title", "location", "page", "source", "quote", "score"}


def invoke(*args: str):
    return CliRunner().invoke(cli.app, list(args))


def _isolate(monkeypatch, tmp_path, fake_embedder) -> None:
    """A fresh data dir, the fake embedder, no LLM and no server from the caller's environment."""
    for name in ("NTM_LLM_BASE_URL", "NTM_LLM_GGUF", "NTM_QDRANT_URL", "NTM_KNOWLEDGE_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray ./.env; relative paths below are relative to tmp_path
    monkeypatch.setenv("NTM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr("ntm.services.build_embedder", lambda settings: fake_embedder)


@pytest.fixture
def indexed(tmp_path, monkeypatch, fake_embedder):
    """The two fixture files ingested (with the catalogue) from the relative folder "docs"; returns "docs"."""
    _isolate(monkeypatch, tmp_path, fake_embedder)
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "ke-hoach-dai-phong.txt").write_text(PLAN, encoding="utf-8")
    (folder / "cv-nuoc-sach.txt").write_text(LETTER, encoding="utf-8")
    result = invoke("ingest", "docs")
    assert result.exit_code == 0, result.output
    return "docs"


def _one_json_object(stdout: str) -> dict:
    lines = [line for line in stdout.splitlines() if line.strip()]
    assert len(lines) == 1, stdout  # exactly one JSON object, nothing else on stdout
    return json.loads(lines[0])


def test_ask_json_prints_one_object_with_the_api_shape(indexed):
    result = invoke("ask", "--json", PLAN_QUESTION)
    assert result.exit_code == 0, result.output
    body = _one_json_object(result.stdout)
    assert set(body) == ASK_KEYS
    assert body["answered"] is True and "7 xã" in body["answer"]
    assert isinstance(body["latency_ms"], float) and body["latency_ms"] >= 0
    assert date.fromisoformat(body["as_of"]).isoformat() == body["as_of"]
    assert [c["n"] for c in body["citations"]] == list(range(1, len(body["citations"]) + 1))
    first = body["citations"][0]
    assert set(first) == CITATION_KEYS
    assert first["source"] == os.path.join(indexed, "ke-hoach-dai-phong.txt")  # as given to `ntm ingest`
    assert first["number"] == "57/KH-UBND"
    assert first["quote"] in PLAN


def test_ask_json_echoes_as_of(indexed):
    result = invoke("ask", "--json", "--as-of", "2031-05-01", PLAN_QUESTION)
    assert result.exit_code == 0, result.output
    assert _one_json_object(result.stdout)["as_of"] == "2031-05-01"


def test_ask_plain_prints_the_cited_answer(indexed):
    result = invoke("ask", WATER_QUESTION)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "92%" in out and "Căn cứ:" in out
    assert "[1]" in out and "418/UBND-NN" in out
    assert "1. Đến hết năm 2031, tỷ lệ hộ dân nông thôn sử dụng nước sạch đạt 92%." in out  # quoted verbatim
    assert not out.lstrip().startswith("{")  # plain text, not JSON


def test_ask_absent_figure_is_an_honest_refusal_with_exit_0(indexed):
    result = invoke("ask", ABSENT_QUESTION)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Tài liệu hiện có chưa nêu")
    assert "Căn cứ:" not in result.stdout
    body = _one_json_object(invoke("ask", "--json", ABSENT_QUESTION).stdout)
    assert body["answered"] is False and body["answer"].startswith("Tài liệu hiện có chưa nêu")


def test_ask_document_filter_in_another_spelling(indexed):
    result = invoke("ask", "--json", "--document", "57/kh-ubnd", WATER_QUESTION)
    assert result.exit_code == 0, result.output
    body = _one_json_object(result.stdout)
    assert body["citations"] and {c["number"] for c in body["citations"]} == {"57/KH-UBND"}
    assert "92%" not in body["answer"]


@pytest.mark.parametrize("args, hint", [
    (("ask", ""), "trống"),
    (("ask", "   "), "trống"),
    (("ask", "😀"), "chưa có chữ"),
    (("ask", "What is the income threshold for new rural communes?"), "tiếng Việt"),
    (("ask", "--as-of", "2024-13-01", PLAN_QUESTION), "2024-13-01"),
    (("ask", "--document", "999/XYZ", PLAN_QUESTION), "999/XYZ"),
    (("ask", "--type", "Sắc lệnh", PLAN_QUESTION), "Sắc lệnh"),
    (("ask", "--period", "2030-2020", PLAN_QUESTION), "2030-2020"),
    (("ask", "--mode", "magic", PLAN_QUESTION), "magic"),
], ids=["empty", "whitespace", "emoji", "english", "as-of-month-13", "unknown-document", "unknown-type",
        "reversed-period", "unknown-mode"])
def test_bad_input_fails_with_a_message_and_no_answer(indexed, args, hint):
    result = invoke(*args)
    assert result.exit_code != 0 and result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)  # no traceback
    assert "error:" in result.output and hint in result.output
    assert "Căn cứ:" not in result.output and "Theo " not in result.output


def test_nothing_indexed_fails_and_says_to_run_ingest(tmp_path, monkeypatch, fake_embedder):
    _isolate(monkeypatch, tmp_path, fake_embedder)
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    monkeypatch.setenv("NTM_KNOWLEDGE_DIR", str(knowledge))
    result = invoke("ask", PLAN_QUESTION)
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit)
    assert "ntm ingest" in result.output
    json_result = invoke("ask", "--json", PLAN_QUESTION)
    assert json_result.exit_code != 0 and json_result.stdout.strip() == ""  # no half answer for scripts
