"""The web chat page's JSON API and files as the browser sees them: cited answers, an honest 'not found',
Vietnamese errors with fitting status codes, feedback stored, static files served safely and offline."""

from __future__ import annotations

import re
from dataclasses import replace
from types import SimpleNamespace

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.web import CATALOGUE_SOURCE, STATIC_DIR, citation_out, web_router
from ntm.app import create_app
from retrieval.evidence import Citation
from retrieval.question import MAX_QUERY_CHARS

from bot_support import PLAN_QUESTION, bot_settings, build_index, make_assistant

pytestmark = pytest.mark.synthetic

# synthetic fixture: the synthetic index (two made-up documents + the catalogue) has nothing on air fares,
# so the extractive answerer refuses it (checked below: `answered` must be False).
NOT_IN_DOCUMENTS = "Giá vé máy bay đi Paris tháng sau là bao nhiêu?"


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    """Services over the synthetic documents (shared by the router-only apps; never closed by them)."""
    tmp = tmp_path_factory.mktemp("web-index")
    services = build_index(tmp)
    yield services
    services.close()


@pytest.fixture(scope="module")
def app_client(tmp_path_factory):
    """The real application (create_app wires the web router through ntm.channels) on its own index."""
    tmp = tmp_path_factory.mktemp("web-app")
    settings = bot_settings(tmp)
    services = build_index(tmp, settings)
    app = create_app(settings, lambda: services, wait=True)
    with TestClient(app) as client:
        client.conversations = app.state.channels.assistant.conversations
        yield client


def router_client(assistant) -> TestClient:
    """Only the web router around a given assistant (for states the real app is hard to hold in)."""
    app = FastAPI()
    app.include_router(web_router(assistant))
    return TestClient(app)


def chat(client, question, session="s-test", **extra):
    return client.post("/api/chat", json={"question": question, "session": session, **extra})


def test_answered_question_has_body_citation_and_exchange(app_client):
    response = chat(app_client, PLAN_QUESTION)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["status"] == "answered" and data["answered"] is True
    assert "7 xã" in data["body"]
    assert "Căn cứ:" not in data["body"]  # the list is sent structured, not as text to print twice
    assert data["sources_heading"] == "Căn cứ"
    first = data["citations"][0]
    assert first["n"] == 1 and first["number"] == "57/KH-UBND"
    assert "7 xã" in first["quote"] and first["location"]
    assert first["source"] == "ke-hoach-dai-phong.txt"  # the file name, not the server's folders
    assert set(first) == {"n", "number", "title", "location", "page", "source", "quote"}
    assert re.fullmatch(r"[0-9a-f]{16}", data["exchange_id"])
    stored = app_client.conversations.exchange(data["exchange_id"])
    assert stored["channel"] == "web" and stored["question"] == PLAN_QUESTION


def test_question_not_in_documents_is_an_honest_refusal(app_client):
    response = chat(app_client, NOT_IN_DOCUMENTS)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["status"] == "not_found" and data["answered"] is False
    assert data["body"].startswith("Tài liệu hiện có chưa nêu")
    assert "Tài liệu gần nhất:" not in data["body"]
    if data["citations"]:  # the closest documents are offered, under their own heading
        assert data["sources_heading"] == "Tài liệu gần nhất"
    assert data["exchange_id"]


@pytest.mark.parametrize("question, code, words", [
    ("", "empty", "trống"),
    ("   ", "empty", "trống"),
    ("x" * 5000, "too_long", "quá dài"),
    ("x" * 50_000, "too_long", "quá dài"),  # refused at the edge, before the log stores a huge body
])
def test_empty_or_too_long_question_is_422_in_vietnamese(app_client, question, code, words):
    response = chat(app_client, question)
    assert response.status_code == 422
    data = response.json()
    assert data["code"] == code and data["status"] == "bad_question"
    assert words in data["detail"]


def test_page_counter_limit_matches_the_answerer():
    js = (STATIC_DIR / "app.js").read_text(encoding="utf-8")
    assert f"const MAX_CHARS = {MAX_QUERY_CHARS};" in js


def test_burst_is_429_with_a_message_every_time(index, tmp_path):
    client = router_client(make_assistant(index, tmp_path, per_minute=2))
    codes = [chat(client, PLAN_QUESTION, session="burst") for _ in range(4)]
    assert [r.status_code for r in codes] == [200, 200, 429, 429]
    for refused in codes[2:]:  # the 'silent' one too: on a page an unanswered click looks broken
        assert refused.json()["code"] == "rate_limited"
        assert "Vui lòng đợi" in refused.json()["detail"]
    assert chat(client, PLAN_QUESTION, session="someone-else").status_code == 200  # per session


def test_loading_is_503(tmp_path):
    client = router_client(make_assistant(None, tmp_path))
    response = chat(client, PLAN_QUESTION)
    assert response.status_code == 503
    assert response.json()["status"] == "loading" and "khởi động" in response.json()["detail"]


