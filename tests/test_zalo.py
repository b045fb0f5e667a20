"""The Zalo OA channel against a fake OA API + OAuth server over real HTTP: signatures, replays, splitting, tokens."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
import threading
import time
import uuid
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.assistant import NON_TEXT, THANKS
from bot.render import START_TEXT
from bot.zalo import NOTHING_TO_RATE, RATING_HINT
from ntm.channels import build_zalo
from bot.zalo_client import TOKEN_FILE, TokenStore, Tokens
from ntm.settings import Settings

from bot_support import PLAN_QUESTION, WATER_QUESTION, build_index, make_assistant
from fake_zalo import APP_ID, APP_SECRET, OA_SECRET_KEY, FakeZalo

pytestmark = pytest.mark.synthetic

# synthetic fixture: made-up user ids and tokens
USER = "8146203365079954921"
SEED_ACCESS, SEED_REFRESH = "acc-seed-7Qk2", "ref-seed-3Lm9"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
SECRETS = (APP_SECRET, OA_SECRET_KEY, SEED_ACCESS, SEED_REFRESH, "acc-old-", "ref-old-", "acc-new-", "ref-new-")


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    """The synthetic index (57/KH-UBND plan, water letter), built once for the module."""
    return build_index(tmp_path_factory.mktemp("zalo-index"))


@pytest.fixture(scope="module")
def fake_server():
    server = FakeZalo()
    server.base = server.start()
    yield server
    server.stop()


@pytest.fixture
def fake(fake_server):
    """The fake Zalo, reset: accepts the seed access token, redeems the seed refresh token once."""
    fake_server.reset(access_tokens=(SEED_ACCESS,), refresh_tokens=(SEED_REFRESH,))
    return fake_server


@pytest.fixture(autouse=True)
def no_secrets_in_logs(caplog):
    """Every test also checks that no token or secret reached the logs."""
    caplog.set_level(logging.DEBUG)
    yield
    for secret in SECRETS:
        assert secret not in caplog.text, f"{secret!r} leaked into the logs"


def zalo_settings(tmp, fake, **extra) -> Settings:
    """Settings with every Zalo field explicit (the environment must not leak in), pointed at the fake."""
    values = dict(zalo_app_id=APP_ID, zalo_app_secret=APP_SECRET, zalo_oa_secret_key=OA_SECRET_KEY,
                  zalo_access_token=SEED_ACCESS, zalo_refresh_token=SEED_REFRESH,
                  zalo_api_base=fake.base if fake else "http://127.0.0.1:9", zalo_oauth_base=fake.base if fake else
                  "http://127.0.0.1:9")
    values.update(extra)
    return Settings(_env_file=None, data_dir=tmp / "data", qdrant_url=None, llm_base_url=None, llm_gguf=None,
                    telegram_token=None, **values)


def canned(text: str, gate: threading.Event | None = None):
    """Services whose asker answers `text` (after `gate` opens), to control answer size and timing."""
    def ask(question):
        if gate is not None:
            gate.wait(10)
        return SimpleNamespace(answer=SimpleNamespace(answered=True, text=text, citations=()))
    return SimpleNamespace(asker=SimpleNamespace(ask=ask))


def event(text: str | None = None, user: str = USER, name: str = "user_send_text", msg_id: str | None = None,
          ts: int | None = None) -> dict:
    """A Zalo webhook event as documented (timestamp in milliseconds, as a string)."""
    ts = int(time.time() * 1000) if ts is None else ts
    ev = {"app_id": APP_ID, "user_id_by_app": "5550" + user[-4:], "event_name": name, "timestamp": str(ts),
          "recipient": {"id": "579745863508352884"}}
    if name == "follow":
        return {**ev, "follower": {"id": user}, "source": "oa_profile"}
    message = {"msg_id": msg_id or uuid.uuid4().hex}
    if text is not None:
        message["text"] = text
    if name == "user_send_sticker":
        message["attachments"] = [{"type": "sticker", "payload": {"id": "bfe458bf64fa8da4d4eb", "url": "x"}}]
    return {**ev, "sender": {"id": user}, "message": message}


def mac(raw: bytes, timestamp: str, secret: str = OA_SECRET_KEY) -> str:
    """The signature as Zalo computes it (written out here, not imported from the code under test)."""
    return "mac=" + hashlib.sha256(APP_ID.encode() + raw + timestamp.encode() + secret.encode()).hexdigest()


class Harness:
    """A real FastAPI app with the channel's router; TestClient runs its lifespan (start/stop) and event loop."""

    def __init__(self, client: TestClient, channel) -> None:
        self.client, self.channel = client, channel

    def post(self, ev: dict | None = None, raw: bytes | None = None, signature: str | None = "auto"):
        raw = json.dumps(ev, ensure_ascii=False).encode() if raw is None else raw
        if signature == "auto":
            signature = mac(raw, ev["timestamp"])
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-ZEvent-Signature"] = signature
        return self.client.post("/zalo/webhook", content=raw, headers=headers)

    def idle(self, timeout: float = 10.0) -> None:
        """Wait until every acknowledged event has been handled (answers run in background tasks)."""
        deadline = time.monotonic() + timeout
        while self.channel.busy and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not self.channel.busy, "events still being handled"


