"""The one error body everywhere: FastAPI's own errors (unparsable bodies, unknown paths and methods, field
validation) answered as {"detail", "code"}, and the OpenAPI schema saying so for every operation."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from ntm.deps import ServicesUnavailable, error_response, unavailable_response

# Bilingual: the API serves programs (operators read English) and pages that show `detail` to officers.
INVALID_BODY = ("Nội dung yêu cầu không đọc được: phải là một đối tượng JSON hợp lệ, mã hóa UTF-8. "
                "(The request body could not be read: send one valid UTF-8 JSON object, such as "
                '{"question": "..."}.)')
# A question is at most 2,000 characters (8 kB in UTF-8), a chat one 20,000; nothing a client sends needs more.
MAX_REQUEST_BYTES = 256_000
TOO_LARGE = f"Yêu cầu quá lớn. (The request body is over {MAX_REQUEST_BYTES:,} bytes; a question needs far less.)"
HTTP_ERRORS = {
    400: ("invalid_json", INVALID_BODY),  # the code a body pydantic cannot parse gets too
    404: ("not_found", "Không có địa chỉ này. (No such path; see /docs.)"),
    405: ("method_not_allowed", "Địa chỉ này không nhận phương thức {method}. (Method {method} is not allowed here.)"),
    413: ("too_large", TOO_LARGE),
}
ERROR_SCHEMA_REF = "#/components/schemas/ErrorResponse"
FASTAPI_ERROR_SCHEMAS = ("HTTPValidationError", "ValidationError")


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error the framework raises with the one error body."""
    app.add_exception_handler(ServicesUnavailable, _unavailable)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(HTTPException, _http_error)


async def _unavailable(request: Request, exc: ServicesUnavailable) -> JSONResponse:
    return unavailable_response(exc)


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    """FastAPI's own 4xx (a body it could not parse, an unknown path or method) in the one error body."""
    code, detail = HTTP_ERRORS.get(exc.status_code, ("http_error", str(exc.detail)))
    return error_response(exc.status_code, code, detail.replace("{method}", request.method),
                          headers=getattr(exc, "headers", None))


async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    """A body that is not JSON is a 400; a wrong field is a 422 naming it (never a 500)."""
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(400, "invalid_json", INVALID_BODY)
    parts = [f"{'.'.join(str(x) for x in e.get('loc', ()) if x != 'body') or 'body'}: {e.get('msg')}" for e in errors]
    return error_response(422, "invalid_request", "Invalid request: " + "; ".join(parts))


class BodyLimit:
    """ASGI middleware: a body over MAX_REQUEST_BYTES is refused with 413 before it is read (by its Content-Length)
    or as soon as it passes the limit (a chunked body), so no route parses or echoes megabytes."""

    def __init__(self, app) -> None:
        self.app, self.limit = app, MAX_REQUEST_BYTES

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or ()).get(b"content-length", b"0")
        if length.isdigit() and int(length) > self.limit:
            return await self._refuse(send)
        seen = 0

        async def limited_receive():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooLarge
            return message

        started = False

        async def tracked_send(message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracked_send)
        except _TooLarge:
            if started:  # a response is on its way: a second one would break the protocol
                raise
            await self._refuse(send)

    async def _refuse(self, send) -> None:
        response = error_response(413, "too_large", TOO_LARGE, headers={"Connection": "close"})
        await send({"type": "http.response.start", "status": 413, "headers": response.raw_headers})
        await send({"type": "http.response.body", "body": response.body})


class _TooLarge(HTTPException):
    """Raised while a chunked body is read: an HTTPException, so FastAPI's body parsing passes it on (as 413)."""

    def __init__(self) -> None:
        super().__init__(413)


def error_body_openapi(app: FastAPI) -> None:
    """Make /openapi.json say what the handlers above do: 422s and body-parse 400s have the ErrorResponse body."""
    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is not None:
            return app.openapi_schema
        spec = build()
        for operations in spec.get("paths", {}).values():
            for operation in operations.values():
                _document_errors(operation)
        for name in FASTAPI_ERROR_SCHEMAS:
            spec.get("components", {}).get("schemas", {}).pop(name, None)
        app.openapi_schema = spec
        return spec

    app.openapi = openapi


def _document_errors(operation: dict) -> None:
    responses = operation.setdefault("responses", {})
    error = {"description": "Error", "content": {"application/json": {"schema": {"$ref": ERROR_SCHEMA_REF}}}}
    validation = responses.get("422", {}).get("content", {}).get("application/json", {}).get("schema", {})
    if validation.get("$ref", "").endswith("/HTTPValidationError"):
        responses["422"] = error
    if "requestBody" in operation:
        for status in ("400", "413"):  # an unreadable body; one over MAX_REQUEST_BYTES
            responses.setdefault(status, error)
