"""A fake Telegram Bot API server over real HTTP on 127.0.0.1, for python-telegram-bot in tests.

It serves what the bot calls (getMe, getUpdates long polling, sendMessage, answerCallbackQuery, ...),
records every call with its decoded parameters, holds updates the test injects, and can fail the next
calls of a method with 429 (flood control), 502 or a 400 "can't parse entities".
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.routing import Route

# Parameters PTB sends as plain strings; everything else it JSON-encodes (numbers, reply_markup, lists).
_STRINGS = {"text", "parse_mode", "url", "secret_token", "callback_query_id", "action", "caption"}
FAILURES = {
    429: {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
          "parameters": {"retry_after": 1}},
    502: {"ok": False, "error_code": 502, "description": "Bad Gateway"},
    400: {"ok": False, "error_code": 400, "description": "Bad Request: can't parse entities: Unsupported start tag"},
    401: {"ok": False, "error_code": 401, "description": "Unauthorized"},
}


@dataclass
class Call:
    """One request the bot made: its token, method, decoded parameters, HTTP status and what it returned."""

    token: str
    method: str
    params: dict
    status: int = 200
    result: object = None
    at: float = field(default_factory=time.monotonic)
    done: float = 0.0  # when the answer was ready (a long poll ends long after it starts)


def _decode(form: dict[str, str]) -> dict:
    out = {}
    for key, value in form.items():
        try:
            out[key] = value if key in _STRINGS else json.loads(value)
        except ValueError:
            out[key] = value
    return out


def serve(app, name: str, lifespan: str = "off") -> tuple[uvicorn.Server, threading.Thread, int]:
    """Run an ASGI app with uvicorn on a free 127.0.0.1 port in a daemon thread; (server, thread, port)."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan=lifespan))
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"{name} did not start")
        time.sleep(0.01)
    return server, thread, server.servers[0].sockets[0].getsockname()[1]


class FakeTelegram:
    """The fake server; `start()` runs it in a background thread and returns its bot base URL."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.rejected_tokens: set[str] = set()
        self._updates: dict[str, list[dict]] = defaultdict(list)
        self._failures: dict[str, deque[int]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.app = Starlette(routes=[Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"])])

    # --- test side ---------------------------------------------------------------------------------------

    def start(self) -> str:
        """Serve on a free port; returns the base URL to give PTB (`.../bot`, the token is appended)."""
        self._server, self._thread, port = serve(self.app, "fake-telegram")
        self.base_url = f"http://127.0.0.1:{port}/bot"
        return self.base_url

    def stop(self) -> None:
        """Shut the server down and join its thread."""
        if self._server is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)

    def push(self, token: str, update: dict) -> int:
        """Queue an update (update_id added) for the bot with `token`; returns the update_id."""
        with self._lock:
            update_id = next(self._ids)
            self._updates[token].append({"update_id": update_id, **update})
        return update_id

    def fail_next(self, method: str, count: int, status: int) -> None:
        """Answer the next `count` calls of `method` (any token) with an error: 429, 502, 400 or 401."""
        with self._lock:
            self._failures[method].extend([status] * count)

    def calls_of(self, token: str, method: str | None = None, **params) -> list[Call]:
        """Recorded calls by one bot, optionally of one method and with given parameter values."""
        with self._lock:
            calls = list(self.calls)
        return [c for c in calls if c.token == token and (method is None or c.method == method)
                and all(c.params.get(k) == v for k, v in params.items())]

    def wait_for(self, token: str, method: str, count: int = 1, timeout: float = 15.0, **params) -> list[Call]:
        """Wait until at least `count` matching successful calls were made; returns them."""
        deadline = time.monotonic() + timeout
        while True:
            done = [c for c in self.calls_of(token, method, **params) if c.status == 200]
            if len(done) >= count:
                return done
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} {method} call(s) with {params}, got {len(done)}: "
                                     f"{[(c.method, c.status, c.params) for c in self.calls_of(token)][-8:]}")
            time.sleep(0.02)

    # --- server side ---------------------------------------------------------------------------------------

    async def _endpoint(self, request: Request) -> JSONResponse:
        token, method = request.path_params["token"], request.path_params["method"]
        try:
            params = await self._params(request)
        except ClientDisconnect:  # PTB cancels its in-flight long poll when it stops
            return JSONResponse({"ok": False, "error_code": 499, "description": "client went away"}, 499)
        call = Call(token, method, params)
        with self._lock:
            self.calls.append(call)
            queued = self._failures.get(method)
            failure = queued.popleft() if queued and method != "getUpdates" else None
        if token in self.rejected_tokens:
            failure = 401
        if failure is not None:
            call.status = failure
            return JSONResponse(FAILURES[failure], status_code=failure)
        result = await self._result(token, method, params)
        if result is None:
            call.status = 404
            return JSONResponse({"ok": False, "error_code": 404, "description": "Not Found"}, status_code=404)
        call.result, call.done = result, time.monotonic()
        return JSONResponse({"ok": True, "result": result})

    @staticmethod
    async def _params(request: Request) -> dict:
        body = await request.body()
        if request.headers.get("content-type", "").startswith("application/json"):
            return json.loads(body or b"{}")
        return _decode(dict(parse_qsl(body.decode(), keep_blank_values=True)))

    async def _result(self, token: str, method: str, p: dict):
        bot_id = int(token.split(":")[0])
        if method == "getMe":
            return {"id": bot_id, "is_bot": True, "first_name": "NTM", "username": "ntm_test_bot"}
        if method == "getUpdates":
            return await self._get_updates(token, int(p.get("offset") or 0), float(p.get("timeout") or 0))
        if method in ("sendMessage", "editMessageReplyMarkup"):
            chat_id = int(p["chat_id"])
            return {"message_id": p.get("message_id") or next(self._message_ids), "date": int(time.time()),
                    "chat": {"id": chat_id, "type": "private"}, "text": p.get("text", ""),
                    "from": {"id": bot_id, "is_bot": True, "first_name": "NTM"}}
        if method in ("sendChatAction", "answerCallbackQuery", "deleteWebhook", "setWebhook", "setMyCommands"):
            return True
        if method == "getWebhookInfo":
            return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        return None

    async def _get_updates(self, token: str, offset: int, timeout: float) -> list[dict]:
        """Long poll: drop confirmed updates (< offset), wait up to `timeout` for new ones."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                queue = self._updates[token]
                queue[:] = [u for u in queue if u["update_id"] >= offset]
                if queue or time.monotonic() >= deadline:
                    return list(queue)
            await asyncio.sleep(0.02)