@contextmanager
def running(settings, assistant):
    """Serve the channel; tiny retry delays keep the backoff tests fast."""
    channel = build_zalo(settings, assistant, retry_delay=0.01, max_retry_after=0.05)
    assert channel is not None

    @asynccontextmanager
    async def lifespan(app):
        await channel.start()
        yield
        await channel.stop()

    app = FastAPI(lifespan=lifespan)
    app.include_router(channel.router)
    with TestClient(app) as client:
        yield Harness(client, channel)


def write_tokens(settings, access: str, refresh: str, expires_at: float | None) -> bytes:
    path = settings.data_dir / TOKEN_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"access_token": access, "refresh_token": refresh, "expires_at": expires_at}))
    return path.read_bytes()


# 1. A signed question is acknowledged at once and answered with its sources ------------------------------

def test_signed_question_is_answered_with_numbered_sources(services, fake, tmp_path):
    assistant = make_assistant(services, tmp_path)
    incoming = event(PLAN_QUESTION)
    with running(zalo_settings(tmp_path, fake), assistant) as zalo:
        resp = zalo.post(incoming)
        assert (resp.status_code, resp.json()) == (200, {"status": "accepted"})
        [sent] = fake.wait_delivered(1)
    ARTIFACTS.mkdir(exist_ok=True)  # a transcript for people reviewing the channel
    (ARTIFACTS / "zalo-exchange.txt").write_text(
        f"POST /zalo/webhook (X-ZEvent-Signature: mac=…)\n{json.dumps(incoming, ensure_ascii=False, indent=2)}\n"
        f"-> {resp.status_code} {resp.text}\n\nPOST /v3.0/oa/message/cs (access_token: …)\n"
        f"{json.dumps(sent.json, ensure_ascii=False, indent=2)}\n-> {json.dumps(sent.reply)}\n\n"
        f"As the officer reads it:\n{sent.text}\n", encoding="utf-8")
    assert sent.headers["access_token"] == SEED_ACCESS
    assert sent.user_id == USER
    assert "7 xã" in sent.text and "57/KH-UBND" in sent.text
    assert "\n\nCăn cứ:\n[1] 57/KH-UBND" in sent.text
    assert sent.text.endswith("\n\n" + RATING_HINT)
    [row] = list(assistant.conversations.rows())
    assert (row["channel"], row["question"], row["status"]) == ("zalo", PLAN_QUESTION, "answered")
    assert row["user"] != USER  # stored as a pseudonym


