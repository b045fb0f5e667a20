"""Idempotent, lossless ingestion: load, chunk, embed and index documents, one version switch per document."""

from __future__ import annotations

import hashlib
import logging
import os
import time
from pathlib import Path
from typing import Callable, Iterable, Sequence

from ingest.chunking import chunk_document
from ingest.errors import DEFAULT_MAX_BYTES, DUPLICATE, IngestError
from ingest.ids import chunk_id, doc_id_for, file_sha256
from ingest.jsonl import JSONL_SUFFIXES, container_of, is_jsonl
from ingest.jsonl_ingest import COMMIT_CHUNKS, ingest_jsonl
from ingest.loaders import SUPPORTED, iter_input_files, parse_file, read_file
from ingest.metadata import extract_metadata
from ingest.report import IngestReport, Steps, advancing, no_steps
from ingest.types import Chunk, DocMeta, LoadedDocument
from knowledge.programme import programme_facts
from retrieval.embedding import Embedder, passage_batches
from retrieval.sparse import document_vector
from retrieval.store import DocRecord, StoredPoint, VectorStore, leftover_versions

log = logging.getLogger(__name__)

PIPELINE_VERSION = "6"  # bump when chunking or payload layout changes, so everything re-indexes
# Bump when a loader change alters what some documents read as (text, header, registry facts): every document is
# read again once, and only those that now read differently are embedded again. 2: the programme facts, and a
# JSONL title with no letter or digit giving way to the title in the text.
READ_VERSION = 2


def index_fingerprint(model_name: str, max_chars: int, overlap: int) -> str:
    """Everything besides a document's text that shapes its chunks and vectors."""
    return f"{PIPELINE_VERSION}|{model_name}|{max_chars}|{overlap}"


def embed_text_for(meta: DocMeta, path: str, text: str) -> str:
    """What the models see: document number and title, structural path, then the chunk."""
    head = " ".join(x for x in (meta.doc_type, meta.number) if x)
    lines = [f"{head}: {meta.title}" if head and meta.title else (meta.title or head), path, text]
    return "\n".join(line for line in lines if line)


def build_chunks(doc_id: str, version: str, doc: LoadedDocument, meta: DocMeta, extra: dict,
                 max_chars: int, overlap: int) -> list[Chunk]:
    """Chunk a loaded document and attach ids, embedding text and payload."""
    chunks = []
    for pos, span in enumerate(chunk_document(doc, max_chars=max_chars, overlap=overlap)):
        payload = {
            "doc_id": doc_id, "doc_version": version, "source": doc.source, "media_type": doc.media_type,
            "number": meta.number, "doc_type": meta.doc_type, "issuer": meta.issuer, "year": meta.year,
            "signed_date": meta.signed_date, "effective_date": meta.effective_date, "title": meta.title,
            "mentions": [m.number for m in meta.mentions], "path": span.path, "page": span.page,
            "start": span.start, "end": span.end, "position": pos, "text": span.text, **extra,
        }
        chunks.append(Chunk(chunk_id(doc_id, pos, version), doc_id, pos, span,
                            embed_text_for(meta, span.path, span.text), payload))
    return chunks


class AmbiguousSelection(ValueError):
    """A --delete selector matches several documents; `matches` lists them."""

    def __init__(self, selector: str, matches: list[DocRecord]) -> None:
        super().__init__(f"{selector!r} matches {len(matches)} documents")
        self.matches = matches


