"""The one JSON error body of every HTTP route: {"detail": message, "code": machine-readable code}, plus extras.

It lives on this floor, below the app (`ntm`), so that the chat channels' own routes (the web page, the Telegram
and Zalo webhooks) and the API's routes (`ntm.deps` re-exports it) build errors the same way.
"""

from __future__ import annotations

from fastapi.responses import JSONResponse


def error_response(status_code: int, code: str, detail: str, headers: dict | None = None, **extra) -> JSONResponse:
    """The error body {"detail", "code"} (plus `extra` fields, e.g. the web page's "status") with its status."""
    return JSONResponse({"detail": detail, "code": code, **extra}, status_code=status_code, headers=headers)