def test_ack_does_not_wait_for_the_answer(fake, tmp_path):
    gate = threading.Event()
    assistant = make_assistant(canned("Câu trả lời chậm.", gate), tmp_path)
    with running(zalo_settings(tmp_path, fake), assistant) as zalo:
        started = time.monotonic()
        resp = zalo.post(event("Câu hỏi cần nhiều thời gian?"))
        acked_in = time.monotonic() - started
        assert resp.status_code == 200 and acked_in < 2.0  # Zalo's limit is 2 s
        assert zalo.channel.busy == 1 and fake.sends() == []  # acknowledged while the answer is still pending
        gate.set()
        [sent] = fake.wait_delivered(1)
    assert sent.text.startswith("Câu trả lời chậm.")


# 2. Unsigned, forged, stale and malformed requests --------------------------------------------------------

def test_refused_requests_send_nothing(services, fake, tmp_path):
    assistant = make_assistant(services, tmp_path)
    now = int(time.time() * 1000)
    good = event(PLAN_QUESTION)
    raw = json.dumps(good).encode()
    no_ts = {k: v for k, v in event(PLAN_QUESTION).items() if k != "timestamp"}
    no_ts_raw = json.dumps(no_ts).encode()
    cases = [  # (label, post kwargs, status, code)
        ("wrong secret", dict(ev=good, signature=mac(raw, good["timestamp"], "not-the-oa-secret")), 401,
         "bad_signature"),
        ("tampered body", dict(raw=raw.replace(b"2031", b"2032"), signature=mac(raw, good["timestamp"])), 401,
         "bad_signature"),
        ("missing header", dict(ev=good, signature=None), 401, "unsigned"),
        ("garbage mac", dict(ev=good, signature="mac=not-a-hex-digest"), 401, "unsigned"),
        ("other scheme", dict(ev=good, signature=mac(raw, good["timestamp"]).replace("mac=", "sha256=")), 401,
         "unsigned"),
        ("stale", dict(ev=event(PLAN_QUESTION, ts=now - 301_000)), 401, "stale"),
        ("future", dict(ev=event(PLAN_QUESTION, ts=now + 301_000)), 401, "stale"),
        ("no timestamp", dict(raw=no_ts_raw, signature=mac(no_ts_raw, "")), 401, "stale"),
        ("not json", dict(raw=b"user_send_text&text=hello", signature=mac(b"user_send_text&text=hello", "")), 400,
         "invalid_json"),
        ("json array", dict(raw=b"[1, 2]", signature=None), 400, "invalid_json"),
        ("nested 1000 deep", dict(raw=b"[" * 1000 + b"]" * 1000, signature=None), 400, "invalid_json"),
        ("huge body", dict(raw=b" " * 70_000 + raw, signature=None), 413, "too_large"),
        ("another app's event", dict(ev={**event(PLAN_QUESTION), "app_id": "9876543210987654321"}), 401,
         "wrong_app"),
        ("no app id", dict(ev={k: v for k, v in event(PLAN_QUESTION).items() if k != "app_id"}), 401, "wrong_app"),
    ]
    with running(zalo_settings(tmp_path, fake), assistant) as zalo:
        for label, kwargs, status, code in cases:
            resp = zalo.post(**kwargs)
            assert (resp.status_code, resp.json().get("code")) == (status, code), (label, resp.text)
            assert set(resp.json()) == {"detail", "code"} and resp.json()["detail"], label  # the one error body
        resp = zalo.post(event(name="user_did_something_new"))
        assert (resp.status_code, resp.json()) == (200, {"status": "ignored"})
        resp = zalo.post(event(name="user_seen_message"))
        assert (resp.status_code, resp.json()) == (200, {"status": "ignored"})
        zalo.idle()
    assert fake.sends() == []
    assert list(assistant.conversations.rows()) == []


# 3. Replays ------------------------------------------------------------------------------------------------