class Indexer:
    """Writes documents into a VectorStore with one embedder; holds the settings that shape chunks.

    Construction touches nothing; `warm_up()` (or the first write) creates the store's schema for the embedder.
    """

    def __init__(self, store: VectorStore, embedder: Embedder, *, max_chars: int = 1200, overlap: int = 150,
                 max_bytes: int = DEFAULT_MAX_BYTES, ocr: str = "auto",
                 status_of: Callable[[str | None], str] | None = None, gc_grace_seconds: float = 0.0,
                 commit_chunks: int = COMMIT_CHUNKS) -> None:
        self.store, self.embedder = store, embedder
        self.commit_chunks = commit_chunks  # a JSONL corpus is written (and made visible) this many chunks at a time
        self.max_chars, self.overlap, self.max_bytes, self.ocr = max_chars, overlap, max_bytes, ocr
        self.status_of = status_of or (lambda number: "unknown")
        # On a shared server another process may be writing a version right now: only versions
        # older than this are leftovers.
        self.gc_grace_seconds = gc_grace_seconds
        self._schema_ready = False

    def warm_up(self) -> None:
        """Create the collection for this embedder, or refuse a store built with another model; idempotent."""
        if not self._schema_ready:
            self.store.ensure_schema(self.embedder.dim, self.embedder.name)
            self._schema_ready = True

    @property
    def _fingerprint(self) -> str:
        """Everything besides the text that shapes a document's chunks and vectors."""
        return index_fingerprint(self.embedder.name, self.max_chars, self.overlap)

    def _version(self, doc_id: str, doc: LoadedDocument, extra: dict) -> str:
        h = hashlib.sha256(f"{self._fingerprint}|{doc_id}|{sorted(extra.items())}|{doc.header}|"
                           f"{doc.title_hint}|".encode("utf-8"))
        h.update(doc.text.encode("utf-8"))
        return f"{doc_id}:{h.hexdigest()[:16]}"

    def collect_garbage(self) -> int:
        """Delete chunks of versions no registry row points to (left by an interrupted run)."""
        stale = leftover_versions(self.store)
        if not stale:
            return 0
        cutoff = time.time() - self.gc_grace_seconds if self.gc_grace_seconds else None
        for version in stale:
            self.store.delete_version(version, written_before=cutoff)
        # Within the grace period a version may survive (another process is still writing it).
        return len(stale - self.store.chunk_versions())

    def remove(self, doc_id: str) -> None:
        """Take a document out of the index: its registry row first, so it vanishes from search at once."""
        self.store.remove_document(doc_id)
        self.store.delete_chunks(doc_id)

    def index_document(self, doc_id: str, doc: LoadedDocument, meta: DocMeta, *, file_sha: str = "",
                       extra: dict | None = None, known: DocRecord | None = None,
                       chunks: Steps = no_steps) -> tuple[str, DocRecord]:
        """Index one document, its chunks counted by `chunks` as they are written; returns ("added" | "updated" |
        "unchanged", its registry row)."""
        outcome, record, todo = self.prepare_document(doc_id, doc, meta, file_sha=file_sha, extra=extra, known=known)
        if todo is not None:
            with advancing(chunks, len(todo), Path(doc.source).name) as advance:
                self.write_versions([(record, todo)], progress=advance)
        return outcome, record

    def prepare_document(self, doc_id: str, doc: LoadedDocument, meta: DocMeta, *, file_sha: str = "",
                         extra: dict | None = None, known: DocRecord | None = None
                         ) -> tuple[str, DocRecord, list[Chunk] | None]:
        """(outcome, registry row, chunks to write or None when unchanged); nothing is embedded yet."""
        self.warm_up()
        extra = {"status": self.status_of(meta.number), "kind": "document", **(extra or {})}
        version = self._version(doc_id, doc, extra)
        record_meta = {"number": meta.number, "doc_type": meta.doc_type, "title": meta.title,
                       "issuer": meta.issuer, "signed_date": meta.signed_date, "file_sha256": file_sha,
                       "media_type": doc.media_type, "status": extra["status"], "kind": extra["kind"],
                       "fingerprint": self._fingerprint, "read_version": READ_VERSION,
                       **programme_facts(meta.title, doc.text)}
        if known is not None and known.version == version:
            if known.meta != record_meta:  # e.g. bytes changed but not the text: remember the new hash
                known = DocRecord(doc_id, version, doc.source, known.chunk_count, record_meta)
                self.store.put_document(known)
            return "unchanged", known, None
        chunks = build_chunks(doc_id, version, doc, meta, {**extra, "written_at": time.time()},
                              self.max_chars, self.overlap)
        record = DocRecord(doc_id, version, doc.source, len(chunks), record_meta)
        return ("updated" if known is not None else "added"), record, chunks

    def is_current(self, record: DocRecord | None, sha: str) -> bool:
        """True when `record` was indexed from exactly these bytes, with today's settings, loaders and status (a
        row read by older loaders is read again once: only a document that now reads differently is embedded)."""
        return record is not None and record.meta.get("file_sha256") == sha \
            and record.meta.get("fingerprint") == self._fingerprint \
            and record.meta.get("read_version") == READ_VERSION \
            and record.meta.get("status") == self.status_of(record.meta.get("number"))

    def write_versions(self, versions: Sequence[tuple[DocRecord, Sequence[Chunk]]],
                       progress: Callable[[int], None] | None = None) -> None:
        """The one write path: embed and store the chunks batch by batch, then switch each document to its version.

        A run interrupted before the switch leaves the previous versions visible; its chunks are garbage.
        """
        self.warm_up()
        chunks = [c for _, doc_chunks in versions for c in doc_chunks]
        for positions, dense in passage_batches(self.embedder, [c.embed_text for c in chunks]):
            batch = [chunks[i] for i in positions]
            self.store.upsert([StoredPoint(c.chunk_id, vec, document_vector(c.embed_text), c.payload)
                               for c, vec in zip(batch, dense)])
            if progress is not None:
                progress(len(batch))
        for record, _ in versions:  # the switch: only now does each new version become the visible one
            self.store.put_document(record)
            self.store.delete_chunks(record.doc_id, keep_version=record.version)

    def ingest_paths(self, paths: Sequence[str], progress: Callable[[list], Iterable] = lambda it: it,
                     report: IngestReport | None = None, prune: bool = False, lines: Steps = no_steps,
                     chunks: Steps = no_steps) -> IngestReport:
        """Ingest files and folders; bad files are reported and skipped, stored documents are never lost.

        Documents once ingested from a given folder whose files are gone are reported as missing, and
        removed only with `prune` (a renamed or deleted file should not silently vanish from the index).
        A JSONL file is read line by line (`lines` wraps them, e.g. in a progress bar) and written in batches;
        another file's chunks are counted by `chunks` as they are embedded (a big file takes minutes).
        """
        report = report or IngestReport()
        self.warm_up()
        report.cleaned_versions += self.collect_garbage()
        files: list[tuple[Path, str]] = []
        for given in paths:
            try:
                files.extend(iter_input_files([given]))
            except IngestError as err:
                report.skipped.append((err.source, err.code, err.reason))
        known = self.store.documents()
        by_sha: dict[str, set[str]] = {}
        for rec in known.values():
            by_sha.setdefault(rec.meta.get("file_sha256", ""), set()).add(rec.doc_id)
        for path, source in progress(files):
            try:
                if is_jsonl(path):
                    ingest_jsonl(self, path, source, known, report, prune=prune, lines=lines)
                    continue
                self._ingest_one(path, source, known, by_sha, report, chunks)
            except IngestError as err:
                report.skipped.append((err.source, err.code, err.reason))
            except Exception as exc:  # one bad file must not end the run; the report names it
                log.exception("unexpected error on %s", source)
                report.skipped.append((source, "error", f"unexpected {type(exc).__name__}: {exc}"))
        if report.wrote:
            self.store.optimize()  # new points leave the WAL's in-memory segments for the indexed layout
        folders = [os.path.abspath(p) + os.sep for p in paths if os.path.isdir(p)]
        for rec in list(known.values()):
            where = os.path.abspath(container_of(rec.source))
            if rec.meta.get("kind") == "document" and any(where.startswith(f) for f in folders) \
                    and not os.path.lexists(where):
                self.vanished(rec, report, prune)
        return report

    def vanished(self, record: DocRecord, report: IngestReport, prune: bool) -> None:
        """A document whose file (or JSONL line) is gone: reported as missing, removed only with `prune`."""
        report.missing.append(record.source)
        if prune:
            self.remove(record.doc_id)
            report.pruned.append(record.source)

    def _ingest_one(self, path: Path, source: str, known: dict[str, DocRecord], by_sha: dict[str, set[str]],
                    report: IngestReport, chunks: Steps) -> None:
        if not path.is_file():
            raise IngestError(source, "unsupported" if path.exists() else "not_found",
                              "not a regular file" if path.exists() else "file not found (broken link?)")
        if path.suffix.lower() not in SUPPORTED:
            raise IngestError(source, "unsupported", f"unsupported file type {path.suffix or '(none)'!r}; "
                              f"supported: {', '.join(sorted(SUPPORTED) + list(JSONL_SUFFIXES))}")
        doc_id = doc_id_for(path)
        data = read_file(path, source, max_bytes=self.max_bytes)  # read once: hashed here, parsed below
        file_sha = hashlib.sha256(data).hexdigest()
        rec = known.get(doc_id)
        if self.is_current(rec, file_sha):
            report.unchanged.append(source)  # same bytes, settings and status: not even parsed
            return
        twin = _live_twin(file_sha, doc_id, known, by_sha)
        if twin is not None:
            report.skipped.append((source, DUPLICATE, f"same content as already indexed {twin.source}"))
            return
        doc = parse_file(path, data, source, ocr=self.ocr)
        report.warnings.extend((source, w) for w in doc.warnings)
        outcome, record = self.index_document(doc_id, doc, extract_metadata(doc), file_sha=file_sha, known=rec,
                                              chunks=chunks)
        if rec is not None:
            by_sha.get(rec.meta.get("file_sha256", ""), set()).discard(doc_id)
        by_sha.setdefault(file_sha, set()).add(doc_id)
        known[doc_id] = record
        report.count(source, outcome, record)

    def delete(self, selector: str, allow_many: bool = False) -> list[str]:
        """Remove documents named by doc id, source path or number; returns removed ids."""
        absolute = os.path.abspath(selector) if selector else ""  # also matches "./a.txt" for "a.txt"
        hits = [rec for rec in self.store.documents().values()
                if rec.doc_id == selector or os.path.abspath(rec.source) == absolute
                or (rec.meta.get("number") == selector and rec.meta.get("kind") != "catalogue")]
        if len(hits) > 1 and not allow_many:
            raise AmbiguousSelection(selector, hits)
        for rec in hits:
            self.remove(rec.doc_id)
        return [rec.doc_id for rec in hits]


def _live_twin(file_sha: str, doc_id: str, known: dict[str, DocRecord],
               by_sha: dict[str, set[str]]) -> DocRecord | None:
    """Another indexed document whose file still exists with exactly these bytes (not renamed or edited)."""
    for other in by_sha.get(file_sha, ()) if file_sha else ():
        rec = known.get(other)
        if other != doc_id and rec is not None and rec.meta.get("kind") == "document":
            twin = Path(rec.source)
            if twin.is_file() and file_sha256(twin) == file_sha:
                return rec
    return None