def test_answerer_crash_is_500_with_a_vietnamese_message(tmp_path):
    def broken(question):
        raise RuntimeError("store file vanished")

    client = router_client(make_assistant(SimpleNamespace(asker=SimpleNamespace(ask=broken)), tmp_path))
    response = chat(client, PLAN_QUESTION)
    assert response.status_code == 500
    assert response.json()["code"] == "error" and "lỗi" in response.json()["detail"]
    assert "vanished" not in response.text  # the trace is for the operator's log only


def test_feedback_is_stored_and_can_be_switched(app_client):
    exchange = chat(app_client, PLAN_QUESTION, session="rater").json()["exchange_id"]
    vote = {"exchange_id": exchange, "session": "rater"}
    first = app_client.post("/api/feedback", json={**vote, "rating": -1, "comment": "Thiếu năm áp dụng"})
    assert first.status_code == 200 and first.json()["status"] == "recorded"
    assert app_client.post("/api/feedback", json={**vote, "rating": 1}).status_code == 200
    rated = [r for r in app_client.conversations.rows(rated_only=True) if r["exchange_id"] == exchange]
    assert len(rated) == 1  # one vote per person: the second click replaced the first
    assert rated[0]["rating"] == 1 and rated[0]["comment"] == "Thiếu năm áp dụng"
    assert rated[0]["channel"] == "web" and rated[0]["user"] != "rater"  # pseudonymised


def test_feedback_on_unknown_exchange_is_404(app_client):
    response = app_client.post("/api/feedback", json={"exchange_id": "0123456789abcdef", "rating": 1})
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_exchange" and "Không tìm thấy" in response.json()["detail"]


@pytest.mark.parametrize("rating", [0, 2, "1", True, 1.0, None])
def test_feedback_rating_must_be_plus_or_minus_one(app_client, rating):
    exchange = chat(app_client, PLAN_QUESTION, session="odd-rater").json()["exchange_id"]
    response = app_client.post("/api/feedback", json={"exchange_id": exchange, "rating": rating})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request" and "rating" in response.json()["detail"]


def test_feedback_comment_over_1000_chars_is_422(app_client):
    exchange = chat(app_client, PLAN_QUESTION, session="long-comment").json()["exchange_id"]
    response = app_client.post("/api/feedback", json={"exchange_id": exchange, "rating": -1, "comment": "a" * 1001})
    assert response.status_code == 422 and "comment" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/api/chat", "/api/feedback"])
@pytest.mark.parametrize("body, status", [(b"question=hello", 400), (b"{\"question\": ", 400), (b"", 422),
                                          (b"[1, 2]", 422), (b"{\"question\": 7}", 422)])
def test_malformed_bodies_are_json_4xx(app_client, path, body, status):
    response = app_client.post(path, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["code"] in ("invalid_json", "invalid_request")


def test_page_and_static_files_have_right_types(app_client):
    page = app_client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["cache-control"] == "no-cache"
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert '<html lang="vi">' in page.text and 'name="viewport"' in page.text
    for name, kind in [("app.js", "text/javascript"), ("style.css", "text/css")]:
        response = app_client.get(f"/static/{name}")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(kind)
        assert response.content == (STATIC_DIR / name).read_bytes()
        assert f'static/{name}' in page.text  # the page loads them


@pytest.mark.parametrize("path", ["/static/../web.py", "/static/%2e%2e/web.py", "/static/%2e%2e%2fweb.py",
                                  "/static/..%2Fweb.py", "/static/nope.js", "/static/", "/static/.hidden",
                                  "/static/%2Fetc%2Fpasswd"])
def test_no_file_outside_static_is_served(app_client, path):
    response = app_client.get(path)
    assert response.status_code == 404
    assert "def web_router" not in response.text and "root:" not in response.text


def test_page_needs_nothing_from_the_internet():
    for path in STATIC_DIR.iterdir():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"https?:", text, re.I), f"{path.name} names an internet address"
        assert not re.search(r"""(?:src|href)\s*=\s*["']//|url\(\s*["']?//|@import""", text, re.I), path.name


def test_server_text_is_never_inserted_as_html():
    js = (STATIC_DIR / "app.js").read_text(encoding="utf-8")
    assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(", js)


def test_catalogue_card_citation_is_labelled_as_a_summary():
    # synthetic fixture: a citation of a catalogue card, as the answerer produces for catalogue entries
    card = Citation(n=1, document_id="catalogue-qd-1", number="1/QĐ-TTg", title="Quyết định mẫu", location="phần đầu",
                    page=None, source="knowledge/catalogue.yaml#qd-1", quote="Tóm tắt: …", score=1.0)
    assert citation_out(card).source == CATALOGUE_SOURCE
    assert citation_out(replace(card, source="/srv/ntm/docs/qd-1.pdf")).source == "qd-1.pdf"


def test_units_and_criteria_are_answered_on_the_web_chat_too(app_client):
    unit = chat(app_client, "phường Long Mỹ (Cần Thơ) hình thành từ những xã nào?", session="s-units").json()
    assert unit["answered"] and "xã Long Trị A" in unit["body"]
    assert unit["citations"][0]["source"] == "vietnamadminunits==1.0.4"
    group = chat(app_client, "xa nhom 3 la xa nao vay", session="s-units").json()
    assert group["answered"] and "khu vực II và khu vực III" in group["body"]
