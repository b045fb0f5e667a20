"""Questions and searches: POST /api/ask (answers with citations) and GET /api/search (top chunks)."""

from __future__ import annotations

import time

from fastapi import APIRouter, Query

from knowledge.text import valid_text
from ntm.api_models import AskRequest, AskResponse, ErrorResponse, SearchHit, SearchResponse
from ntm.deps import ServicesDep, error_response
from retrieval.filters import BadFilter
from retrieval.gate import Overloaded
from retrieval.question import EMPTY, MAX_QUERY_CHARS, NOT_BLANK, BadQuestion
from retrieval.search import MODES
from retrieval.service import NotReady
from retrieval.sources import public_source

router = APIRouter(tags=["ask"])
ERRORS = {400: {"model": ErrorResponse}, 422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}}
EMPTY_INDEX = ("Chưa có văn bản nào được nạp vào hệ thống, nên chưa thể trả lời. "
               "(Nothing is indexed yet: run `ntm ingest PATH...`.)")


@router.get("/api/search", response_model=SearchResponse, responses={k: v for k, v in ERRORS.items() if k != 400})
def api_search(
    services: ServicesDep,
    q: str = Query(..., min_length=1, max_length=MAX_QUERY_CHARS, description="Question or keywords",
                   json_schema_extra={"pattern": NOT_BLANK}),
    limit: int = Query(5, ge=1, le=50),
    mode: str = Query("hybrid", pattern="^(" + "|".join(MODES) + ")$"),
):
    """Top chunks for a query."""
    started = time.perf_counter()
    q = valid_text(q)  # echoed in the response, which must encode
    if not q.strip():
        return error_response(422, "empty", EMPTY)
    try:
        results = services.searcher.search(q, limit=limit, mode=mode)
    except ValueError as err:  # the searcher's own checks (e.g. a whitespace-only query)
        return error_response(422, "invalid_query", str(err))
    root = services.searcher.source_root
    hits = [SearchHit.model_validate(r, from_attributes=True) for r in results]
    hits = [h.model_copy(update={"source": public_source(h.source, root)}) for h in hits]
    return SearchResponse(query=q, mode=mode, results=hits, latency_ms=(time.perf_counter() - started) * 1000)


@router.post("/api/ask", response_model=AskResponse, responses=ERRORS)
def api_ask(body: AskRequest, services: ServicesDep):
    """Answer a question from the indexed documents, with numbered citations."""
    try:
        flt = services.searcher.search_filter(body.filters.to_filters() if body.filters else None)
        result = services.asker.ask(body.question, as_of=body.as_of, mode=body.mode, flt=flt)
    except BadQuestion as err:
        return error_response(422, err.code, err.message)
    except BadFilter as err:
        return error_response(422, f"unknown_{err.name}", err.message)
    except NotReady:
        return error_response(503, "empty_index", EMPTY_INDEX)
    except Overloaded as err:  # at once: waiting longer would only lengthen the queue
        return error_response(503, "overloaded", err.message, headers={"Retry-After": str(err.retry_after_s)})
    return AskResponse.from_result(result, services.searcher.source_root)
