"""The channel-independent chat core: conversation log, rate limit, assistant replies, message splitting,
document cards and criteria, and `ntm feedback export`."""

from __future__ import annotations

import csv
import html
import io
import json
import sqlite3
from datetime import date

import pytest
from typer.testing import CliRunner

from bot.assistant import EMPTY_INDEX, FAILED, LOADING, NON_TEXT, ChatAssistant, RateLimiter
from bot.conversations import ConversationLog, export
from bot.render import answer_sections, card_lines, criterion_lines, split_message
from knowledge.catalogue import DEFAULT_PATH, find_entry, load_catalogue
from retrieval.evidence import Citation
from retrieval.service import NotReady

from bot_support import PLAN_QUESTION, build_index, make_assistant

pytestmark = pytest.mark.synthetic

CATALOGUE = load_catalogue(DEFAULT_PATH)
# synthetic fixture
CIT = Citation(n=1, document_id="doc-a", number="12/KH-UBND", title="Kế hoạch thử nghiệm", location="Mục II, trang 3",
               page=3, source="docs/a.pdf", quote="Năm 2031 có thêm 4 xã đạt chuẩn.", score=0.9, chunk_id="c1")


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    built = build_index(tmp_path_factory.mktemp("core"))
    yield built
    built.close()


@pytest.fixture
def clock():
    now = [1000.0]
    return now


