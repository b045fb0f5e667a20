"""The Telegram channel: real python-telegram-bot over real HTTP against a fake Bot API server on localhost."""

from __future__ import annotations

import asyncio
import html
import logging
import re
import threading
import time
from contextlib import asynccontextmanager, contextmanager
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from bot.assistant import LOADING, NON_TEXT, RATE_LIMITED, THANKS, Reply
from bot.render import HELP_TEXT, START_TEXT, TIEUCHI_USAGE, DONVI_USAGE, UNKNOWN_COMMAND, VANBAN_UNKNOWN, VANBAN_USAGE
from bot.telegram_bot import CITATION_GONE, FEEDBACK_GONE, SECRET_HEADER, UNKNOWN_BUTTON
from ntm.channels import build_telegram
from bot.telegram_format import LIMIT, reply_parts, strip_html, utf16_len
from retrieval.evidence import Citation

from bot_support import PLAN_QUESTION, WATER_QUESTION, bot_settings, build_index, make_assistant
from fake_telegram import FakeTelegram, button_press, message, serve, transcript

# synthetic fixture: the made-up plan and water letter of tests_support, made-up chats and tokens.
pytestmark = pytest.mark.synthetic

TOKEN = "123456:AAH-synthetic-token-for-tests-0001"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


class LoopThread:
    """An asyncio loop in a background thread: the bot lives there while the test thread drives the fake server."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="bot-loop", daemon=True)
        self.thread.start()

    def run(self, coro, timeout: float = 30):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        async def leftovers():
            return [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]

        left = self.run(leftovers())
        self.run(self.loop.shutdown_default_executor())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()
        assert not left, f"stop() left tasks running: {left}"


class Bot:
    """A started channel and how a test talks to it through the fake server."""

    def __init__(self, fake: FakeTelegram, token: str, channel) -> None:
        self.fake, self.token, self.channel = fake, token, channel

    def push(self, update: dict) -> int:
        return self.fake.push(self.token, update)

    def sent(self, chat_id: int) -> list:
        return [c for c in self.fake.calls_of(self.token, "sendMessage", chat_id=chat_id) if c.status == 200]

    def exchange(self, chat_id: int, text: str | None = None, parts: int = 1, **extra) -> list:
        """Send a message from `chat_id` and return the `parts` messages the bot sent back."""
        before = len(self.sent(chat_id))
        self.push(message(chat_id, text, **extra))
        return self.fake.wait_for(self.token, "sendMessage", before + parts, chat_id=chat_id)[before:]

    def press(self, chat_id: int, data: str, query_id: str):
        """Press an inline button; returns the successful answerCallbackQuery call."""
        self.push(button_press(chat_id, data, query_id))
        return self.fake.wait_for(self.token, "answerCallbackQuery", callback_query_id=query_id)[0]


def settings_for(tmp: Path, fake: FakeTelegram, token: str, **extra):
    # bot_settings pins telegram_token=None, so the channel's settings are set on a copy.
    values = {"telegram_token": SecretStr(token), "telegram_base_url": fake.base_url, **extra}
    return bot_settings(tmp).model_copy(update=values)


@contextmanager
def running(tmp: Path, fake: FakeTelegram, assistant, token: str, **extra):
    """A channel long-polling the fake server from its own loop; stopped (nothing left running) afterwards."""
    channel = build_telegram(settings_for(tmp, fake, token, **extra), assistant)
    channel.poll_timeout, channel.backoff, channel.start_retry = 1, 0.05, 0.2
    loop = LoopThread()
    loop.run(channel.start(polling=True))
    try:
        yield Bot(fake, token, channel)
    finally:
        loop.run(channel.stop())
        loop.close()


def eventually(check, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)
    return result


def buttons(call) -> list[dict]:
    return [b for row in call.params["reply_markup"]["inline_keyboard"] for b in row]


class TelegramHTML(HTMLParser):
    """Checks a message is HTML Telegram accepts from us: only our tags, balanced, every & an entity."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        assert tag in ("b", "i", "blockquote") and not attrs, tag
        self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack.pop() == tag, f"unbalanced </{tag}>"


