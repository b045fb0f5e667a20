"""Document registry of the embedded store: one SQLite file beside the shard."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from retrieval.store import DocRecord


class SqliteRegistry:
    """Rows of (doc_id, version, source, chunk_count, meta) plus key/value store settings."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # the row switch must survive a crash
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS documents (doc_id TEXT PRIMARY KEY, version TEXT NOT NULL,"
            " source TEXT NOT NULL, chunk_count INTEGER NOT NULL, meta TEXT NOT NULL)"
        )
        self._db.execute("CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        self._db.execute("SELECT count(*) FROM documents").fetchone()  # a damaged file fails here, not later

    def documents(self) -> dict[str, DocRecord]:
        """All rows, by doc id."""
        rows = self._db.execute("SELECT doc_id, version, source, chunk_count, meta FROM documents")
        return {r[0]: DocRecord(r[0], r[1], r[2], r[3], json.loads(r[4])) for r in rows}

    def put(self, rec: DocRecord) -> None:
        """Insert or replace a row in one transaction."""
        self._db.execute(
            "INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?)",
            (rec.doc_id, rec.version, rec.source, rec.chunk_count, json.dumps(rec.meta, ensure_ascii=False)),
        )

    def remove(self, doc_id: str) -> None:
        """Delete a row."""
        self._db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))

    def get_setting(self, key: str) -> str | None:
        """A stored setting, or None."""
        row = self._db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_setting(self, key: str, value: str) -> None:
        """Store a setting."""
        self._db.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", (key, value))

    def close(self) -> None:
        """Close the database."""
        self._db.close()
