"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter

from ntm.deps import ServicesDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(services: ServicesDep) -> dict:
    """Readiness: model loaded and store open (503 until then)."""
    return {"status": "ready", "documents": services.searcher.document_count, "chunks": services.store.count(),
            **services.store.info()}