def assert_valid_html(text: str) -> None:
    parser = TelegramHTML()
    parser.feed(text)
    parser.close()
    assert not parser.stack, parser.stack
    bare = re.sub(r"</?(b|i|blockquote)>", "", text)
    assert "<" not in bare and ">" not in bare
    assert not re.search(r"&(?!(lt|gt|amp|quot);)", bare), "an & that is not an entity"


@pytest.fixture(scope="module")
def fake():
    server = FakeTelegram()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tg-index")
    return build_index(tmp), tmp


@pytest.fixture(scope="module")
def bot(index, fake, tmp_path_factory):
    services, _ = index
    tmp = tmp_path_factory.mktemp("tg-bot")
    with running(tmp, fake, make_assistant(services, tmp), TOKEN) as b:
        yield b


def test_question_is_answered_in_html_with_citation_and_feedback_buttons(bot, fake):
    answer = bot.exchange(1001, PLAN_QUESTION)[0]
    text = answer.params["text"]
    assert answer.params["parse_mode"] == "HTML"
    assert "7 xã" in text and "57/KH-UBND" in text and "\n\n<b>Căn cứ:</b>\n[1] 57/KH-UBND" in text
    assert_valid_html(text)
    typing = fake.calls_of(TOKEN, "sendChatAction", chat_id=1001)
    assert typing and typing[0].params["action"] == "typing" and typing[0].at <= answer.at
    labels = [b["text"] for b in buttons(answer)]
    assert labels == ["📄 [1]", "👍 Hữu ích", "👎 Chưa đúng"]
    data = [b["callback_data"] for b in buttons(answer)]
    assert re.fullmatch(r"c\|[0-9a-f]+\|1", data[0]) and data[1].endswith("|1") and data[2].endswith("|-1")
    assert all(len(d.encode()) < 64 for d in data)


def test_citation_button_sends_the_quoted_passage(bot, fake):
    since = time.monotonic()
    answer = bot.exchange(1002, PLAN_QUESTION)[0]
    ack = bot.press(1002, buttons(answer)[0]["callback_data"], "q-cite")
    passage = fake.wait_for(TOKEN, "sendMessage", 2, chat_id=1002)[1].params
    assert ack.params.get("text") is None  # just stops the button's spinner
    assert passage["parse_mode"] == "HTML"
    assert passage["text"].startswith("<b>[1] 57/KH-UBND — Xây dựng nông thôn mới huyện Đại Phong")
    assert "<i>I. MỤC TIÊU</i>" in passage["text"]
    assert "<blockquote>" in passage["text"] and "có thêm 7 xã đạt chuẩn nông thôn mới" in passage["text"]
    assert passage["text"].endswith("\nNguồn: ke-hoach-dai-phong.txt")  # the file, not the server's path
    assert_valid_html(passage["text"])
    ARTIFACTS.mkdir(exist_ok=True)
    calls = [c for c in fake.calls_of(TOKEN) if c.done >= since]
    (ARTIFACTS / "telegram_transcript.txt").write_text(transcript(
        calls, "Telegram exchange: a question, then the 📄 [1] button (fake Bot API server, synthetic documents)"),
        encoding="utf-8")


def test_feedback_is_stored_even_when_answering_the_button_fails(bot, fake):
    answer = bot.exchange(1003, WATER_QUESTION)[0]
    down, up = buttons(answer)[-1]["callback_data"], buttons(answer)[-2]["callback_data"]
    exchange_id = down.split("|")[1]
    log = bot.channel.assistant.conversations

    def rating():
        return [r["rating"] for r in log.rows(rated_only=True) if r["exchange_id"] == exchange_id]

    fake.fail_next("answerCallbackQuery", 3, 502)
    bot.push(button_press(1003, down, "q-down-502"))
    eventually(lambda: len(fake.calls_of(TOKEN, "answerCallbackQuery", callback_query_id="q-down-502")) == 3)
    assert eventually(rating) == [-1]  # stored although Telegram never got the thanks
    assert bot.press(1003, up, "q-up").params["text"] == THANKS[1]
    assert rating() == [1]  # a second vote replaces the first
    assert bot.press(1003, down, "q-down").params["text"] == THANKS[-1]
    assert rating() == [-1]
    assert bot.press(1003, "f|0123456789abcdef|-1", "q-gone").params["text"] == FEEDBACK_GONE
    assert bot.press(1003, "c|0123456789abcdef|1", "q-cite-gone").params["text"] == CITATION_GONE
    assert bot.press(1003, "something|else", "q-junk").params["text"] == UNKNOWN_BUTTON