def test_replayed_msg_id_is_answered_once_even_after_a_restart(services, fake, tmp_path):
    ev = event(PLAN_QUESTION, msg_id="a1b2c3d4e5")
    settings = zalo_settings(tmp_path, fake)
    with running(settings, make_assistant(services, tmp_path)) as zalo:
        assert zalo.post(ev).json() == {"status": "accepted"}
        assert zalo.post(ev).json() == {"status": "duplicate"}
        fake.wait_delivered(1)
        zalo.idle()
    with running(settings, make_assistant(services, tmp_path)) as zalo:  # same data dir, new channel
        resp = zalo.post({**ev, "timestamp": str(int(time.time() * 1000))})
        assert (resp.status_code, resp.json()) == (200, {"status": "duplicate"})
        zalo.idle()
    assert len(fake.sends()) == 1


# 4. Long answers -------------------------------------------------------------------------------------------

def test_long_answer_is_sent_in_ordered_parts_split_between_paragraphs(fake, tmp_path):
    paragraphs = [f"Đoạn {i:02d}. " + "Nội dung hướng dẫn thực hiện tiêu chí nông thôn mới. " * 8 for i in range(12)]
    long_text = "\n\n".join(paragraphs) + "\n\nCăn cứ:\n[1] 57/KH-UBND — Kế hoạch; I. MỤC TIÊU"
    assert 4500 < len(long_text) < 6000
    with running(zalo_settings(tmp_path, fake), make_assistant(canned(long_text), tmp_path)) as zalo:
        zalo.post(event("Hỏi một câu có câu trả lời rất dài?"))
        fake.wait_delivered(3)
        zalo.idle()
    parts = [r.text for r in fake.sends()]
    assert len(parts) == 3 and all(len(p) <= 2000 for p in parts)
    assert "\n\n".join(parts) == long_text + "\n\n" + RATING_HINT  # whole text, in order
    assert all(p.startswith("Đoạn ") for p in parts)  # each part starts at a paragraph
    assert all(p.rstrip().endswith(".") or p.endswith(RATING_HINT) for p in parts)


# 5. Tokens -------------------------------------------------------------------------------------------------

def test_expired_token_is_refreshed_and_persisted_before_use(services, fake, tmp_path):
    settings = zalo_settings(tmp_path, fake, zalo_access_token=None, zalo_refresh_token=None)
    write_tokens(settings, "acc-old-1", "ref-old-1", time.time() - 60)
    fake.reset(access_tokens=("acc-old-1",), refresh_tokens=("ref-old-1",))  # old token still accepted: we must
    token_file = settings.data_dir / TOKEN_FILE                             # refresh on expiry, not on refusal
    on_disk_at_send = []
    fake.on_send = lambda rec: on_disk_at_send.append(json.loads(token_file.read_text()))
    with running(settings, make_assistant(services, tmp_path)) as zalo:
        zalo.post(event(PLAN_QUESTION))
        [sent] = fake.wait_delivered(1)
    [refresh] = fake.refreshes()
    assert refresh.headers["secret_key"] == APP_SECRET
    assert refresh.form == {"refresh_token": "ref-old-1", "app_id": APP_ID, "grant_type": "refresh_token"}
    new = refresh.reply
    assert sent.headers["access_token"] == new["access_token"] != "acc-old-1"
    assert on_disk_at_send[0]["refresh_token"] == new["refresh_token"]  # persisted before the new token was used
    saved = json.loads(token_file.read_text())
    assert (saved["access_token"], saved["refresh_token"]) == (new["access_token"], new["refresh_token"])
    assert abs(saved["expires_at"] - (time.time() + 90000)) < 60
    assert stat.S_IMODE(os.stat(token_file).st_mode) == 0o600
    assert sorted(p.name for p in token_file.parent.iterdir() if "zalo" in p.name) == [TOKEN_FILE]


