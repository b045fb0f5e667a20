"""Zalo Official Account API v3 client: send text messages, keep the OA tokens on disk and refresh them."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx

from bot.render import split_message

log = logging.getLogger(__name__)

TOKEN_FILE = "zalo_tokens.json"
MAX_TEXT = 2000  # characters in one OA text message
TOKEN_ERRORS = frozenset({-216, -124})  # access token invalid / expired: refresh once, then retry
REFRESH_MARGIN = 600.0  # refresh this many seconds before the access token expires


class ZaloAuthError(RuntimeError):
    """No usable access token: the OAuth server refused (or could not be reached for) a refresh."""


def fingerprint(access: str | None, refresh: str | None) -> str | None:
    """A short one-way id of the tokens given in settings, to notice when the operator supplies new ones."""
    if not (access or refresh):
        return None
    return hashlib.sha256(f"{access or ''}\0{refresh or ''}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Tokens:
    """The OA token pair; expires_at is unix seconds (None = unknown: used until Zalo rejects it)."""

    access_token: str | None
    refresh_token: str | None
    expires_at: float | None = None
    seeded_from: str | None = None

    def expiring(self, margin: float = REFRESH_MARGIN) -> bool:
        """True when the access token is missing or expires within `margin` seconds."""
        return not self.access_token or (self.expires_at is not None and self.expires_at - time.time() < margin)


class TokenStore:
    """data_dir/zalo_tokens.json: seeded from settings, rewritten atomically (mode 0600) after every refresh."""

    def __init__(self, path: Path, seed_access: str | None = None, seed_refresh: str | None = None) -> None:
        self.path = Path(path)
        self._seed = Tokens(seed_access or None, seed_refresh or None, None, fingerprint(seed_access, seed_refresh))

    def load(self) -> Tokens:
        """The newest tokens: the file, unless settings now hold different tokens than the file was seeded from."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            stored = Tokens(data.get("access_token"), data.get("refresh_token"), data.get("expires_at"),
                            data.get("seeded_from"))
        except FileNotFoundError:
            stored = None
        except (OSError, ValueError, AttributeError) as err:
            log.error("Cannot read %s (%s); falling back to the tokens in settings", self.path, type(err).__name__)
            stored = None
        if stored is not None and (self._seed.seeded_from is None or stored.seeded_from == self._seed.seeded_from):
            return stored
        if self._seed.seeded_from is None:
            return Tokens(None, None)
        if stored is not None:  # the operator re-authorised the OA and put the new pair in settings
            log.info("Zalo tokens in settings changed; replacing %s", self.path)
        self.save(self._seed)
        return self._seed

    def save(self, tokens: Tokens) -> None:
        """Write the tokens atomically: temp file in the same folder, fsync, rename, then fsync the folder."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)  # mode 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(asdict(tokens), f)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        try:  # make the rename itself durable (a power cut must not bring back the used refresh token)
            dir_fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError:
            pass


def _retry_after(value: str | None, fallback: float, cap: float) -> float:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), capped."""
    if value:
        try:
            return min(cap, max(0.0, float(value)))
        except ValueError:
            try:
                return min(cap, max(0.0, parsedate_to_datetime(value).timestamp() - time.time()))
            except (TypeError, ValueError):
                pass
    return min(cap, fallback)


