"""The README's run command (`bash scripts/run.sh PATH`) serves everything from one process on one embedded
store: the HTTP API, the web page, Telegram (long polling against a fake Bot API server) and the Zalo
webhook (replies to a fake OA server), all with the real model; then a clean stop and `ntm feedback export`."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from bot.zalo import event_mac
from fake_telegram import FakeTelegram, message
from fake_zalo import APP_ID, APP_SECRET, OA_SECRET_KEY, FakeZalo
from bot_support import PLAN_QUESTION, WATER_QUESTION
from tests_support import DISTRICT_PLAN, WATER_LETTER

pytestmark = [pytest.mark.model, pytest.mark.synthetic]

REPO = Path(__file__).resolve().parent.parent
TOKEN = "7000001:AAE2e-fake-token-for-tests-only"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _signed_event(user_id: str, text: str, msg_id: str) -> tuple[bytes, dict]:
    timestamp = str(int(time.time() * 1000))
    body = json.dumps({"app_id": APP_ID, "event_name": "user_send_text", "timestamp": timestamp,
                       "sender": {"id": user_id}, "recipient": {"id": "oa-1"},
                       "message": {"msg_id": msg_id, "text": text}}, ensure_ascii=False).encode()
    return body, {"X-ZEvent-Signature": "mac=" + event_mac(APP_ID, body, timestamp, OA_SECRET_KEY),
                  "Content-Type": "application/json"}


@pytest.fixture(scope="module")
def peers():
    telegram, zalo = FakeTelegram(), FakeZalo()
    zalo.reset(access_tokens=("acc-seed",), refresh_tokens=("ref-seed",))
    yield telegram, telegram.start(), zalo, zalo.start()
    telegram.stop()
    zalo.stop()


def test_run_command_serves_api_web_telegram_and_zalo_in_one_process(peers, built_model, tmp_path):
    telegram, telegram_url, zalo, zalo_url = peers
    docs = tmp_path / "docs"  # synthetic fixture documents
    docs.mkdir()
    (docs / "ke-hoach-dai-phong.txt").write_text(DISTRICT_PLAN, encoding="utf-8")
    (docs / "cv-nuoc-sach.txt").write_text(WATER_LETTER, encoding="utf-8")
    port = _free_port()
    env = {**os.environ, "NTM_DATA_DIR": str(tmp_path / "data"), "NTM_EMBEDDING_MODEL": str(built_model),
           "NTM_PORT": str(port), "NTM_HOST": "127.0.0.1", "NTM_QDRANT_URL": "", "NTM_LLM_BASE_URL": "",
           "NTM_TELEGRAM_TOKEN": TOKEN, "NTM_TELEGRAM_BASE_URL": telegram_url, "NTM_TELEGRAM_POLLING": "true",
           "NTM_ZALO_APP_ID": APP_ID, "NTM_ZALO_APP_SECRET": APP_SECRET, "NTM_ZALO_OA_SECRET_KEY": OA_SECRET_KEY,
           "NTM_ZALO_ACCESS_TOKEN": "acc-seed", "NTM_ZALO_REFRESH_TOKEN": "ref-seed",
           "NTM_ZALO_API_BASE": zalo_url, "NTM_ZALO_OAUTH_BASE": zalo_url}
    env.pop("NTM_QDRANT_URL")
    env.pop("NTM_LLM_BASE_URL")
    log_path = tmp_path / "serve.log"
    with open(log_path, "w") as log_file:
        proc = subprocess.Popen(["bash", str(REPO / "scripts" / "run.sh"), str(docs)], env=env, cwd=tmp_path,
                                stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while True:
            assert proc.poll() is None, log_path.read_text()[-3000:]
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, log_path.read_text()[-3000:]
            time.sleep(0.5)

        page = httpx.get(base + "/")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        web = httpx.post(base + "/api/chat", json={"question": PLAN_QUESTION, "session": "s-1"}, timeout=60).json()
        assert web["answered"] and "7 xã" in web["answer"]

        telegram.push(TOKEN, message(5001, WATER_QUESTION))
        sent = telegram.wait_for(TOKEN, "sendMessage", timeout=60, chat_id=5001)
        assert "92%" in sent[0].params["text"] and sent[0].params["parse_mode"] == "HTML"

        body, headers = _signed_event("zalo-user-1", PLAN_QUESTION, "msg-1")
        ack = httpx.post(base + "/zalo/webhook", content=body, headers=headers, timeout=10)
        assert ack.status_code == 200
        delivered = zalo.wait_delivered(1, timeout=60)
        assert "7 xã" in delivered[0].text and delivered[0].headers["access_token"] == "acc-seed"

        assert httpx.post(base + "/telegram/webhook", json={"update_id": 1}).status_code == 401  # no secret set
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # what Ctrl-C / systemd stop sends
        code = proc.wait(timeout=60)
    output = log_path.read_text()
    # uvicorn shuts down gracefully, then re-raises the signal it caught (so the exit status says SIGTERM).
    assert code in (0, -signal.SIGTERM) and "Application shutdown complete" in output, output[-3000:]
    assert "Telegram channel started (long polling)" in output and "Zalo channel on" in output
    assert TOKEN not in output and TOKEN.split(":")[1] not in output  # the bot token never reaches the log

    exported = subprocess.run([str(REPO / ".venv" / "bin" / "ntm"), "feedback", "export", "--format", "jsonl"],
                              env=env, capture_output=True, text=True, check=True)
    rows = [json.loads(line) for line in exported.stdout.splitlines()]
    assert sorted(r["channel"] for r in rows) == ["telegram", "web", "zalo"]
    assert all(r["status"] == "answered" and r["citations"] for r in rows)