@pytest.mark.parametrize("code", [-216, -124])
def test_rejected_token_triggers_one_refresh_then_the_resend(services, fake, tmp_path, code):
    fake.reset(access_tokens=(), refresh_tokens=(SEED_REFRESH,))  # Zalo no longer accepts the seed token
    fake.reject_code = code
    with running(zalo_settings(tmp_path, fake), make_assistant(services, tmp_path)) as zalo:
        zalo.post(event(PLAN_QUESTION))
        fake.wait_delivered(1)
        zalo.post(event(WATER_QUESTION))
        fake.wait_delivered(2)
    rejected, first, second = fake.sends()
    assert rejected.headers["access_token"] == SEED_ACCESS and rejected.reply["error"] == code
    [refresh] = fake.refreshes()
    assert first.headers["access_token"] == second.headers["access_token"] == refresh.reply["access_token"]
    assert "7 xã" in first.text and "92%" in second.text


def test_concurrent_sends_refresh_only_once(services, fake, tmp_path):
    settings = zalo_settings(tmp_path, fake, zalo_access_token=None, zalo_refresh_token=None)
    write_tokens(settings, "acc-old-2", "ref-old-2", time.time() - 60)
    fake.reset(refresh_tokens=("ref-old-2",))  # single use: a second refresh with it would fail
    fake.oauth_delay = 0.3  # the other sends arrive while the first refresh is still in flight
    with running(settings, make_assistant(services, tmp_path)) as zalo:
        for user in ("1001", "1002", "1003"):
            zalo.post(event(PLAN_QUESTION, user=user))
        sent = fake.wait_delivered(3)
    assert len(fake.refreshes()) == 1
    assert sorted(r.user_id for r in sent) == ["1001", "1002", "1003"]


def test_failed_refresh_keeps_the_token_file(services, fake, tmp_path, caplog):
    settings = zalo_settings(tmp_path, fake, zalo_access_token=None, zalo_refresh_token=None)
    before = write_tokens(settings, "acc-old-3", "ref-old-3", time.time() - 60)
    fake.reset()  # the OAuth server no longer knows the refresh token
    with running(settings, make_assistant(services, tmp_path)) as zalo:
        assert zalo.post(event(PLAN_QUESTION)).status_code == 200
        zalo.idle()
    assert len(fake.refreshes()) == 1 and fake.sends() == []
    assert (settings.data_dir / TOKEN_FILE).read_bytes() == before
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("refresh refused" in m and "-14014" in m and "re-authorise" in m for m in errors), errors


def test_restart_keeps_refreshed_tokens_and_new_settings_tokens_win(tmp_path):
    path = tmp_path / TOKEN_FILE
    assert TokenStore(path, "acc-A", "ref-A").load().access_token == "acc-A"  # seeded, and written
    seeded = TokenStore(path, "acc-A", "ref-A").load()
    TokenStore(path).save(Tokens("acc-B", "ref-B", time.time() + 3600, seeded.seeded_from))  # a refresh
    assert TokenStore(path, "acc-A", "ref-A").load().refresh_token == "ref-B"  # restart: spent token not reused
    assert TokenStore(path).load().refresh_token == "ref-B"  # settings emptied: the file still works
    assert TokenStore(path, "acc-C", "ref-C").load().refresh_token == "ref-C"  # operator re-authorised
    assert json.loads(path.read_text())["refresh_token"] == "ref-C"


# 6. Bad input ------------------------------------------------------------------------------------------------

def test_non_text_empty_and_too_long_messages_get_clear_replies(services, fake, tmp_path):
    cases = {"2001": event(name="user_send_sticker"), "2002": event(name="user_send_image"),
             "2003": event(""), "2004": event("Hỏi" + " rất dài" * 624 + " nhé?"), "2005": event(name="follow")}
    with running(zalo_settings(tmp_path, fake), make_assistant(services, tmp_path)) as zalo:
        for user, ev in cases.items():
            ev = json.loads(json.dumps(ev).replace(USER, user))
            assert zalo.post(ev).status_code == 200
        fake.wait_delivered(5)
        zalo.idle()
    got = {r.user_id: r.text for r in fake.sends()}
    assert got["2001"] == got["2002"] == NON_TEXT
    assert got["2003"].startswith("Câu hỏi đang trống")
    assert got["2004"].startswith("Câu hỏi quá dài (5000 ký tự")
    assert got["2005"] == START_TEXT
    assert len(fake.sends()) == 5 and not any(RATING_HINT in t for t in got.values())