def test_commands(bot):
    chat = 1004
    assert html.unescape(bot.exchange(chat, "/start")[0].params["text"]) == START_TEXT
    assert html.unescape(bot.exchange(chat, "/help")[0].params["text"]) == HELP_TEXT
    card = bot.exchange(chat, "/vanban 318/QĐ-TTg")[0].params["text"]
    assert "<b>Số hiệu:</b> 318/QĐ-TTg" in card and "<b>Cơ quan ban hành:</b> Thủ tướng Chính phủ" in card
    assert "<b>Được thay thế bởi:</b> 51/2025/QĐ-TTg" in card and "đã bị thay thế" in card
    assert_valid_html(card)
    assert html.unescape(bot.exchange(chat, "/vanban nonsense")[0].params["text"]) == VANBAN_UNKNOWN.format(
        query="nonsense")
    assert html.unescape(bot.exchange(chat, "/vanban")[0].params["text"]) == VANBAN_USAGE
    criterion = bot.exchange(chat, "/tieuchi 17")[0]
    assert criterion.params["text"].startswith("Tiêu chí số 17 giai đoạn 2021-2025 (318/QĐ-TTg")
    assert "Môi trường và an toàn thực phẩm" in criterion.params["text"]
    assert "<b>Căn cứ:</b>" in criterion.params["text"] and "👎 Chưa đúng" in [b["text"] for b in buttons(criterion)]
    assert html.unescape(bot.exchange(chat, "/tieuchi abc")[0].params["text"]) == TIEUCHI_USAGE
    assert "Không có tiêu chí số 99" in bot.exchange(chat, "/tieuchi 99")[0].params["text"]
    assert html.unescape(bot.exchange(chat, "/xoa_het")[0].params["text"]) == UNKNOWN_COMMAND


def test_unit_and_criteria_commands_with_arguments(bot):
    chat = 1008
    unit = html.unescape(bot.exchange(chat, "/donvi xa long tri a, hau giang")[0].params["text"])
    assert "Xã Long Trị A (thị xã Long Mỹ, tỉnh Hậu Giang cũ) nay thuộc phường Long Mỹ, thành phố Cần Thơ (đơn vị mới là phường)." in unit
    assert "vietnamadminunits 1.0.4" in unit
    assert "Vui lòng ghi thêm huyện cũ hoặc tỉnh" in html.unescape(bot.exchange(chat, "/donvi Tân Phú")[0].params["text"])
    assert "Không tìm thấy đơn vị hành chính" in html.unescape(bot.exchange(chat, "/donvi Qwzrtyk")[0].params["text"])
    assert html.unescape(bot.exchange(chat, "/donvi")[0].params["text"]) == DONVI_USAGE
    group = html.unescape(bot.exchange(chat, "/tieuchi 8 2026-2030 nhóm 2")[0].params["text"])
    assert "Tiêu chí số 8: Môi trường và cảnh quan nông thôn" in group and "Phụ lục I của QĐ 51/2025/QĐ-TTg" in group


