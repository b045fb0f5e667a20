"""The Zalo Official Account channel: a signed webhook in, plain-text answers with numbered sources out."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from bot.assistant import NON_TEXT, RATE_LIMITED, THANKS, ChatAssistant
from bot.errors import error_response
from bot.render import START_TEXT
from bot.zalo_client import TokenStore, ZaloClient
from knowledge.text import nfc

log = logging.getLogger(__name__)

CHANNEL = "zalo"
RATING_HINT = "Trả lời 👍 nếu câu trả lời hữu ích, 👎 nếu chưa đúng."
NOTHING_TO_RATE = "Chưa có câu trả lời nào để đánh giá. Hãy gửi câu hỏi trước, rồi trả lời 👍 hoặc 👎."
NON_TEXT_EVENTS = frozenset(f"user_send_{kind}" for kind in (
    "image", "sticker", "gif", "audio", "video", "file", "location", "link", "business_card"))
MAX_BODY = 64 * 1024  # a Zalo event is a few hundred bytes; text messages are at most 2,000 characters
STOP_GRACE = 5.0  # seconds stop() lets in-flight answers finish before cancelling them

_MAC = re.compile(r"mac=([0-9a-fA-F]{64})")
# A message that is only a thumb (any skin tone) or one of these words is a rating of the previous answer.
_RATINGS = {"👍": 1, "👎": -1, "đúng": 1, "hữu ích": 1, "sai": -1, "chưa đúng": -1}
_DECORATION = re.compile(r"[\ufe0f\U0001f3fb-\U0001f3ff\s.!]+")


def event_mac(app_id: str, body: bytes, timestamp: str, oa_secret_key: str) -> str:
    """Zalo's webhook signature: SHA-256 hex of app id + raw body + event timestamp + OA secret key."""
    return hashlib.sha256(app_id.encode() + body + timestamp.encode() + oa_secret_key.encode()).hexdigest()


# For the operator reading a refused webhook (Zalo's servers never show it to an officer).
REFUSALS = {"too_large": "event body over the size limit", "invalid_json": "event body is not a JSON object",
            "unsigned": "no X-ZEvent-Signature: mac=<sha256 hex> header",
            "bad_signature": "signature does not match NTM_ZALO_APP_ID, the body, the timestamp and "
                             "NTM_ZALO_OA_SECRET_KEY",
            "wrong_app": "the event's app_id is not NTM_ZALO_APP_ID",
            "stale": "event timestamp missing or older than NTM_ZALO_MAX_AGE_SECONDS"}


def _refused(status: int, code: str) -> JSONResponse:
    return error_response(status, code, REFUSALS[code])


def parse_rating(text: str | None) -> int | None:
    """1 / -1 when a message is only 👍 / 👎 (or "đúng", "hữu ích" / "sai", "chưa đúng"), else None."""
    if not text or len(text) > 20:
        return None
    word = _DECORATION.sub(" ", nfc(text)).strip().lower()
    return _RATINGS.get(word)


@dataclass(frozen=True)
class ZaloConfig:
    """What the channel needs: app and OA credentials, where tokens are kept, the API bases, event freshness."""

    token_file: Path  # the newest access/refresh pair, rewritten after every refresh
    app_id: str = ""
    app_secret: str = field(default="", repr=False)
    oa_secret_key: str = field(default="", repr=False)  # signs webhook events
    access_token: str = field(default="", repr=False)  # the first pair; later ones live in token_file
    refresh_token: str = field(default="", repr=False)
    api_base: str = "https://openapi.zalo.me"
    oauth_base: str = "https://oauth.zaloapp.com"
    max_age_seconds: int = 300  # events older than this are refused as replays


def zalo_channel(config: ZaloConfig, assistant: ChatAssistant, **client_options) -> "ZaloChannel | None":
    """The Zalo channel, or None (with one log line naming what is missing) when its credentials are absent."""
    missing = [name for name, value in (("NTM_ZALO_APP_ID", config.app_id),
                                        ("NTM_ZALO_OA_SECRET_KEY", config.oa_secret_key),
                                        ("NTM_ZALO_APP_SECRET", config.app_secret)) if not value]
    if not (config.access_token or config.refresh_token or config.token_file.exists()):
        missing.append("NTM_ZALO_ACCESS_TOKEN or NTM_ZALO_REFRESH_TOKEN")
    if missing:
        log.info("Zalo channel off: set %s", ", ".join(missing))
        return None
    store = TokenStore(config.token_file, config.access_token, config.refresh_token)
    client = ZaloClient(config.app_id, config.app_secret, store, config.api_base, config.oauth_base,
                        **client_options)
    log.info("Zalo channel on: webhook at POST /zalo/webhook")
    return ZaloChannel(config, assistant, client)


