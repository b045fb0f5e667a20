"""A fake Zalo OA API (v3 message/cs) and OAuth server (v4 access_token) over real HTTP on localhost."""

# synthetic fixture: ids, tokens and replies below are made up; only the wire formats follow Zalo's docs.

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

APP_ID = "1234567890123456789"
APP_SECRET = "fake-app-secret-Zq81"
OA_SECRET_KEY = "fake-oa-secret-Hn72"


@dataclass
class Recorded:
    """One request the fake received."""

    path: str
    headers: dict[str, str]
    json: dict | None = None
    form: dict[str, str] = field(default_factory=dict)
    status: int = 200
    reply: dict | None = None

    @property
    def text(self) -> str:
        """The message text of a send."""
        return ((self.json or {}).get("message") or {}).get("text", "")

    @property
    def user_id(self) -> str:
        """The recipient of a send."""
        return ((self.json or {}).get("recipient") or {}).get("user_id", "")


class FakeZalo:
    """Records every request; can fail the next sends with 429/5xx, reject tokens, and issue single-use pairs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counter = itertools.count(1)
        self.reset()
        self.app = FastAPI()
        self.app.add_api_route("/v3.0/oa/message/cs", self._send, methods=["POST"])
        self.app.add_api_route("/v4/oa/access_token", self._oauth, methods=["POST"])
        self._server: uvicorn.Server | None = None

    def reset(self, access_tokens: tuple[str, ...] = (), refresh_tokens: tuple[str, ...] = ()) -> None:
        """Forget all requests and tokens; `access_tokens` are accepted, `refresh_tokens` redeemable once."""
        with self._lock:
            self.on_send = None  # called (in the server thread) with each send before it is answered
            self.requests: list[Recorded] = []
            self.valid_access = set(access_tokens)
            self.unused_refresh = set(refresh_tokens)
            self.fail_next: list[tuple[int, dict[str, str]]] = []  # (status, headers) for the next sends
            self.reject_code = -216
            self.expires_in = "90000"
            self.oauth_delay = 0.0  # seconds before the OAuth server answers (to overlap concurrent refreshes)

    # --- what tests read -------------------------------------------------------------------------------
    def sends(self) -> list[Recorded]:
        """Every message/cs request, in arrival order."""
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/message/cs")]

    def delivered(self) -> list[Recorded]:
        """Message requests that the fake accepted (HTTP 200, error 0)."""
        return [r for r in self.sends() if r.status == 200 and (r.reply or {}).get("error") == 0]

    def refreshes(self) -> list[Recorded]:
        """Every OAuth token request."""
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/access_token")]

    def wait_delivered(self, n: int, timeout: float = 10.0) -> list[Recorded]:
        """Block until at least n messages were delivered (answers are sent from background tasks)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.delivered()
            if len(got) >= n:
                return got
            time.sleep(0.01)
        raise AssertionError(f"expected {n} delivered messages, got {len(self.delivered())}: "
                             f"{[r.text[:60] for r in self.delivered()]}")

    # --- the fake endpoints ----------------------------------------------------------------------------
    async def _send(self, request: Request) -> JSONResponse:
        try:
            body = await request.json()
        except ValueError:
            body = None
        rec = Recorded(request.url.path, dict(request.headers), json=body)
        if self.on_send is not None:
            self.on_send(rec)
        with self._lock:
            self.requests.append(rec)
            if self.fail_next:
                rec.status, headers = self.fail_next.pop(0)
                rec.reply = {"error": -1, "message": "fake outage"}
                return JSONResponse(rec.reply, status_code=rec.status, headers=headers)
            token = request.headers.get("access_token")
            text = ((body or {}).get("message") or {}).get("text") if isinstance(body, dict) else None
            if token not in self.valid_access:
                rec.reply = {"error": self.reject_code, "message": "Access token is invalid"}
            elif not rec.user_id or not text or len(text) > 2000:
                rec.reply = {"error": -201, "message": "Parameters are invalid"}
            else:
                rec.reply = {"error": 0, "message": "Success",
                             "data": {"message_id": f"m{next(self._counter)}", "user_id": rec.user_id}}
        return JSONResponse(rec.reply)

    async def _oauth(self, request: Request) -> JSONResponse:
        await asyncio.sleep(self.oauth_delay)
        raw = (await request.body()).decode()
        form = {k: v[0] for k, v in parse_qs(raw).items()}
        rec = Recorded(request.url.path, dict(request.headers), form=form)
        with self._lock:
            self.requests.append(rec)
            token = form.get("refresh_token")
            if request.headers.get("secret_key") != APP_SECRET or form.get("app_id") != APP_ID:
                rec.reply = {"error": -14001, "error_name": "Invalid app", "error_description": "app id or secret"}
            elif form.get("grant_type") != "refresh_token" or token not in self.unused_refresh:
                rec.reply = {"error": -14014, "error_name": "Invalid refresh token",
                             "error_description": "refresh token is invalid, expired or already used"}
            else:
                self.unused_refresh.discard(token)  # single use
                n = next(self._counter)
                rec.reply = {"access_token": f"acc-new-{n}", "refresh_token": f"ref-new-{n}",
                             "expires_in": self.expires_in}
                self.valid_access.add(rec.reply["access_token"])
                self.unused_refresh.add(rec.reply["refresh_token"])
        return JSONResponse(rec.reply)

    # --- serving ---------------------------------------------------------------------------------------
    def start(self) -> str:
        """Serve on a free 127.0.0.1 port in a background thread; returns the base URL."""
        self._server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=0, log_level="warning",
                                                     lifespan="off"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("fake Zalo server did not start")
            time.sleep(0.01)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        """Shut the server down."""
        if self._server is not None:
            self._server.should_exit = True
            self._thread.join(timeout=5)