def user(uid: int) -> dict:
    """A Telegram user object for an officer."""
    return {"id": uid, "is_bot": False, "first_name": "Cán bộ", "language_code": "vi"}


def message(chat_id: int, text: str | None = None, **extra) -> dict:
    """A `message` update payload in a private chat; a leading /command gets its bot_command entity."""
    msg = {"message_id": int(time.time() * 1000) % 1_000_000, "date": int(time.time()),
           "chat": {"id": chat_id, "type": "private", "first_name": "Cán bộ"}, "from": user(chat_id), **extra}
    if text is not None:
        msg["text"] = text
        if text.startswith("/"):
            msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"message": msg}


def button_press(chat_id: int, data: str, query_id: str) -> dict:
    """A `callback_query` update: the officer pressed an inline button carrying `data`."""
    return {"callback_query": {"id": query_id, "from": user(chat_id), "chat_instance": f"ci{chat_id}", "data": data,
                               "message": {"message_id": 1, "date": int(time.time()),
                                           "chat": {"id": chat_id, "type": "private"}, "text": "…"}}}


def _describe(update: dict) -> str:
    if "callback_query" in update:
        q = update["callback_query"]
        return f"button press by user {q['from']['id']}, callback_data {q['data']!r} (callback id {q['id']})"
    msg = update.get("message") or update.get("edited_message") or {}
    return f"message from chat {msg.get('chat', {}).get('id')}: {msg.get('text', '(not text)')!r}"


def transcript(calls: list[Call], title: str) -> str:
    """A human-readable log of Bot API calls: delivered updates, then each call the bot made with its parameters."""
    lines, empty = [title, "=" * len(title), ""], 0
    # An update reaches the bot when its long poll returns, not when the poll started.
    for c in sorted(calls, key=lambda c: c.done if c.method == "getUpdates" else c.at):
        if c.method == "getUpdates":
            if not c.result:
                empty += 1
                continue
            for u in c.result:
                lines.append(f"Telegram → bot (getUpdates offset={c.params.get('offset')}, "
                             f"timeout={c.params.get('timeout')}): update {u['update_id']}, {_describe(u)}")
            lines.append("")
            continue
        lines.append(f"bot → Telegram: {c.method}  [HTTP {c.status}]")
        for key, value in c.params.items():
            if key == "text":
                lines.append("    text:")
                lines += [f"      | {line}" for line in value.split("\n")]
            elif key == "reply_markup":
                for row in value.get("inline_keyboard", []):
                    lines.append("    button row: " + "   ".join(f"[{b['text']}] → {b['callback_data']}" for b in row))
            else:
                lines.append(f"    {key} = {json.dumps(value, ensure_ascii=False)}")
        lines.append("")
    lines.append(f"({empty} empty long-poll getUpdates calls omitted; the token in each URL is not shown.)")
    return "\n".join(lines) + "\n"
