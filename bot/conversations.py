"""The conversation and feedback log: one SQLite file (WAL), shared by every channel."""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import threading
from dataclasses import asdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Iterator, Sequence

from knowledge.text import valid_text
from retrieval.evidence import Citation

_SCHEMA = """
CREATE TABLE IF NOT EXISTS exchanges (
    id TEXT PRIMARY KEY, ts TEXT NOT NULL, channel TEXT NOT NULL, user TEXT NOT NULL,
    question TEXT NOT NULL, answer TEXT NOT NULL, status TEXT NOT NULL, citations TEXT NOT NULL,
    latency_ms REAL
);
CREATE INDEX IF NOT EXISTS exchanges_ts ON exchanges (ts);
CREATE TABLE IF NOT EXISTS feedback (
    exchange_id TEXT NOT NULL REFERENCES exchanges (id), user TEXT NOT NULL, ts TEXT NOT NULL,
    channel TEXT NOT NULL, rating INTEGER NOT NULL CHECK (rating IN (-1, 1)), comment TEXT,
    PRIMARY KEY (exchange_id, user)
);
CREATE TABLE IF NOT EXISTS seen_events (
    channel TEXT NOT NULL, event_id TEXT NOT NULL, ts TEXT NOT NULL, PRIMARY KEY (channel, event_id)
);
"""

SEEN_EVENTS_DAYS = 30
EXPORT_FIELDS = ("exchange_id", "ts", "channel", "user", "question", "answer", "status", "citations",
                 "latency_ms", "rating", "rating_ts", "comment")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _load_key(path: Path) -> bytes:
    """The secret that anonymises user ids; kept beside, not inside, the database so an export cannot undo it."""
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        key = secrets.token_bytes(32)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(key.hex())
        os.replace(tmp, path)
        return key


class ConversationLog:
    """Questions, answers, citations and ratings; user ids are stored only as keyed hashes."""

    def __init__(self, path: Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._key = _load_key(path.with_name(path.name + ".key"))
        self._lock = threading.Lock()  # one connection shared by the event loop and worker threads
        self._db = sqlite3.connect(path, check_same_thread=False, timeout=10.0, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=10000")
        self._db.executescript(_SCHEMA)
        # Platforms re-send an event for hours at most; a month of ids is plenty to recognise replays.
        cutoff = (datetime.now(timezone.utc) - timedelta(days=SEEN_EVENTS_DAYS)).isoformat(timespec="seconds")
        self._db.execute("DELETE FROM seen_events WHERE ts < ?", (cutoff,))

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def anonymise(self, channel: str, user_id: str) -> str:
        """A stable pseudonym for a channel's user id (HMAC-SHA256, 16 hex digits)."""
        return hmac.new(self._key, valid_text(f"{channel}:{user_id}").encode(), hashlib.sha256).hexdigest()[:16]

    def record(self, channel: str, user_id: str, question: str, answer: str, status: str,
               citations: Sequence[Citation] = (), latency_ms: float | None = None) -> str:
        """Store one exchange and return its short id (used in buttons and feedback); text SQLite cannot encode
        (lone surrogates) is stored replaced, never dropped."""
        exchange_id = secrets.token_hex(8)
        cits = valid_text(json.dumps([asdict(c) for c in citations], ensure_ascii=False))
        with self._lock:
            self._db.execute("INSERT INTO exchanges VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             (exchange_id, _now(), channel, self.anonymise(channel, user_id), valid_text(question),
                              valid_text(answer), status, cits, latency_ms))
        return exchange_id

    def exchange(self, exchange_id: str) -> dict | None:
        """One stored exchange, citations decoded, or None."""
        with self._lock:
            row = self._db.execute("SELECT * FROM exchanges WHERE id = ?", (valid_text(exchange_id),)).fetchone()
        if row is None:
            return None
        out = dict(row)
        out["citations"] = json.loads(out["citations"])
        return out

    def last_exchange(self, channel: str, user_id: str, answered_only: bool = True) -> dict | None:
        """The user's latest exchange on a channel (Zalo ratings by text refer to it), or None."""
        sql = ("SELECT id FROM exchanges WHERE channel = ? AND user = ?"
               + (" AND status IN ('answered', 'not_found')" if answered_only else "")
               + " ORDER BY ts DESC, rowid DESC LIMIT 1")
        with self._lock:
            row = self._db.execute(sql, (channel, self.anonymise(channel, user_id))).fetchone()
        return self.exchange(row["id"]) if row else None

    def citation(self, exchange_id: str, n: int) -> Citation | None:
        """Citation [n] of a stored exchange (Telegram buttons carry only the exchange id and n)."""
        ex = self.exchange(exchange_id)
        found = [c for c in (ex or {}).get("citations", []) if c.get("n") == n]
        return Citation(**found[0]) if found else None

    def rate(self, exchange_id: str, channel: str, user_id: str, rating: int, comment: str | None = None) -> bool:
        """Record 👍 (1) or 👎 (-1); a second vote by the same user replaces the first. False if no such exchange."""
        if rating not in (-1, 1):
            raise ValueError("rating must be 1 or -1")
        exchange_id = valid_text(exchange_id)  # sent by clients: may hold what SQLite cannot encode
        with self._lock:
            if self._db.execute("SELECT 1 FROM exchanges WHERE id = ?", (exchange_id,)).fetchone() is None:
                return False
            self._db.execute(
                "INSERT INTO feedback VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (exchange_id, user) DO UPDATE SET "
                "ts = excluded.ts, rating = excluded.rating, comment = COALESCE(excluded.comment, feedback.comment)",
                (exchange_id, self.anonymise(channel, user_id), _now(), channel, rating,
                 valid_text(comment) if comment is not None else None))
        return True

    def first_sight(self, channel: str, event_id: str) -> bool:
        """True the first time an event id is seen on a channel (webhook retries and replays are dropped)."""
        with self._lock:
            cur = self._db.execute("INSERT OR IGNORE INTO seen_events VALUES (?, ?, ?)",
                                   (channel, valid_text(event_id), _now()))
        return cur.rowcount == 1

    def rows(self, rated_only: bool = False, rating: int | None = None) -> Iterator[dict]:
        """Exchanges joined with their ratings (one row per rating; unrated exchanges once), oldest first."""
        where, args = [], []
        if rated_only or rating is not None:
            where.append("f.rating IS NOT NULL")
        if rating is not None:
            where.append("f.rating = ?")
            args.append(rating)
        sql = ("SELECT e.id AS exchange_id, e.ts, e.channel, e.user, e.question, e.answer, e.status, e.citations, "
               "e.latency_ms, f.rating, f.ts AS rating_ts, f.comment FROM exchanges e "
               "LEFT JOIN feedback f ON f.exchange_id = e.id"
               + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY e.ts, e.rowid")
        with self._lock:
            rows = [dict(r) for r in self._db.execute(sql, args).fetchall()]
        for r in rows:
            r["citations"] = json.loads(r["citations"])
            yield r


def export(rows: Iterator[dict], out: IO[str], fmt: str) -> int:
    """Write rows as CSV (citations as JSON text) or JSONL; returns how many were written."""
    count = 0
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS)
        writer.writeheader()
        for r in rows:
            writer.writerow({**r, "citations": json.dumps(r["citations"], ensure_ascii=False)})
            count += 1
    elif fmt == "jsonl":
        for r in rows:
            out.write(json.dumps(r, ensure_ascii=False) + "\n")
            count += 1
    else:
        raise ValueError(f"unknown export format {fmt!r} (csv or jsonl)")
    return count
