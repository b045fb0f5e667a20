"""The ask service end to end on a small index: LLM answers are verified, and fall back to quotes."""

from __future__ import annotations

from pathlib import Path

import pytest

from ntm.services import build_services
from ntm.settings import Settings
from retrieval.chat import ChatError
from retrieval.llm import LLMAnswerer
from retrieval.service import AskService
from tests_support import PROVINCE_PLAN, FakeChatModel

PROMPTS = Path(__file__).resolve().parents[1] / "prompts"

pytestmark = pytest.mark.synthetic

# synthetic fixture: a made-up provincial plan (tests_support)
PLAN = PROVINCE_PLAN
QUESTION = "Tỉnh Hòa Bình Xanh năm 2031 phấn đấu bao nhiêu xã đạt chuẩn nông thôn mới?"


@pytest.fixture
def services(tmp_path, fake_embedder):
    (tmp_path / "kh.txt").write_text(PLAN, encoding="utf-8")
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", qdrant_url=None)
    services = build_services(settings, embedder=fake_embedder)
    services.indexer.ingest_paths([str(tmp_path / "kh.txt")])
    services.searcher.refresh()
    yield services
    services.close()


def ask_with(services, *replies):
    chat = FakeChatModel(*replies)
    asker = AskService(services.searcher, services.catalogue, llm=LLMAnswerer(chat, PROMPTS, timeout=3.0))
    return asker.ask(QUESTION, mode="sparse").answer, chat


def test_a_verified_llm_answer_is_used_with_its_citation(services):
    answer, chat = ask_with(services, "Năm 2031 tỉnh phấn đấu thêm 12 xã đạt chuẩn [1].")
    assert answer.answerer == "llm" and answer.answered
    assert "12 xã" in answer.text and answer.citations[0].source.endswith("kh.txt")
    assert "12 xã" in answer.citations[0].quote and "Căn cứ:\n[1] 31/KH-UBND" in answer.text
    assert "Tỉnh Hòa Bình Xanh" in chat.calls[0][0][1]["content"]  # the question reached the model


def test_an_invented_figure_is_dropped_and_the_answer_falls_back_to_quotes(services):
    answer, _ = ask_with(services, "Tỉnh phấn đấu thêm 15 xã đạt chuẩn [1].")
    assert answer.answerer == "extractive" and answer.answered
    assert "15" not in answer.text and "12 xã" in answer.text


def test_a_timeout_falls_back_to_quotes(services):
    answer, _ = ask_with(services, ChatError("timed out after 3 s"))
    assert answer.answerer == "extractive" and "12 xã" in answer.text


def test_a_model_refusal_becomes_the_honest_refusal_message(services):
    answer, _ = ask_with(services, "KHÔNG_CÓ_THÔNG_TIN")
    assert not answer.answered and answer.text.startswith("Tài liệu hiện có chưa nêu")