class ZaloChannel:
    """Verifies and acknowledges webhook events at once, then answers each user's messages in order."""

    def __init__(self, config: ZaloConfig, assistant: ChatAssistant, client: ZaloClient) -> None:
        self.assistant, self.client = assistant, client
        self._app_id = config.app_id
        self._oa_secret = config.oa_secret_key
        self._max_age_ms = config.max_age_seconds * 1000
        self._tasks: set[asyncio.Task] = set()
        self._locks: dict[str, list] = {}  # user id -> [lock, holders]; removed when nobody waits
        self.router = APIRouter()
        self.router.add_api_route("/zalo/webhook", self.webhook, methods=["POST"], include_in_schema=False)

    @property
    def busy(self) -> int:
        """How many events are still being answered."""
        return len(self._tasks)

    async def start(self) -> None:
        """Open the API client and load the tokens."""
        await self.client.start()

    async def stop(self) -> None:
        """Let in-flight answers finish for a few seconds, cancel the rest, close the client."""
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=STOP_GRACE)
            for task in pending:
                task.cancel()
            if pending:
                log.warning("Zalo: %d answer(s) still running at shutdown were cancelled", len(pending))
                await asyncio.gather(*pending, return_exceptions=True)
        await self.client.close()

    def _refusal(self, raw: bytes, event: dict, header: str | None) -> str | None:
        """Why a parsed event must be refused (unsigned, bad_signature, wrong_app, stale), or None when genuine."""
        match = _MAC.fullmatch((header or "").strip())
        if match is None:
            return "unsigned"
        timestamp = event.get("timestamp")
        timestamp = str(timestamp) if isinstance(timestamp, (str, int)) else ""
        expected = event_mac(self._app_id, raw, timestamp, self._oa_secret)
        if not hmac.compare_digest(expected, match.group(1).lower()):
            return "bad_signature"
        if str(event.get("app_id") or "") != self._app_id:  # public, so no constant-time compare is needed
            return "wrong_app"  # an event for another app of the same OA is not ours to answer
        try:
            sent_ms = int(timestamp)
        except ValueError:
            return "stale"
        return "stale" if abs(time.time() * 1000 - sent_ms) > self._max_age_ms else None

    async def webhook(self, request: Request) -> JSONResponse:
        """POST /zalo/webhook: check the signature and age, deduplicate, acknowledge, answer in the background."""
        raw = await request.body()
        if len(raw) > MAX_BODY:
            return _refused(413, "too_large")
        try:
            event = json.loads(raw)
        except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes
            event = None
        if not isinstance(event, dict):
            return _refused(400, "invalid_json")
        refusal = self._refusal(raw, event, request.headers.get("X-ZEvent-Signature"))
        if refusal:
            log.warning("Zalo webhook refused: %s", refusal)
            return _refused(401, refusal)
        name = str(event.get("event_name") or "")
        kind = "text" if name == "user_send_text" else "non_text" if name in NON_TEXT_EVENTS else (
            "follow" if name == "follow" else None)
        sender = event.get("follower" if kind == "follow" else "sender") or {}
        message = event.get("message") if isinstance(event.get("message"), dict) else {}
        text = message.get("text") if isinstance(message.get("text"), str) else ""
        user = str(sender.get("id") or "") if isinstance(sender, dict) else ""
        if kind is None or not user:
            log.debug("Zalo event %r ignored", name)
            return JSONResponse({"status": "ignored"})
        # Zalo retries unacknowledged events: every id is handled once, even across restarts.
        event_id = str(message.get("msg_id") or f"{name}:{user}:{event.get('timestamp')}")
        if not await asyncio.to_thread(self.assistant.conversations.first_sight, CHANNEL, event_id):
            return JSONResponse({"status": "duplicate"})
        task = asyncio.create_task(self._handle(kind, user, text))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return JSONResponse({"status": "accepted"})

    @asynccontextmanager
    async def _user_turn(self, user: str):
        """One event at a time per user, in arrival order (so a 👎 rates the answer sent just before it)."""
        entry = self._locks.setdefault(user, [asyncio.Lock(), 0])
        entry[1] += 1
        try:
            async with entry[0]:
                yield
        finally:
            entry[1] -= 1
            if entry[1] == 0:
                self._locks.pop(user, None)

    async def _handle(self, kind: str, user: str, text: str) -> None:
        try:
            async with self._user_turn(user):
                if kind == "follow":
                    await self.client.send_text(user, START_TEXT)
                elif kind == "non_text":
                    await self._non_text(user)
                elif (rating := parse_rating(text)) is not None:
                    await self._rate(user, rating)
                else:
                    await self._answer(user, text)
        except asyncio.CancelledError:
            raise
        except Exception:  # one bad event must not take the channel down; the trace is for the operator
            log.exception("Zalo event handling failed")

    async def _non_text(self, user: str) -> None:
        allowed, announce, wait = self.assistant.limiter.check(f"{CHANNEL}:{user}")
        if allowed or announce:  # a burst of stickers gets one polite message, like a burst of questions
            await self.client.send_text(user, NON_TEXT if allowed else RATE_LIMITED.format(seconds=wait))

    async def _answer(self, user: str, text: str) -> None:
        reply = await asyncio.to_thread(self.assistant.ask, CHANNEL, user, text)
        if reply.silent:
            return
        hint = f"\n\n{RATING_HINT}" if reply.is_answer and reply.exchange_id else ""
        await self.client.send_text(user, reply.text + hint)

    async def _rate(self, user: str, rating: int) -> None:
        # The rating is stored before anything is sent, so a failed send cannot lose the feedback.
        last = await asyncio.to_thread(self.assistant.conversations.last_exchange, CHANNEL, user)
        stored = last is not None and await asyncio.to_thread(self.assistant.rate, last["id"], CHANNEL, user, rating)
        await self.client.send_text(user, THANKS[rating] if stored else NOTHING_TO_RATE)
