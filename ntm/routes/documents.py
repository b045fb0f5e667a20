"""The indexed documents: GET /api/documents and GET /api/documents/{id} (with what the catalogue knows)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter

from knowledge.catalogue import CatalogueEntry, entry_for
from knowledge.status import status_on
from ntm.api_models import DocumentDetail, DocumentOut, ErrorResponse
from ntm.deps import ServicesDep, error_response
from retrieval.sources import public_source
from retrieval.store import DocRecord
from retrieval.validity import validity_note

router = APIRouter(tags=["documents"])


@router.get("/api/documents", response_model=list[DocumentOut], responses={503: {"model": ErrorResponse}})
def api_documents(services: ServicesDep) -> list[DocumentOut]:
    """Every indexed document (files and catalogue cards)."""
    records = sorted(services.store.documents().values(), key=lambda r: r.source)
    root = services.searcher.source_root
    return [document_out(r, root) for r in records]


@router.get("/api/documents/{doc_id}", response_model=DocumentDetail,
            responses={404: {"model": ErrorResponse}, 503: {"model": ErrorResponse}})
def api_document(doc_id: str, services: ServicesDep):
    """One document, with its status today and what replaced or amended it (from the catalogue)."""
    record = services.store.documents().get(doc_id)
    if record is None:
        return error_response(404, "unknown_document", f"No indexed document has id {doc_id!r}; see /api/documents.")
    return document_detail(record, services.catalogue, date.today(), services.searcher.source_root)


def document_out(record: DocRecord, source_root: str = "") -> DocumentOut:
    """The API's view of a registry row (its source relative to `source_root`)."""
    m = record.meta
    return DocumentOut(doc_id=record.doc_id, source=public_source(record.source, source_root),
                       chunks=record.chunk_count,
                       **{k: m.get(k) for k in ("number", "title", "doc_type", "issuer", "signed_date", "status",
                                                "kind")})


def document_detail(record: DocRecord, catalogue: list[CatalogueEntry], today: date,
                    source_root: str = "") -> DocumentDetail:
    """A registry row with its catalogue entry's status on `today` and relations."""
    out = DocumentDetail(**document_out(record, source_root).model_dump())
    entry = entry_for(catalogue, record.meta.get("number"))
    if entry is None:
        return out
    status, _ = status_on(entry, today, catalogue)
    return out.model_copy(update={"status_today": status, "status_note": validity_note(entry, today, catalogue),
                                  "replaced_by": list(entry.replaced_by), "amended_by": list(entry.amended_by),
                                  "catalogue_id": entry.id})