def test_log_keeps_exchanges_and_one_rating_per_user_with_pseudonyms(tmp_path):
    log = ConversationLog(tmp_path / "c.sqlite3")
    ex = log.record("telegram", "123456789", "Câu hỏi?", "Trả lời [1]", "answered", [CIT], 12.5)
    assert log.rate(ex, "telegram", "123456789", -1)
    assert log.rate(ex, "telegram", "123456789", 1, "đã sửa")  # a change of mind replaces the vote
    assert log.rate(ex, "zalo", "999", -1)
    assert not log.rate("nope", "telegram", "1", 1)
    with pytest.raises(ValueError):
        log.rate(ex, "telegram", "1", 5)
    rows = list(log.rows(rated_only=True))
    assert sorted(r["rating"] for r in rows) == [-1, 1]
    assert all("123456789" not in json.dumps(r) for r in rows)  # raw user ids are never stored
    assert rows[0]["citations"][0]["number"] == "12/KH-UBND"
    assert log.citation(ex, 1) == CIT and log.citation(ex, 2) is None
    assert log.last_exchange("telegram", "123456789")["id"] == ex
    assert log.last_exchange("telegram", "other") is None
    log.close()
    with sqlite3.connect(tmp_path / "c.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # Pseudonyms stay stable across restarts (the key file is reused), so ratings still group by user.
    again = ConversationLog(tmp_path / "c.sqlite3")
    assert again.anonymise("telegram", "123456789") in {r["user"] for r in rows}
    assert again.first_sight("zalo", "m1") and not again.first_sight("zalo", "m1")
    again.close()
    third = ConversationLog(tmp_path / "c.sqlite3")
    assert not third.first_sight("zalo", "m1")  # replays are still recognised after a restart
    assert third.first_sight("telegram", "m1")  # ids are per channel
    third._db.execute("UPDATE seen_events SET ts = '2000-01-01T00:00:00+00:00' WHERE channel = 'telegram'")
    third.close()
    fourth = ConversationLog(tmp_path / "c.sqlite3")  # ids older than a month are forgotten on open
    assert fourth.first_sight("telegram", "m1") and not fourth.first_sight("zalo", "m1")


def test_export_csv_and_jsonl_round_trip(tmp_path):
    log = ConversationLog(tmp_path / "c.sqlite3")
    ex = log.record("web", "s1", "Hỏi, có \"dấu phẩy\"\nvà xuống dòng", "Đáp", "answered", [CIT])
    log.record("web", "s2", "Câu khác", "Tài liệu hiện có chưa nêu", "not_found")
    log.rate(ex, "web", "s1", -1, "sai số liệu")
    buf = io.StringIO()
    assert export(log.rows(), buf, "csv") == 2
    rows = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert rows[0]["question"] == "Hỏi, có \"dấu phẩy\"\nvà xuống dòng" and rows[0]["rating"] == "-1"
    assert json.loads(rows[0]["citations"])[0]["quote"] == CIT.quote
    assert rows[1]["rating"] == "" and rows[1]["status"] == "not_found"
    buf = io.StringIO()
    assert export(log.rows(rating=-1), buf, "jsonl") == 1
    assert json.loads(buf.getvalue())["comment"] == "sai số liệu"
    with pytest.raises(ValueError):
        export(log.rows(), io.StringIO(), "xml")


def test_rate_limiter_allows_a_minute_quota_and_announces_once(clock):
    limiter = RateLimiter(3, clock=lambda: clock[0])
    assert [limiter.check("a")[0] for _ in range(3)] == [True] * 3
    first, second = limiter.check("a"), limiter.check("a")
    assert first[:2] == (False, True) and 1 <= first[2] <= 60
    assert second[:2] == (False, False)  # the rest of the burst is not answered again
    assert limiter.check("b")[0]  # per chat
    clock[0] += 61
    assert limiter.check("a")[0]


def test_assistant_answers_logs_and_explains_every_failure(services, tmp_path):
    assistant = make_assistant(services, tmp_path, per_minute=4)
    reply = assistant.ask("web", "u1", PLAN_QUESTION)
    assert reply.status == "answered" and "7 xã" in reply.text and reply.citations
    assert assistant.citation(reply.exchange_id, 1).number == "57/KH-UBND"
    assert assistant.ask("web", "u1", "   ").status == "bad_question"
    long = assistant.ask("web", "u1", "nông thôn " * 500)
    assert long.status == "bad_question" and long.code == "too_long" and long.text
    burst = [assistant.ask("web", "u1", PLAN_QUESTION) for _ in range(3)]
    assert [r.status for r in burst] == ["answered", "rate_limited", "rate_limited"]
    assert [r.silent for r in burst[1:]] == [False, True] and "giây" in burst[1].text
    statuses = [r["status"] for r in assistant.conversations.rows()]
    assert statuses.count("rate_limited") == 2  # nothing a user sent is lost, answered or not


def test_assistant_while_loading_failed_empty_or_crashing(services, tmp_path):
    log = ConversationLog(tmp_path / "c.sqlite3")
    loading = ChatAssistant(lambda: None, log, RateLimiter(10))
    assert loading.ask("zalo", "u", PLAN_QUESTION).text == LOADING
    assert loading.document_card("318/QĐ-TTg").text == LOADING
    failed = ChatAssistant(lambda: None, log, RateLimiter(10), failed=lambda: "boom")
    assert failed.ask("zalo", "u", PLAN_QUESTION).text == FAILED

    class Asker:
        def __init__(self, exc):
            self.exc = exc

        def ask(self, question):
            raise self.exc

    class Broken:
        catalogue = CATALOGUE

        def __init__(self, exc):
            self.asker = Asker(exc)

    assert ChatAssistant(lambda: Broken(NotReady()), log, RateLimiter(10)).ask("web", "u", "Hỏi gì?").text == EMPTY_INDEX
    crash = ChatAssistant(lambda: Broken(RuntimeError("x")), log, RateLimiter(10)).ask("web", "u", "Hỏi gì?")
    assert crash.status == "error" and crash.text == FAILED and crash.exchange_id
    assert "văn bản" in NON_TEXT


@pytest.mark.parametrize("channel", ["telegram", "zalo"])
def test_a_lone_surrogate_from_a_chat_is_answered_and_logged(services, tmp_path, channel):
    """Telegram and Zalo hand over whatever the platform's JSON held; the exchange must not be lost from the log."""
    from tests_support import TokenizerLikeEmbedder

    original = services.searcher.embedder
    services.searcher.embedder = TokenizerLikeEmbedder(original)  # refuses unencodable text, as the model does
    try:
        reply = make_assistant(services, tmp_path).ask(channel, "user\udfff", "\ud800" + PLAN_QUESTION)
    finally:
        services.searcher.embedder = original
    assert reply.status == "answered" and "7 xã" in reply.text
    row = ConversationLog(tmp_path / "conversations.sqlite3").exchange(reply.exchange_id)
    assert row["question"] == "\ufffd" + PLAN_QUESTION and row["channel"] == channel


def test_split_message_keeps_everything_under_the_limit_on_paragraphs():
    paras = [f"Đoạn {i}: " + "chữ & <thẻ> " * (30 + i * 7) for i in range(20)]
    text = "\n\n".join(paras)
    measure = lambda s: len(html.escape(s))  # noqa: E731 - the size Telegram sees after escaping
    parts = split_message(text, 1000, measure)
    assert len(parts) > 1 and all(measure(p) <= 1000 for p in parts)
    assert "\n\n".join(parts).split() == text.split()  # nothing lost or reordered, no word cut in two
    # Paragraphs that fit are never cut; a paragraph too big for one message is cut between words.
    fitting = [p for p in paras if measure(p) <= 1000]
    assert fitting and all(any(p in part for part in parts) for p in fitting)
    huge = "x" * 5000  # no boundary at all: still cut, never over the limit
    assert [len(p) for p in split_message(huge, 2000)] == [2000, 2000, 1000]
    assert split_message("ngắn", 2000) == ["ngắn"]


def test_answer_sections_separates_the_sources_list():
    body, sources = answer_sections("Theo A: “x” [1]\n\nLưu ý: y\n\nCăn cứ:\n[1] A — B; Mục I")
    assert body == "Theo A: “x” [1]\n\nLưu ý: y" and sources.startswith("Căn cứ:\n[1]")
    assert answer_sections("Tài liệu hiện có chưa nêu.") == ("Tài liệu hiện có chưa nêu.", "")
    refusal = "Tài liệu hiện có chưa nêu nội dung này.\n\nTài liệu gần nhất:\n[1] A — B; Mục I: “x”"
    assert answer_sections(refusal) == ("Tài liệu hiện có chưa nêu nội dung này.", refusal.split("\n\n", 1)[1])


def test_document_card_and_criteria_from_the_catalogue():
    entry = find_entry(CATALOGUE, "QĐ 318")
    rows = dict(card_lines(entry, CATALOGUE, date(2026, 11, 21)))
    assert rows["Số hiệu"] == "318/QĐ-TTg" and "51/2025/QĐ-TTg" in rows["Được thay thế bởi"]
    assert "thay thế" in rows["Tình trạng ngày 21/11/2026"]
    before = dict(card_lines(entry, CATALOGUE, date(2024, 1, 1)))
    assert before["Tình trạng ngày 01/01/2024"].startswith("còn hiệu lực")
    lines, question = criterion_lines(CATALOGUE, 17, date(2026, 11, 21))
    assert len(lines) == 1 and "Môi trường" in lines[0] and "318/QĐ-TTg" in question
    lines, question = criterion_lines(CATALOGUE, 2, date(2026, 11, 21))
    assert len(lines) == 2 and "51/2025/QĐ-TTg" in question  # the set in force today is asked about
    lines, question = criterion_lines(CATALOGUE, 25, date(2026, 11, 21))
    assert question is None and "từ 1 đến 19" in lines[0]


def test_feedback_export_command(tmp_path, monkeypatch):
    from ntm.cli import app

    monkeypatch.setenv("NTM_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()
    result = runner.invoke(app, ["feedback", "export"])
    assert result.exit_code == 2 and "no conversation log" in result.output
    from ntm.settings import Settings

    log = ConversationLog(Settings(_env_file=None).conversations_db)
    ex = log.record("telegram", "42", "Xã cần bao nhiêu tiêu chí?", "Đáp [1]", "answered", [CIT])
    log.record("telegram", "42", "Câu chưa đánh giá", "Đáp", "answered")
    log.rate(ex, "telegram", "42", -1, "thiếu tiêu chí")
    log.close()
    out = tmp_path / "fb.csv"
    result = runner.invoke(app, ["feedback", "export", "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert len(list(csv.DictReader(out.open(encoding="utf-8")))) == 2
    result = runner.invoke(app, ["feedback", "export", "--format", "jsonl", "--rating", "down"])
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert [x["comment"] for x in lines] == ["thiếu tiêu chí"]
    result = runner.invoke(app, ["feedback", "export", "--format", "qa-draft"])
    draft = json.loads(result.stdout.splitlines()[0])
    assert draft["question"] == "Xã cần bao nhiêu tiêu chí?" and draft["expected_sources"] == ["docs/a.pdf"]
    assert draft["draft"]["rating"] == -1
    for bad in (["--format", "xml"], ["--rating", "meh"]):
        result = runner.invoke(app, ["feedback", "export", *bad])
        assert result.exit_code == 2 and "error:" in result.output


def test_every_setting_is_documented_in_env_example():
    from pathlib import Path

    from ntm.settings import Settings

    text = (Path(__file__).resolve().parent.parent / ".env.example").read_text(encoding="utf-8")
    assert [f for f in Settings.model_fields if f"NTM_{f.upper()}" not in text] == []