def test_non_text_and_bad_messages_get_clear_replies(bot):
    chat = 1005
    file = {"file_id": "F1", "file_unique_id": "U1"}
    kinds = {"sticker": {**file, "type": "regular", "width": 512, "height": 512, "is_animated": False,
                         "is_video": False},
             "photo": [{**file, "width": 90, "height": 90}], "document": {**file, "file_name": "kehoach.pdf"},
             "voice": {**file, "duration": 3}, "location": {"latitude": 21.0, "longitude": 105.8},
             "contact": {"phone_number": "0900000000", "first_name": "A"}}
    for kind, payload in kinds.items():
        assert html.unescape(bot.exchange(chat, **{kind: payload})[0].params["text"]) == NON_TEXT, kind
    assert "Câu hỏi đang trống" in bot.exchange(chat, "   ")[0].params["text"]
    too_long = bot.exchange(chat, "nông thôn mới " * 358)[0].params["text"]  # 5,012 characters
    assert "Câu hỏi quá dài" in too_long and "tối đa" in too_long
    echoed = bot.exchange(chat, "/vanban <script>alert(1)</script> & co")[0].params["text"]
    assert "“&lt;script&gt;alert(1)&lt;/script&gt; &amp; co”" in echoed and "<script>" not in echoed
    answer = bot.exchange(chat, "<b>Tỷ lệ</b> hộ dân dùng nước sạch & <script>?")[0].params["text"]
    assert_valid_html(answer)
    # An edited question is answered again (the officer fixed a typo).
    edited = message(chat, WATER_QUESTION)["message"] | {"edit_date": int(time.time())}
    before = len(bot.sent(chat))
    bot.push({"edited_message": edited})
    assert "92%" in bot.fake.wait_for(TOKEN, "sendMessage", before + 1, chat_id=chat)[-1].params["text"]


def test_a_burst_gets_one_polite_message_and_the_rest_is_silent(index, fake, tmp_path):
    services, _ = index
    assistant = make_assistant(services, tmp_path, per_minute=2)
    with running(tmp_path, fake, assistant, "222222:AAH-burst-token") as burst:
        for _ in range(6):
            burst.push(message(2001, WATER_QUESTION))
        me = assistant.conversations.anonymise("telegram", "2001")
        eventually(lambda: len([r for r in assistant.conversations.rows() if r["user"] == me]) == 6)
        fake.wait_for(burst.token, "sendMessage", 3, chat_id=2001)
        time.sleep(0.3)  # a fourth message would have been sent by now
        texts = [c.params["text"] for c in burst.sent(2001)]
    polite = RATE_LIMITED.split("{")[0]
    assert len(texts) == 3
    assert sum(t.startswith(polite) for t in texts) == 1 and sum("92%" in t for t in texts) == 2


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # raised inside PTB's RetryAfter
def test_sending_survives_flood_control_bad_gateway_and_rejected_html(bot, fake):
    chat = 1006
    fake.fail_next("sendMessage", 1, 429)
    answer = bot.exchange(chat, PLAN_QUESTION)[0]
    tries = fake.calls_of(TOKEN, "sendMessage", chat_id=chat)
    assert [c.status for c in tries] == [429, 200] and tries[1].at - tries[0].at >= 0.9  # waited retry_after
    assert "7 xã" in answer.params["text"]
    fake.fail_next("sendMessage", 3, 502)
    bot.push(message(chat, WATER_QUESTION))
    eventually(lambda: [c.status for c in fake.calls_of(TOKEN, "sendMessage", chat_id=chat)][2:] == [502] * 3)
    assert "92%" in bot.exchange(chat, WATER_QUESTION)[0].params["text"]  # still answering after giving up
    fake.fail_next("sendMessage", 1, 400)
    plain = bot.exchange(chat, PLAN_QUESTION)[0].params
    assert "parse_mode" not in plain and "<b>" not in plain["text"] and "\n\nCăn cứ:\n[1] 57/KH-UBND" in plain["text"]
    assert "👍 Hữu ích" in [b["text"] for b in buttons(fake.calls_of(TOKEN, "sendMessage", chat_id=chat)[-1])]


class StubAssistant:
    """Answers every question with a fixed Reply (to force a long answer or an honest refusal)."""

    def __init__(self, reply: Reply, delay: float = 0.0) -> None:
        self.reply, self.delay = reply, delay

    def ask(self, channel, user_id, text):
        time.sleep(self.delay)
        return self.reply


def long_reply() -> tuple[Reply, list[str]]:
    paragraphs = [f"Đoạn {i}: chỉ tiêu < {i}0% & điều kiện > 0 " + "nội dung kế hoạch <khoản> & mục; " * 10
                  for i in range(30)]
    cite = Citation(1, "d1", "57/KH-UBND", "Kế hoạch <thử> & kiểm", "I. MỤC TIÊU", 2, "kh.txt", "trích", 1.0)
    sources = "Căn cứ:\n[1] 57/KH-UBND — Kế hoạch <thử> & kiểm; I. MỤC TIÊU"
    text = "\n\n".join(paragraphs + [sources])
    return Reply("answered", text, (cite,), exchange_id="ab12cd34ef56ab78"), paragraphs + [sources]


