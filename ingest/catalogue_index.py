"""Index the knowledge catalogue: one document card per entry, removed cards dropped from the store."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ingest.pipeline import Indexer, IngestReport
from ingest.types import DocMeta, LoadedDocument
from knowledge.cards import CARD_ID_PREFIX as DOC_ID_PREFIX, card_id, entry_text  # noqa: F401 (re-exported)
from knowledge.catalogue import load_catalogue



def _iso_or_none(value: str | None) -> str | None:
    return value if value and len(value) == 10 else None  # partial dates ("2023") are not dates


def index_catalogue(indexer: Indexer, path: Path, report: IngestReport | None = None) -> IngestReport:
    """Index every entry of the catalogue at `path` as a card; unchanged cards cost nothing."""
    report = report or IngestReport()
    # No catalogue file means an empty catalogue (e.g. NTM_KNOWLEDGE_DIR pointed elsewhere): its cards go.
    entries = load_catalogue(path) if path.exists() else []
    known = indexer.store.documents()
    wanted = set()
    for entry in entries:
        doc_id = card_id(entry)
        wanted.add(doc_id)
        source = f"knowledge/{path.name}#{entry.id}"
        text = entry_text(entry, entries)
        doc = LoadedDocument(source=source, media_type="catalogue", text=text, title_hint=entry.title)
        meta = DocMeta(number=entry.number, doc_type=entry.type, issuer=entry.issuer,
                       signed_date=_iso_or_none(entry.signed), effective_date=_iso_or_none(entry.effective),
                       title=entry.title)
        sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
        outcome, record = indexer.index_document(doc_id, doc, meta, file_sha=sha, known=known.get(doc_id),
                                                 extra={"kind": "catalogue", "status": entry.status})
        report.count(source, outcome, record)
    for doc_id, rec in known.items():
        if doc_id not in wanted and rec.meta.get("kind") == "catalogue":  # an entry removed from the catalogue
            indexer.remove(doc_id)
    return report
