"""Stable ids: of a file's document, of a document on one line of a JSONL corpus, of a chunk; and file hashes."""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

CHUNK_NS = uuid.UUID("6b4f7a56-2a0e-4d7e-9a3c-1f1f0c1e5a77")


def _readable_id(name: str, where: str) -> str:
    """A readable prefix of `name` plus a short hash of `where` (what makes the id unique)."""
    digest = hashlib.sha1(where.encode("utf-8")).hexdigest()[:10]
    stem = "".join(c if c.isalnum() else "-" for c in name.lower())[:40].strip("-")
    return f"{stem}-{digest}"


def doc_id_for(path: Path) -> str:
    """Stable id of a file: readable stem plus a hash of its absolute path."""
    # abspath, not resolve(): a symlink loop must not raise here, and a link is its own entry
    return _readable_id(Path(path).stem, os.path.abspath(path))


def member_doc_id(path: Path, key: str) -> str:
    """Stable id of the document on one line of a JSONL file: its id plus a hash of the file's path and the id."""
    return _readable_id(key, f"{os.path.abspath(path)}#{key}")


def chunk_id(doc_id: str, position: int, version: str) -> str:
    """Deterministic chunk id: the same document state always yields the same ids."""
    return str(uuid.uuid5(CHUNK_NS, f"{doc_id}|{position}|{version}"))


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes, read in blocks."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()