def test_a_long_answer_is_split_on_paragraphs_with_buttons_on_the_last_part(fake, tmp_path):
    reply, paragraphs = long_reply()
    assert len(reply.text) > 9000
    stub, count = StubAssistant(reply, delay=0.5), len(reply_parts(reply))
    assert count >= 3
    with running(tmp_path, fake, stub, "333333:AAH-long-token") as long_bot:
        long_bot.channel.typing_every = 0.1
        parts = long_bot.exchange(3001, "câu hỏi", parts=count)
        typing = len(fake.calls_of(long_bot.token, "sendChatAction", chat_id=3001))
        time.sleep(0.3)
        assert len(long_bot.sent(3001)) == count
        # "typing…" was renewed while the slow answer ran, and stopped once it was sent
        assert typing >= 3 and len(fake.calls_of(long_bot.token, "sendChatAction", chat_id=3001)) == typing
        stub.delay = 0
        nearest = "Chưa nêu nội dung này.\n\nTài liệu gần nhất:\n[1] 57/KH-UBND — Kế hoạch; I. MỤC TIÊU: “7 xã”"
        stub.reply = Reply("not_found", nearest, reply.citations, exchange_id="cd34ef56ab78ab12")
        refusal = long_bot.exchange(3001, "câu hỏi khác")[0]
    texts = [p.params["text"] for p in parts]
    for t in texts:
        assert utf16_len(t) <= 4096
        assert_valid_html(t)
    assert [("reply_markup" in p.params) for p in parts] == [False] * (count - 1) + [True]
    assert [b["text"] for b in buttons(parts[-1])] == ["📄 [1]", "👍 Hữu ích", "👎 Chưa đúng"]
    pieces = [p for t in texts for p in strip_html(t).split("\n\n")]
    assert pieces == paragraphs  # every part is whole paragraphs, in order, nothing lost
    assert texts[-1].endswith("<b>Căn cứ:</b>\n[1] 57/KH-UBND — Kế hoạch &lt;thử&gt; &amp; kiểm; I. MỤC TIÊU")
    assert refusal.params["text"] == ("ℹ️ <b>Không tìm thấy trong tài liệu</b>\n\nChưa nêu nội dung này.\n\n"
                                      "<b>Tài liệu gần nhất:</b>\n[1] 57/KH-UBND — Kế hoạch; I. MỤC TIÊU: “7 xã”")
    assert [b["text"] for b in buttons(refusal)] == ["📄 [1]", "👍 Hữu ích", "👎 Chưa đúng"]


def test_a_paragraph_longer_than_the_limit_is_cut_without_breaking_entities():
    reply = Reply("error", "a & b < c. " * 1200)  # one 13,200-character paragraph that escapes to 21,600
    parts = reply_parts(reply)
    assert len(parts) >= 6 and all(utf16_len(p) <= LIMIT for p in parts)
    for p in parts:
        assert_valid_html(p)
    assert "".join(strip_html(p) for p in parts).replace(" ", "") == reply.text.replace(" ", "")