def test_burst_from_one_user_gets_one_polite_message(services, fake, tmp_path):
    assistant = make_assistant(services, tmp_path, per_minute=2)
    with running(zalo_settings(tmp_path, fake), assistant) as zalo:
        for _ in range(6):
            zalo.post(event(PLAN_QUESTION))
        fake.wait_delivered(3)
        zalo.idle()
    texts = [r.text for r in fake.sends()]
    assert len(texts) == 3
    assert sum("7 xã" in t for t in texts) == 2
    assert sum(t.startswith("Bạn đang gửi nhiều câu hỏi liên tiếp") for t in texts) == 1
    assert len(list(assistant.conversations.rows())) == 6  # every message is still logged


# 7. Zalo answering 429 / 5xx ---------------------------------------------------------------------------------

def test_429_is_retried_after_a_capped_retry_after(services, fake, tmp_path):
    fake.fail_next = [(429, {"Retry-After": "120"})]
    with running(zalo_settings(tmp_path, fake), make_assistant(services, tmp_path)) as zalo:
        started = time.monotonic()
        zalo.post(event(PLAN_QUESTION))
        [sent] = fake.wait_delivered(1)
        assert time.monotonic() - started < 5  # 120 s capped (at 0.05 s here)
        zalo.idle()
    throttled, ok = fake.sends()
    assert throttled.status == 429 and ok.text == throttled.text == sent.text


def test_persistent_500_gives_up_with_a_warning_and_the_next_event_is_answered(services, fake, tmp_path, caplog):
    fake.fail_next = [(500, {}), (502, {}), (503, {})]
    with running(zalo_settings(tmp_path, fake), make_assistant(services, tmp_path)) as zalo:
        zalo.post(event(PLAN_QUESTION))
        zalo.idle()
        assert len(fake.sends()) == 3 and fake.delivered() == []
        assert any(r.levelno == logging.WARNING and "failed after 3 attempts" in r.getMessage()
                   for r in caplog.records)
        zalo.post(event(WATER_QUESTION))
        [sent] = fake.wait_delivered(1)
    assert "92%" in sent.text


# 8. Feedback by text -----------------------------------------------------------------------------------------

def test_thumbs_down_rates_the_latest_answer(services, fake, tmp_path):
    assistant = make_assistant(services, tmp_path)
    with running(zalo_settings(tmp_path, fake), assistant) as zalo:
        zalo.post(event("👍", user="3001"))  # nothing to rate yet
        zalo.post(event(PLAN_QUESTION))
        fake.wait_delivered(2)
        zalo.post(event("👎\ufe0f"))
        sent = fake.wait_delivered(3)
    by_user = {}
    for r in sent:
        by_user.setdefault(r.user_id, []).append(r.text)
    assert by_user["3001"] == [NOTHING_TO_RATE]
    assert by_user[USER][1] == THANKS[-1]
    [rated] = list(assistant.conversations.rows(rated_only=True))
    assert (rated["question"], rated["rating"], rated["channel"]) == (PLAN_QUESTION, -1, "zalo")


def test_rating_right_after_a_question_rates_that_question(services, fake, tmp_path):
    gate = threading.Event()

    def ask(question):  # the real answer, held back until the rating has arrived too
        if question == WATER_QUESTION:
            gate.wait(10)
        return services.asker.ask(question)

    assistant = make_assistant(SimpleNamespace(asker=SimpleNamespace(ask=ask)), tmp_path)
    with running(zalo_settings(tmp_path, fake), assistant) as zalo:
        zalo.post(event(PLAN_QUESTION))
        fake.wait_delivered(1)
        zalo.post(event(WATER_QUESTION))
        zalo.post(event("đúng"))  # arrives while the water answer is still being computed
        assert zalo.channel.busy == 2
        gate.set()
        texts = [r.text for r in fake.wait_delivered(3)]
    assert "92%" in texts[1] and texts[2] == THANKS[1]  # answered in arrival order
    [rated] = list(assistant.conversations.rows(rated_only=True))
    assert (rated["question"], rated["rating"]) == (WATER_QUESTION, 1)


