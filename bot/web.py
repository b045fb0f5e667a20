"""The web chat page: static files and a small JSON API over the ChatAssistant (no retrieval logic here)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from starlette.concurrency import run_in_threadpool

from bot.assistant import ChatAssistant, Reply
from bot.errors import error_response
from bot.render import answer_sections, source_name
from knowledge.text import valid_text
from retrieval.evidence import Citation
from retrieval.question import QUESTION_SCHEMA
from retrieval.sources import is_catalogue
from retrieval.gate import RETRY_AFTER_S as OVERLOAD_RETRY_S

CHANNEL = "web"
STATIC_DIR = Path(__file__).with_name("static")
CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                 ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png",
                 ".ico": "image/x-icon", ".json": "application/json"}
# The page loads nothing from elsewhere, so the browser may refuse anything else (defence against injected markup).
HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
           "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                      "connect-src 'self'; base-uri 'none'; form-action 'self'; "
                                      "frame-ancestors 'none'"}
# Far above the answerer's own limit (it explains that one in Vietnamese); this only stops huge bodies being logged.
MAX_BODY_QUESTION = 20_000
RETRY_AFTER_S = 10  # seconds a page should wait after a 429 or 503 (the limit's window is a minute)
HTTP_STATUS = {"bad_question": 422, "rate_limited": 429, "loading": 503, "empty_index": 503, "overloaded": 503,
               "error": 500}

INVALID_JSON = "Yêu cầu không đúng định dạng JSON."
NOT_JSON = "Yêu cầu phải gửi dạng JSON (Content-Type: application/json)."
INVALID_REQUEST = "Yêu cầu không hợp lệ: {fields}."
TOO_LONG = "Câu hỏi quá dài ({n} ký tự). Vui lòng hỏi ngắn gọn, mỗi lần một ý."
UNKNOWN_EXCHANGE = "Không tìm thấy câu trả lời này để ghi nhận đánh giá (có thể hệ thống đã được cài lại)."
RECORDED = "Đã ghi nhận đánh giá của bạn."
TOO_MANY_VOTES = "Bạn đã gửi quá nhiều đánh giá trong một phút. Vui lòng thử lại sau."
CATALOGUE_SOURCE = "Danh mục văn bản của hệ thống (bản tóm tắt, không phải nguyên văn)"


class ChatRequest(BaseModel):
    """A question from the page; `session` is the random id the page keeps in localStorage."""

    model_config = ConfigDict(extra="forbid")  # as /api/ask: a misspelt field is an error, not silently dropped

    question: str = Field(json_schema_extra=QUESTION_SCHEMA)
    session: str | None = Field(default=None, max_length=128)


class FeedbackRequest(BaseModel):
    """👍 (1) or 👎 (-1) on an exchange, with an optional comment."""

    model_config = ConfigDict(extra="forbid")

    exchange_id: str = Field(min_length=1, max_length=64)
    rating: Literal[1, -1]
    comment: str | None = Field(default=None, max_length=1000)
    session: str | None = Field(default=None, max_length=128)

    @field_validator("rating", mode="before")
    @classmethod
    def _integer(cls, value: object) -> object:
        if isinstance(value, bool) or not isinstance(value, int):  # lax mode would take true, "1" and 1.0
            raise ValueError("rating must be 1 or -1")
        return value


class FeedbackRecorded(BaseModel):
    """A vote stored."""

    status: Literal["recorded"]
    detail: str


class CitationOut(BaseModel):
    """One numbered source as the page shows it."""

    n: int
    number: str | None
    title: str
    location: str
    page: int | None
    source: str
    quote: str


class ChatAnswer(BaseModel):
    """An answer (or an honest 'not in the documents'), split into body and sources for display."""

    status: Literal["answered", "not_found"]
    answered: bool
    answer: str
    body: str
    sources_heading: str
    citations: list[CitationOut]
    exchange_id: str | None
    latency_ms: float | None = None


class ChatError(BaseModel):
    """Why there is no answer, in Vietnamese."""

    detail: str
    code: str
    status: str


def split_answer(text: str) -> tuple[str, str]:
    """(body, heading of the sources list) — 'Căn cứ' for answers, 'Tài liệu gần nhất' for refusals."""
    body, sources = answer_sections(text)
    return body, sources.split(":", 1)[0] if sources else ""


def citation_out(c: Citation) -> CitationOut:
    """The fields of a citation the page shows."""
    # A catalogue card is the system's summary of a document, not the document: say so rather than name a YAML file.
    source = CATALOGUE_SOURCE if is_catalogue(c.source) else source_name(c.source)
    return CitationOut(n=c.n, number=c.number, title=c.title, location=c.location, page=c.page, source=source,
                       quote=c.quote)


def reply_response(reply: Reply) -> JSONResponse:
    """200 with the answer for answered/not_found; otherwise the Vietnamese message with a fitting status code."""
    if reply.is_answer:
        body, heading = split_answer(reply.text)
        out = ChatAnswer(status=reply.status, answered=reply.status == "answered", answer=reply.text, body=body,
                         sources_heading=heading if reply.citations else "",
                         citations=[citation_out(c) for c in reply.citations], exchange_id=reply.exchange_id,
                         latency_ms=reply.latency_ms)
        return JSONResponse(out.model_dump())
    # silent rate-limit replies are still shown: on a page, an unanswered click looks like a broken button
    err = ChatError(detail=reply.text, code=reply.code or reply.status, status=reply.status)
    status = 503 if reply.code == "startup_failed" else HTTP_STATUS.get(reply.status, 500)  # unavailable, not broken
    wait = OVERLOAD_RETRY_S if reply.status == "overloaded" else RETRY_AFTER_S
    headers = {"Retry-After": str(wait)} if status in (429, 503) else None
    return JSONResponse(err.model_dump(), status_code=status, headers=headers)


def _error(status: int, code: str, detail: str, state: str = "bad_request", headers: dict | None = None
           ) -> JSONResponse:
    return error_response(status, code, detail, headers, status=state)  # the page also reads a "status"


def _valid_strings(value: object) -> object:
    """Parsed JSON with every string made valid (pydantic refuses lone surrogates in constrained fields)."""
    if isinstance(value, str):
        return valid_text(value)
    if isinstance(value, list):
        return [_valid_strings(v) for v in value]
    if isinstance(value, dict):
        return {valid_text(k): _valid_strings(v) for k, v in value.items()}
    return value


def parse_body(model: type[BaseModel], raw: bytes, content_type: str | None = "application/json"
               ) -> BaseModel | JSONResponse:
    """The request model, or a 415 (not sent as JSON) / 400 (not JSON) / 422 (wrong fields), in Vietnamese."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        return _error(415, "unsupported_media_type", NOT_JSON)
    try:
        # Python's parser, not pydantic's: it keeps a lone surrogate (made valid later) instead of refusing it.
        data = _valid_strings(json.loads(raw or b"null"))
    except (ValueError, RecursionError):  # not JSON, not UTF-8, nested too deep, a number too long
        return _error(400, "invalid_json", INVALID_JSON)
    try:
        return model.model_validate(data)
    except ValidationError as err:
        errors = err.errors()
        fields = ", ".join(sorted({".".join(str(x) for x in e.get("loc", ())) or "body" for e in errors}))
        return _error(422, "invalid_request", INVALID_REQUEST.format(fields=fields))


