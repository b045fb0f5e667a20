"""What routes depend on: the services once loaded (503 while loading or after a failed start), one error body."""

from __future__ import annotations

import logging
import threading
from typing import Annotated, Callable

from fastapi import Depends, Request
from fastapi.responses import JSONResponse

from bot.errors import error_response  # re-exported: the API routes build their errors with it
from ntm.services import Services, ingest_catalogue

log = logging.getLogger(__name__)

LOADING = ("Hệ thống đang khởi động (nạp mô hình và chỉ mục), vui lòng thử lại sau ít giây. "
           "(The model and index are still loading; retry shortly.)")
STARTUP_FAILED = ("Hệ thống chưa khởi động được; vui lòng báo quản trị viên. "
                  "(Startup failed: the reason is in the server log.)")
RETRY_AFTER_S = "5"  # seconds a client should wait before asking again while the services load


class AppState:
    """Services once loaded, or why they are not."""

    def __init__(self) -> None:
        self.services: Services | None = None
        self.error: str | None = None
        self.ready = threading.Event()

    def load(self, factory: Callable[[], Services]) -> None:
        """Build and warm up the services and index the catalogue (run in a background thread)."""
        services = None
        try:
            services = factory()
            services.warm_up()
            ingest_catalogue(services)
            self.services = services
        except Exception as exc:  # reported by /readyz; the process stays up to say so
            log.exception("startup failed")
            self.error = f"{type(exc).__name__}: {exc}"
            if services is not None:
                services.close()  # release the store's lock: an operator may fix the cause and ingest meanwhile
        finally:
            self.ready.set()


class ServicesUnavailable(Exception):
    """The services are still loading, or failed to start."""

    def __init__(self, error: str | None) -> None:
        super().__init__(error or "loading")
        self.error = error


def unavailable_response(exc: ServicesUnavailable) -> JSONResponse:
    """503 with why: still loading (retry soon) or a failed start; the reason of a failed start names paths and
    settings, so it goes to the server log only (a proxy on the same host would make every caller look local)."""
    if exc.error:
        return error_response(503, "startup_failed", STARTUP_FAILED, status="error")
    return error_response(503, "loading", LOADING, headers={"Retry-After": RETRY_AFTER_S}, status="loading")


def app_state(request: Request) -> AppState:
    """The application's state object."""
    return request.app.state.ntm


class _NotLoaded:
    """Stands in for the services until they are loaded: the route's first use of them raises
    ServicesUnavailable (answered as a 503). Raising in the dependency itself would come before FastAPI
    validates the request, and a malformed request must get its 400/422 whether or not the services are up."""

    def __init__(self, error: str | None) -> None:
        self._error = error

    def __getattr__(self, name: str):
        raise ServicesUnavailable(self._error)


async def loaded_services(request: Request) -> Services:
    """The services, or a stand-in that answers 503 when used (while they load, or after a failed start).

    Async: it only reads an attribute, so no worker thread is needed."""
    state = app_state(request)
    return state.services if state.services is not None else _NotLoaded(state.error)


ServicesDep = Annotated[Services, Depends(loaded_services)]
