"""The FastAPI application: services are built once, in the background, by the lifespan."""

from __future__ import annotations

import logging
import threading
import time
from contextlib import asynccontextmanager
from typing import Callable

from fastapi import FastAPI, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from ntm.settings import Settings
from retrieval.search import MAX_QUERY_CHARS, MODES

log = logging.getLogger(__name__)


class SearchHit(BaseModel):
    """One chunk in a search response (the API's view of retrieval.search.SearchResult)."""

    score: float
    doc_id: str
    number: str | None
    title: str | None
    path: str
    page: int | None
    source: str
    status: str | None
    text: str


class SearchResponse(BaseModel):
    """Response of GET /api/search."""

    query: str
    mode: str
    results: list[SearchHit]
    latency_ms: float


class _State:
    """Services once loaded, or why they are not."""

    def __init__(self) -> None:
        self.services = None
        self.error: str | None = None
        self.ready = threading.Event()


def _load(state: _State, factory: Callable[[], object]) -> None:
    try:
        from ntm.services import ingest_catalogue

        services = factory()
        ingest_catalogue(services)
        state.services = services
    except Exception as exc:  # reported by /readyz; the process stays up to say so
        log.exception("startup failed")
        state.error = f"{type(exc).__name__}: {exc}"
    finally:
        state.ready.set()


def create_app(settings: Settings | None = None, services_factory: Callable[[], object] | None = None,
               wait: bool = False) -> FastAPI:
    """Build the app; `services_factory` lets tests inject fakes, `wait` loads before serving."""
    settings = settings or Settings()
    state = _State()

    def factory():
        from ntm.services import build_services

        return build_services(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        loader = threading.Thread(target=_load, args=(state, services_factory or factory), daemon=True)
        loader.start()
        if wait:
            loader.join()
        yield
        loader.join()
        if state.services is not None:
            state.services.close()

    app = FastAPI(title="NTM assistant", version="0.1.0", lifespan=lifespan,
                  description="Questions on Vietnam's New Rural Development documents, answered with citations.")
    app.state.ntm = state

    def unavailable() -> JSONResponse:
        if state.error:
            return JSONResponse({"status": "error", "detail": f"startup failed: {state.error}"}, status_code=503)
        return JSONResponse({"status": "loading", "detail": "the model and index are still loading; retry shortly"},
                            status_code=503)

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

    return app