def test_webhook_route_checks_the_secret_and_processes_updates(index, fake, tmp_path):
    services, _ = index
    token = "444444:AAH-webhook-token"
    settings = settings_for(tmp_path, fake, token, telegram_webhook_secret=SecretStr("s3cret_Token-1"),
                            telegram_webhook_url="https://bot.example/telegram/webhook")
    channel = build_telegram(settings, make_assistant(services, tmp_path))

    @asynccontextmanager
    async def lifespan(app):
        await channel.start(polling=False)
        yield
        await channel.stop()

    app = FastAPI(lifespan=lifespan)
    app.include_router(channel.router)
    server, thread, port = serve(app, "webhook-app", lifespan="on")
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    update = {"update_id": 777, **message(4001, PLAN_QUESTION)}
    right = {SECRET_HEADER: "s3cret_Token-1"}
    try:
        hook = fake.wait_for(token, "setWebhook")[0].params
        assert hook["url"] == "https://bot.example/telegram/webhook" and hook["secret_token"] == "s3cret_Token-1"
        assert httpx.post(url, json=update, headers=right).status_code == 200
        assert "7 xã" in fake.wait_for(token, "sendMessage", chat_id=4001)[0].params["text"]
        assert httpx.post(url, json=update, headers=right).status_code == 200  # Telegram's retry of the same update
        wrong = httpx.post(url, json=update, headers={SECRET_HEADER: "guess"})
        assert wrong.status_code == 401 and wrong.json()["code"] == "bad_secret"
        assert httpx.post(url, json=update).status_code == 401
        bad = httpx.post(url, content=b"not json{", headers=right)
        assert bad.status_code == 400 and bad.json()["code"] == "invalid_update"
        assert httpx.post(url, json=[1, 2], headers=right).status_code == 400
        time.sleep(0.3)
        assert len(fake.calls_of(token, "sendMessage", chat_id=4001)) == 1  # the retry was not answered twice
    finally:
        server.should_exit = True
        thread.join(10)
    assert not channel.application.running
    off = build_telegram(settings_for(tmp_path, fake, token), make_assistant(services, tmp_path))
    refused = TestClient(FastAPI(routes=off.router.routes)).post("/telegram/webhook", json=update,
                                                                 headers={SECRET_HEADER: ""})
    assert refused.status_code == 401 and "NTM_TELEGRAM_WEBHOOK_SECRET is not set" in refused.json()["detail"]


def test_the_token_never_appears_in_logs(bot, fake, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "telegram", "bot"):
        caplog.set_level(logging.DEBUG, logger=name)
    answer = bot.exchange(1007, PLAN_QUESTION)[0]
    bot.press(1007, buttons(answer)[0]["callback_data"], "q-log")
    rejected = "555555:AAH-rejected-token"
    fake.rejected_tokens.add(rejected)
    with running(tmp_path, fake, make_assistant(None, tmp_path), rejected):
        pass  # Telegram refuses the token: logged, the channel stays off, nothing crashes
    text = caplog.text + "".join(r.getMessage() for r in caplog.records)
    assert TOKEN not in text and rejected not in text
    assert "HTTP Request: POST http://127.0.0.1" in text and "/bot<redacted>/sendMessage" in text
    assert "Telegram rejected the bot token" in text


def test_while_the_services_load_the_bot_says_so(fake, tmp_path):
    with running(tmp_path, fake, make_assistant(None, tmp_path), "777777:AAH-loading-token") as loading:
        for text in (PLAN_QUESTION, "/vanban 318/QĐ-TTg", "/tieuchi 17"):
            assert html.unescape(loading.exchange(5001, text)[0].params["text"]) == LOADING, text


def test_channel_is_off_without_a_token_and_survives_an_unreachable_telegram(caplog, tmp_path):
    caplog.set_level(logging.INFO)
    assistant = make_assistant(None, tmp_path)
    assert build_telegram(bot_settings(tmp_path), assistant) is None
    assert "Telegram channel off: NTM_TELEGRAM_TOKEN is not set" in caplog.text
    nowhere = type("Closed", (), {"base_url": "http://127.0.0.1:9/bot"})()  # nothing listens on port 9
    with running(tmp_path, nowhere, assistant, "666666:AAH-offline-token") as offline:
        time.sleep(0.5)  # a few background retries
        assert not offline.channel.application.running
    assert "Telegram channel could not start" in caplog.text


@pytest.mark.parametrize("argument", ["9" * 4000, "\ud800 qd 318"])
def test_vanban_with_an_odd_argument_still_gets_a_sendable_reply(argument):
    """Found by an outside test: the argument was echoed whole (over Telegram's limit) or unencodable, so the
    officer got no reply at all."""
    from types import SimpleNamespace

    from bot.telegram_format import card_reply

    reply = card_reply(SimpleNamespace(document_card=lambda q: None), argument)
    assert utf16_len(reply) <= LIMIT
    reply.encode("utf-8")  # Telegram's client sends UTF-8: a lone surrogate would fail every attempt
    assert reply.startswith("Không tìm thấy văn bản")