def client_address(request: Request) -> str:
    """The client's address as the server sees it (behind a proxy: uvicorn's --forwarded-allow-ips sets it)."""
    return request.client.host if request.client else "unknown"


def _session(given: str | None, request: Request) -> str:
    """The page's session id, or the client's address when a caller sends none."""
    if given and given.strip():
        return given.strip()
    return f"host:{client_address(request)}"


def _static(name: str) -> Response:
    # Only names that are files directly in static/ are served: no paths, no dot-files, nothing generated.
    files = {p.name: p for p in STATIC_DIR.iterdir() if p.is_file() and not p.name.startswith(".")}
    path = files.get(name)
    if path is None or path.suffix not in CONTENT_TYPES:
        return _error(404, "not_found", "Không có tệp này.", "not_found")
    return Response(path.read_bytes(), media_type=CONTENT_TYPES[path.suffix], headers=HEADERS)


def _body_schema(model: type[BaseModel]) -> dict:
    """OpenAPI for a body parsed by hand (so that its errors can be Vietnamese)."""
    return {"requestBody": {"required": True,
                            "content": {"application/json": {"schema": model.model_json_schema()}}}}


def web_router(assistant: ChatAssistant) -> APIRouter:
    """`/` (the page), `/static/{name}`, `POST /api/chat` and `POST /api/feedback`."""
    router = APIRouter(tags=["web"])

    @router.get("/", include_in_schema=False)
    def page() -> Response:
        """The chat page."""
        return _static("index.html")

    @router.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        """A file of the page (script, style sheet)."""
        return _static(name)

    errors = {code: {"model": ChatError} for code in (400, 415, 422, 429, 500, 503)}

    @router.post("/api/chat", response_model=ChatAnswer, responses=errors, openapi_extra=_body_schema(ChatRequest))
    async def chat(request: Request):
        """Ask a question as the web page does: an answer with citations, or a Vietnamese reason why not."""
        body = parse_body(ChatRequest, await request.body(), request.headers.get("content-type"))
        if isinstance(body, JSONResponse):
            return body
        if len(body.question) > MAX_BODY_QUESTION:
            return _error(422, "too_long", TOO_LONG.format(n=len(body.question)), "bad_question")
        reply = await run_in_threadpool(assistant.ask, CHANNEL, _session(body.session, request), body.question,
                                        client_address(request))
        return reply_response(reply)

    @router.post("/api/feedback", response_model=FeedbackRecorded,
                 responses={code: {"model": ChatError} for code in (400, 404, 415, 422, 429)},
                 openapi_extra=_body_schema(FeedbackRequest))
    async def feedback(request: Request):
        """Record 👍/👎 (and an optional comment) on an answer; voting again replaces the earlier vote."""
        body = parse_body(FeedbackRequest, await request.body(), request.headers.get("content-type"))
        if isinstance(body, JSONResponse):
            return body
        if not assistant.may_rate(CHANNEL, client_address(request)):  # votes are cheap to forge with new sessions
            return _error(429, "rate_limited", TOO_MANY_VOTES, "rate_limited", {"Retry-After": str(RETRY_AFTER_S)})
        stored = await run_in_threadpool(assistant.rate, body.exchange_id, CHANNEL, _session(body.session, request),
                                         body.rating, (body.comment or "").strip() or None)
        if not stored:
            return _error(404, "unknown_exchange", UNKNOWN_EXCHANGE, "not_found")
        return {"status": "recorded", "detail": RECORDED}

    return router
