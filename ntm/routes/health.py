"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter

from ntm.api_models import ErrorResponse
from ntm.deps import ServicesDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"model": ErrorResponse}})
def readyz(services: ServicesDep) -> dict:
    """Readiness: model loaded and store open (503 until then)."""
    info = {k: v for k, v in services.store.info().items() if k != "path"}  # no server folders for anonymous callers
    return {"status": "ready", "documents": services.searcher.document_count, "chunks": services.store.count(),
            **info}