class ZaloClient:
    """Sends OA customer-service text messages, retrying on 429/5xx and refreshing the token when needed."""

    def __init__(self, app_id: str, app_secret: str, store: TokenStore, api_base: str, oauth_base: str, *,
                 attempts: int = 3, retry_delay: float = 0.5, max_retry_after: float = 30.0,
                 timeout: float = 15.0) -> None:
        self.app_id, self._app_secret, self.store = app_id, app_secret, store
        self.api_base, self.oauth_base = api_base.rstrip("/"), oauth_base.rstrip("/")
        self.attempts, self.retry_delay, self.max_retry_after = attempts, retry_delay, max_retry_after
        self._timeout = timeout
        self._http: httpx.AsyncClient | None = None
        self._tokens = Tokens(None, None)
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Open the HTTP client and load the tokens."""
        self._http = httpx.AsyncClient(timeout=self._timeout)
        self._tokens = await asyncio.to_thread(self.store.load)

    async def close(self) -> None:
        """Close the HTTP client."""
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def send_text(self, user_id: str, text: str) -> bool:
        """Send a text in parts of at most 2,000 characters, in order; False (logged) if a part could not go."""
        if self._http is None:
            log.warning("Zalo client is not started; message dropped")
            return False
        for part in split_message(text, MAX_TEXT):
            if not await self._send_part(user_id, part):
                return False  # later parts without the earlier ones would read out of context
        return True

    async def _send_part(self, user_id: str, text: str) -> bool:
        token = await self.access_token()
        if token is None:
            log.warning("No usable Zalo access token; message not sent")
            return False
        payload = {"recipient": {"user_id": user_id}, "message": {"text": text}}
        refreshed = False
        while True:
            resp = await self._post(f"{self.api_base}/v3.0/oa/message/cs", "send", headers={"access_token": token},
                                    json=payload)
            if resp is None:
                return False
            body = _json(resp)
            code = _int(body.get("error"))
            if code == 0 and resp.status_code < 400:
                return True
            if code in TOKEN_ERRORS and not refreshed:
                refreshed = True
                try:
                    token = await self.refresh(stale=token)
                except ZaloAuthError:
                    log.warning("Zalo rejected the access token and it could not be refreshed; message not sent")
                    return False
                continue
            log.warning("Zalo refused the message: HTTP %s, error %s (%s)", resp.status_code, code,
                        str(body.get("message", ""))[:200])
            return False

    async def access_token(self) -> str | None:
        """The current access token, refreshed first when it expires soon; None when there is none usable."""
        current = self._tokens
        if not current.expiring():
            return current.access_token
        try:
            return await self.refresh(stale=current.access_token)
        except ZaloAuthError:
            still_valid = current.access_token and (current.expires_at is None or current.expires_at > time.time())
            return current.access_token if still_valid else None

    async def refresh(self, stale: str | None) -> str:
        """Trade the refresh token for a new pair, persist it, return the new access token (once per stale token)."""
        async with self._lock:
            current = self._tokens
            if current.access_token != stale and not current.expiring():
                return current.access_token  # a concurrent send already refreshed
            if not current.refresh_token:
                log.error("Zalo access token expired or rejected and there is no refresh token; "
                          "set NTM_ZALO_REFRESH_TOKEN (or NTM_ZALO_ACCESS_TOKEN) from the Zalo developer console")
                raise ZaloAuthError("no refresh token")
            resp = await self._post(f"{self.oauth_base}/v4/oa/access_token", "token refresh",
                                    headers={"secret_key": self._app_secret},
                                    data={"refresh_token": current.refresh_token, "app_id": self.app_id,
                                          "grant_type": "refresh_token"})
            if resp is None:
                raise ZaloAuthError("OAuth server unreachable")
            body = _json(resp)
            access, refresh = body.get("access_token"), body.get("refresh_token")
            if not (isinstance(access, str) and access and isinstance(refresh, str) and refresh):
                log.error("Zalo token refresh refused (HTTP %s, error %s: %s); kept %s unchanged. If the refresh "
                          "token was revoked or expired, re-authorise the OA and set NTM_ZALO_REFRESH_TOKEN",
                          resp.status_code, body.get("error"),
                          str(body.get("error_name") or body.get("error_description") or "")[:200], self.store.path)
                raise ZaloAuthError("refresh refused")
            try:
                lifetime = float(body.get("expires_in", 0)) or None
            except (TypeError, ValueError):
                lifetime = None
            tokens = Tokens(access, refresh, time.time() + lifetime if lifetime else None, current.seeded_from)
            try:  # the old refresh token is now spent: the new one must be on disk before anything else
                await asyncio.to_thread(self.store.save, tokens)
            except OSError as err:
                log.critical("Could not save refreshed Zalo tokens to %s (%s); they live in memory only, and the OA "
                             "must be re-authorised after a restart", self.store.path, type(err).__name__)
            self._tokens = tokens
            log.info("Zalo access token refreshed (valid for %s s)", int(lifetime) if lifetime else "unknown")
            return access

    async def _post(self, url: str, what: str, **kwargs) -> httpx.Response | None:
        """POST with up to `attempts` tries on 429, 5xx and connection errors; None (logged) when all fail."""
        problem = "no attempt"
        for attempt in range(1, self.attempts + 1):
            retry_after = None
            try:
                resp = await self._http.post(url, **kwargs)
            except httpx.HTTPError as err:
                problem = type(err).__name__
            else:
                if resp.status_code != 429 and resp.status_code < 500:
                    return resp
                problem, retry_after = f"HTTP {resp.status_code}", resp.headers.get("Retry-After")
            if attempt < self.attempts:
                backoff = self.retry_delay * 2 ** (attempt - 1)
                await asyncio.sleep(_retry_after(retry_after, backoff, self.max_retry_after))
        log.warning("Zalo %s failed after %d attempts (%s); giving up", what, self.attempts, problem)
        return None


def _json(resp: httpx.Response) -> dict:
    """The response body as a dict ({} when it is not a JSON object)."""
    try:
        body = resp.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _int(value) -> int | None:
    """Zalo error codes as ints (some proxies turn them into strings); None when absent."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
