"""The FastAPI application: services are built once, in the background, by the lifespan; routes live in
ntm/routes/ (ask, documents, health) and bot/ (chat page, webhooks)."""

from __future__ import annotations

import asyncio
import threading
from contextlib import asynccontextmanager
from typing import Callable

from fastapi import FastAPI

from ntm.deps import AppState
from ntm.errors import BodyLimit, error_body_openapi, install_error_handlers
from ntm.routes import ask, documents, health, reference
from ntm.services import Services, build_services
from ntm.settings import Settings


def create_app(settings: Settings | None = None, services_factory: Callable[[], Services] | None = None,
               wait: bool = False, telegram_polling: bool | None = None) -> FastAPI:
    """Build the app and its chat channels; `services_factory` lets tests inject fakes, `wait` loads before serving."""
    from ntm.channels import build_channels

    settings = settings or Settings()
    state = AppState()
    # Channels answer "still loading" until the services are up, so the bots start at once.
    channels = build_channels(settings, lambda: state.services, lambda: state.error, polling=telegram_polling)
    factory = services_factory or (lambda: build_services(settings))

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        loader = threading.Thread(target=state.load, args=(factory,), daemon=True)
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

    # No trailing-slash redirects: "/api/ask/" is a 404 with the error body, not a 307 built from the Host header.
    app = FastAPI(title="NTM assistant", version="0.1.0", lifespan=lifespan, redirect_slashes=False,
                  description="Questions on Vietnam's New Rural Development documents, answered with citations.")
    app.state.ntm = state
    app.state.channels = channels
    install_error_handlers(app)
    app.add_middleware(BodyLimit)
    for router in (health.router, ask.router, documents.router, reference.router, *channels.routers):
        app.include_router(router)
    error_body_openapi(app)
    return app