def test_rating_is_kept_when_the_thanks_cannot_be_sent(services, fake, tmp_path, caplog):
    assistant = make_assistant(services, tmp_path)
    with running(zalo_settings(tmp_path, fake), assistant) as zalo:
        zalo.post(event(PLAN_QUESTION))
        fake.wait_delivered(1)
        fake.fail_next = [(500, {})] * 3
        zalo.post(event("sai"))
        zalo.idle()
    assert [r["rating"] for r in assistant.conversations.rows(rated_only=True)] == [-1]
    assert len(fake.delivered()) == 1 and "failed after 3 attempts" in caplog.text


# 9. Off without credentials; shutdown ------------------------------------------------------------------------

def test_channel_is_off_without_credentials_and_says_which(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="bot.zalo")
    none = {k: None for k in ("zalo_app_id", "zalo_app_secret", "zalo_oa_secret_key", "zalo_access_token",
                              "zalo_refresh_token")}
    assert build_zalo(zalo_settings(tmp_path, None, **none), assistant=None) is None
    assert build_zalo(zalo_settings(tmp_path, None, zalo_access_token=None, zalo_refresh_token=None), None) is None
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.zalo"]
    assert lines == ["Zalo channel off: set NTM_ZALO_APP_ID, NTM_ZALO_OA_SECRET_KEY, NTM_ZALO_APP_SECRET, "
                     "NTM_ZALO_ACCESS_TOKEN or NTM_ZALO_REFRESH_TOKEN",
                     "Zalo channel off: set NTM_ZALO_ACCESS_TOKEN or NTM_ZALO_REFRESH_TOKEN"]
    settings = zalo_settings(tmp_path, None, zalo_access_token=None, zalo_refresh_token=None)
    write_tokens(settings, "acc-old-4", "ref-old-4", None)  # tokens kept from an earlier run are enough
    assert build_zalo(settings, None) is not None


def test_stop_cancels_an_answer_that_does_not_finish(fake, tmp_path, caplog, monkeypatch):
    monkeypatch.setattr("bot.zalo.STOP_GRACE", 0.2)
    gate = threading.Event()

    class ReleaseOnCancel(logging.Handler):  # the stuck answer finishes only once stop() has given up on it
        def emit(self, record):
            if "cancelled" in record.getMessage():
                gate.set()

    handler = ReleaseOnCancel()
    logging.getLogger("bot.zalo").addHandler(handler)
    try:
        with running(zalo_settings(tmp_path, fake), make_assistant(canned("Muộn.", gate), tmp_path)) as zalo:
            zalo.post(event("Câu hỏi treo?"))
    finally:
        logging.getLogger("bot.zalo").removeHandler(handler)
        gate.set()
    assert zalo.channel.busy == 0
    assert "1 answer(s) still running at shutdown were cancelled" in caplog.text
    assert fake.sends() == []  # the late answer is not sent after shutdown


def test_a_unit_named_in_plain_text_is_resolved(services, fake, tmp_path):
    assistant = make_assistant(services, tmp_path)
    with running(zalo_settings(tmp_path, fake), assistant) as zalo:
        zalo.post(event("ad oi xa Long Tri A (tx Long My) gio thuoc phuong nao vay"))
        [sent] = fake.wait_delivered(1)
    assert "nay thuộc phường Long Mỹ, thành phố Cần Thơ" in sent.text and "vietnamadminunits 1.0.4" in sent.text
