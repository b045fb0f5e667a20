"""Ingest one JSONL corpus file: each line a document, written in batches so a long run can stop and resume.

A batch's documents become visible together, after all their chunks are stored; an interrupted batch leaves
only unreferenced chunks (collected at the next run), and the next run skips every document already written.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

from ingest import errors
from ingest.ids import member_doc_id
from ingest.jsonl import JsonlProblem, container_of, count_lines, read_jsonl
from ingest.metadata import extract_metadata
from ingest.report import Steps, no_steps
from ingest.types import Chunk
from retrieval.store import DocRecord

log = logging.getLogger(__name__)

# Chunks embedded and stored before their documents are switched visible: about 8 s of embedding on 2 cores,
# so an interruption loses little, while length-sorting across the batch keeps padding low.
COMMIT_CHUNKS = 256
# Points written since the store last optimised sit in in-memory segments (60k: about 1.4 GB of RAM), so a long
# corpus is optimised on the way, not only at the end; each pass costs about 20 s per 60k points on 2 cores.
OPTIMIZE_EVERY_CHUNKS = 50_000


def ingest_jsonl(indexer, path: Path, source: str, known: dict[str, DocRecord], report, *, prune: bool = False,
                 lines: Steps = no_steps) -> None:
    """Index every good line of `path` through `indexer`; bad lines go to `report.skipped` as "<source>:<line>"."""
    pending: list[tuple[str, DocRecord, list[Chunk]]] = []
    seen: set[str] = set()
    written = 0
    complete = True
    for item in lines(read_jsonl(path, source, indexer.max_bytes), count_lines(path), Path(source).name):
        if isinstance(item, JsonlProblem):
            report.skipped.append((f"{source}:{item.line}", item.code, item.reason))
            complete = complete and item.code != errors.CORRUPT
            continue
        doc_id = member_doc_id(path, item.key)
        seen.add(doc_id)
        sha = hashlib.sha256(item.raw).hexdigest()
        if indexer.is_current(known.get(doc_id), sha):
            report.unchanged.append(item.doc.source)  # same line, settings and status: not even parsed
            continue
        report.warnings.extend((item.doc.source, w) for w in item.doc.warnings)
        try:
            outcome, record, chunks = indexer.prepare_document(doc_id, item.doc, extract_metadata(item.doc),
                                                               file_sha=sha, known=known.get(doc_id))
        except Exception as exc:  # one bad line must not end the run; the report names it
            log.exception("unexpected error on %s", item.doc.source)
            report.skipped.append((f"{source}:{item.line}", "error", f"unexpected "
                                   f"{type(exc).__name__}: {exc}"))
            continue
        if chunks is None:
            report.count(item.doc.source, outcome, record)
            continue
        pending.append((outcome, record, chunks))
        if sum(len(c) for _, _, c in pending) >= indexer.commit_chunks:
            written += _commit(indexer, pending, known, report)
            if written >= OPTIMIZE_EVERY_CHUNKS:
                indexer.store.optimize()
                written = 0
    _commit(indexer, pending, known, report)
    if complete:
        _vanished(indexer, source, seen, known, report, prune)


def _commit(indexer, pending: list, known: dict[str, DocRecord], report) -> int:
    """Write and switch on the pending documents; returns how many chunks that was."""
    if not pending:
        return 0
    indexer.write_versions([(record, chunks) for _, record, chunks in pending])
    for outcome, record, _ in pending:
        known[record.doc_id] = record
        report.count(record.source, outcome, record)
    count = sum(len(chunks) for _, _, chunks in pending)
    pending.clear()
    return count


def _vanished(indexer, source: str, seen: set[str], known: dict[str, DocRecord], report, prune: bool) -> None:
    """Documents once read from this file whose lines are gone: reported as missing, removed with `prune`."""
    here = os.path.abspath(source)
    for rec in list(known.values()):
        came_from = container_of(rec.source)
        if rec.doc_id not in seen and came_from != rec.source and os.path.abspath(came_from) == here \
                and rec.meta.get("kind") == "document":
            indexer.vanished(rec, report, prune)
            if prune:
                known.pop(rec.doc_id, None)
