"""The FastAPI application: services are built once, in the background, by the lifespan."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from contextlib import asynccontextmanager
from typing import Callable

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ntm.api_models import (AskRequest, AskResponse, DocumentDetail, DocumentOut, ErrorResponse, SearchHit,
                            SearchResponse)
from ntm.settings import Settings
from retrieval.filters import BadFilter, to_search_filter
from retrieval.question import MAX_QUERY_CHARS
from retrieval.search import MODES
from retrieval.question import BadQuestion
from retrieval.service import NotReady

log = logging.getLogger(__name__)


class _State:
    """Services once loaded, or why they are not."""

    def __init__(self) -> None:
        self.services = None
        self.error: str | None = None
        self.ready = threading.Event()


def _load(state: _State, factory: Callable[[], object]) -> None:
    services = None
    try:
        from ntm.services import ingest_catalogue

        services = factory()
        services.warm_up()
        ingest_catalogue(services)
        state.services = services
    except Exception as exc:  # reported by /readyz; the process stays up to say so
        log.exception("startup failed")
        state.error = f"{type(exc).__name__}: {exc}"
        if services is not None:
            services.close()  # release the store's lock: an operator may fix the cause and ingest meanwhile
    finally:
        state.ready.set()


def create_app(settings: Settings | None = None, services_factory: Callable[[], object] | None = None,
               wait: bool = False, telegram_polling: bool | None = None) -> FastAPI:
    """Build the app and its chat channels; `services_factory` lets tests inject fakes, `wait` loads before serving."""
    from ntm.channels import build_channels

    settings = settings or Settings()
    state = _State()
    # Channels answer "still loading" until the services are up, so the bots start at once.
    channels = build_channels(settings, lambda: state.services, lambda: state.error, polling=telegram_polling)

    def factory():
        from ntm.services import build_services

        return build_services(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        loader = threading.Thread(target=_load, args=(state, services_factory or factory), daemon=True)
        loader.start()
        if wait:
            loader.join()
        # In the background: a bot that cannot reach its platform must not hold up the HTTP API.
        starting = asyncio.create_task(channels.start())
        try:
            yield
        finally:
            if not starting.done():
                starting.cancel()
            await asyncio.gather(starting, return_exceptions=True)
            await channels.stop()
            loader.join()
            if state.services is not None:
                state.services.close()

    app = FastAPI(title="NTM assistant", version="0.1.0", lifespan=lifespan,
                  description="Questions on Vietnam's New Rural Development documents, answered with citations.")
    app.state.ntm = state
    app.state.channels = channels
    for router in channels.routers:
        app.include_router(router)

    def unavailable() -> JSONResponse:
        if state.error:
            return JSONResponse({"status": "error", "code": "startup_failed",
                                 "detail": f"startup failed: {state.error}"}, status_code=503)
        return JSONResponse({"status": "loading", "code": "loading",
                             "detail": "Hệ thống đang khởi động (nạp mô hình và chỉ mục), vui lòng thử lại sau ít "
                                       "giây. (The model and index are still loading; retry shortly.)"},
                            status_code=503, headers={"Retry-After": "5"})

    def error(status: int, code: str, detail: str) -> JSONResponse:
        return JSONResponse({"detail": detail, "code": code}, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        """A body that is not JSON is a 400; a wrong field is a 422 naming it (never a 500)."""
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return error(400, "invalid_json", "The request body is not valid JSON (send a JSON object such as "
                                              '{"question": "..."}).')
        parts = [f"{'.'.join(str(x) for x in e.get('loc', ()) if x != 'body') or 'body'}: {e.get('msg')}"
                 for e in errors]
        return error(422, "invalid_request", "Invalid request: " + "; ".join(parts))

    @app.get("/healthz")
    def healthz() -> dict:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz():
        """Readiness: model loaded and store open."""
        if state.services is None:
            return unavailable()
        s = state.services
        return {"status": "ready", "documents": s.searcher.document_count, "chunks": s.store.count(),
                **s.store.info()}

    @app.get("/api/search", response_model=SearchResponse)
    def api_search(
        q: str = Query(..., min_length=1, max_length=MAX_QUERY_CHARS, description="Question or keywords"),
        limit: int = Query(5, ge=1, le=50),
        mode: str = Query("hybrid", pattern="^(" + "|".join(MODES) + ")$"),
    ):
        """Top chunks for a query."""
        if state.services is None:
            return unavailable()
        started = time.perf_counter()
        try:
            results = state.services.searcher.search(q, limit=limit, mode=mode)
        except ValueError as err:  # the searcher's own checks (e.g. a whitespace-only query)
            return JSONResponse({"detail": str(err)}, status_code=422)
        hits = [SearchHit.model_validate(r, from_attributes=True) for r in results]
        return SearchResponse(query=q, mode=mode, results=hits, latency_ms=(time.perf_counter() - started) * 1000)

    responses = {400: {"model": ErrorResponse}, 422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}}

    @app.post("/api/ask", response_model=AskResponse, responses=responses)
    def api_ask(body: AskRequest):
        """Answer a question from the indexed documents, with numbered citations."""
        if state.services is None:
            return unavailable()
        s = state.services
        try:
            flt = to_search_filter(body.filters.to_filters() if body.filters else None, s.searcher.filter_choices,
                                   s.catalogue)
            result = s.asker.ask(body.question, as_of=body.as_of, mode=body.mode, flt=flt)
        except BadQuestion as err:
            return error(422, err.code, err.message)
        except BadFilter as err:
            return error(422, f"unknown_{err.name}", err.message)
        except NotReady:
            return error(503, "empty_index", "Chưa có văn bản nào được nạp vào hệ thống, nên chưa thể trả lời. "
                                             "(Nothing is indexed yet: run `ntm ingest PATH...`.)")
        return AskResponse.from_result(result)

    @app.get("/api/documents", response_model=list[DocumentOut])
    def api_documents():
        """Every indexed document (files and catalogue cards)."""
        if state.services is None:
            return unavailable()
        records = sorted(state.services.store.documents().values(), key=lambda r: r.source)
        return [_document_out(r) for r in records]

    @app.get("/api/documents/{doc_id}", response_model=DocumentDetail, responses={404: {"model": ErrorResponse}})
    def api_document(doc_id: str):
        """One document, with its status today and what replaced or amended it (from the catalogue)."""
        if state.services is None:
            return unavailable()
        s = state.services
        record = s.store.documents().get(doc_id)
        if record is None:
            return error(404, "unknown_document", f"No indexed document has id {doc_id!r}; see /api/documents.")
        return _document_detail(record, s.catalogue)

    return app


def _document_out(record) -> DocumentOut:
    m = record.meta
    return DocumentOut(doc_id=record.doc_id, source=record.source, chunks=record.chunk_count,
                       **{k: m.get(k) for k in ("number", "title", "doc_type", "issuer", "signed_date", "status",
                                                "kind")})


def _document_detail(record, catalogue) -> DocumentDetail:
    from datetime import date

    from knowledge.catalogue import entry_for
    from knowledge.status import status_on
    from retrieval.validity import validity_note

    out = DocumentDetail(**_document_out(record).model_dump())
    entry = entry_for(catalogue, record.meta.get("number"))
    if entry is not None:
        today = date.today()
        status, _ = status_on(entry, today, catalogue)
        out = out.model_copy(update={"status_today": status, "status_note": validity_note(entry, today, catalogue),
                                     "replaced_by": list(entry.replaced_by), "amended_by": list(entry.amended_by),
                                     "catalogue_id": entry.id})
    return out
