"""The web chat page and its JSON routes, through the real app: answers with citations, the visible
'not in the documents' state, feedback, every bad input, and the page itself driven in headless Chromium."""

from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot_support import PLAN_QUESTION, bot_settings, build_index
from fake_telegram import serve
from ntm.app import create_app

pytestmark = pytest.mark.synthetic

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
# A question the two synthetic documents do not answer (checked through the API below).
NOT_IN_DOCS = "Mức lương tối thiểu của giáo viên mầm non ở Đại Phong năm 2031 là bao nhiêu?"
XSS = "Câu hỏi có <img src=x onerror=alert(1)> và <script>alert(2)</script> nông thôn mới?"


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("web")
    built = build_index(tmp, bot_settings(tmp, rate_limit_per_minute=50))
    yield built
    built.close()


@pytest.fixture(scope="module")
def client(services):
    with TestClient(create_app(services.settings, lambda: services, wait=True)) as test_client:
        yield test_client


def chat(client, question, session="s-1"):
    return client.post("/api/chat", json={"question": question, "session": session})


def test_answer_has_body_citations_and_feedback_id(client):
    data = chat(client, PLAN_QUESTION).json()
    assert data["status"] == "answered" and data["answered"] is True
    assert "7 xã" in data["body"] and "Căn cứ" not in data["body"]  # the list comes structured instead
    cit = data["citations"][0]
    assert cit["number"] == "57/KH-UBND" and "7 xã" in cit["quote"] and cit["location"]
    assert cit["source"] == "ke-hoach-dai-phong.txt"  # the file, not the server's folders
    assert re.fullmatch(r"[0-9a-f]{16}", data["exchange_id"])


def test_not_in_documents_is_a_distinct_state(client):
    data = chat(client, NOT_IN_DOCS).json()
    assert data["status"] == "not_found" and data["answered"] is False
    assert data["body"].startswith("Tài liệu hiện có chưa nêu")


def test_feedback_is_stored_and_replaced(client):
    exchange = chat(client, PLAN_QUESTION, "s-fb").json()["exchange_id"]
    for rating in (-1, 1):
        r = client.post("/api/feedback", json={"exchange_id": exchange, "rating": rating, "session": "s-fb"})
        assert r.status_code == 200 and r.json()["status"] == "recorded"
    r = client.post("/api/feedback", json={"exchange_id": exchange, "rating": -1, "comment": "Thiếu xã B",
                                           "session": "s-fb"})
    log = client.app.state.channels.assistant.conversations
    rows = [row for row in log.rows(rated_only=True) if row["exchange_id"] == exchange]
    assert [(row["rating"], row["comment"]) for row in rows] == [(-1, "Thiếu xã B")]
    assert client.post("/api/feedback", json={"exchange_id": "0" * 16, "rating": 1}).status_code == 404
    for bad in (0, 2, "1", True, None):
        r = client.post("/api/feedback", json={"exchange_id": exchange, "rating": bad})
        assert r.status_code == 422 and r.json()["detail"], bad


@pytest.mark.parametrize("question, code", [("", "empty"), ("   ", "empty"), ("x" * 5000, "too_long"),
                                            ("👍👍👍", "no_words")])
def test_bad_questions_get_a_vietnamese_reason(client, question, code):
    r = chat(client, question)
    assert r.status_code == 422 and r.json()["code"] == code and r.json()["status"] == "bad_question"
    assert re.search(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", r.json()["detail"])


def test_bodies_that_are_not_questions(client):
    assert client.post("/api/chat", content=b"{not json", headers={"Content-Type": "application/json"}
                       ).json()["code"] == "invalid_json"
    assert client.post("/api/chat", json={"question": 42}).status_code == 422
    assert client.post("/api/chat", json=["a"]).status_code == 422


def test_burst_loading_and_static_files(services, client, tmp_path):
    codes = [chat(client, PLAN_QUESTION, "s-burst").status_code for _ in range(52)]
    assert codes.count(200) == 50 and codes[-2:] == [429, 429]  # every refused click shows the reason
    release = threading.Event()

    def still_loading():  # the model and index are still loading while the page is used
        release.wait(30)
        raise RuntimeError("never loads in this test")  # (returning services would close them at shutdown)

    with TestClient(create_app(bot_settings(tmp_path), still_loading)) as c:
        r = c.post("/api/chat", json={"question": PLAN_QUESTION})
        release.set()
        assert r.status_code == 503 and "khởi động" in r.json()["detail"]
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert client.get("/static/app.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/static/style.css").headers["content-type"].startswith("text/css")
    for path in ("/static/../web.py", "/static/%2e%2e/web.py", "/static/nope.js", "/static/..%2fweb.py"):
        assert client.get(path).status_code == 404, path
    static = Path(__file__).resolve().parent.parent / "bot" / "static"
    for f in static.iterdir():  # nothing is fetched from a CDN: the page must work offline
        assert not re.search(r"https?://", f.read_text(encoding="utf-8")), f.name


def test_page_in_headless_chromium(services):
    """Ask, read the answer, open a citation, rate it, see the not-found box, stay safe and phone-sized."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    if not shutil.which(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (scripts/test.sh installs Debian's chromium when run as root)")
    app = create_app(services.settings, lambda: services, wait=True)
    server, thread, port = serve(app, "web-app", "on")
    base, outside, dialogs = f"http://127.0.0.1:{port}", [], []
    ARTIFACTS.mkdir(exist_ok=True)

    def only_local(route):
        if route.request.url.startswith(base):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=[
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"])
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.route("**/*", only_local)
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(base + "/")
            page.fill("#question", PLAN_QUESTION)
            page.click("#send")
            answer = page.locator("li.msg.bot.answered").last
            answer.wait_for(timeout=30_000)
            assert "7 xã" in answer.inner_text()
            quote = answer.locator("details blockquote").first
            assert not quote.is_visible()
            answer.locator("details summary").first.click()
            assert quote.is_visible() and "7 xã" in quote.inner_text()
            assert "I. MỤC TIÊU" in answer.locator("details dl").first.inner_text()

            answer.get_by_role("button", name=re.compile("Chưa đúng")).click()
            page.wait_for_function("document.querySelector('li.msg.bot.answered .feedback-state')"
                                   ".textContent.includes('Đã ghi nhận')")
            log = app.state.channels.assistant.conversations
            assert any(r["rating"] == -1 and r["channel"] == "web" for r in log.rows(rated_only=True))

            page.fill("#question", NOT_IN_DOCS)
            page.press("#question", "Enter")
            notice = page.locator("li.msg.bot.not-found").last
            notice.wait_for(timeout=30_000)
            assert "Không tìm thấy trong tài liệu" in notice.inner_text()
            page.screenshot(path=str(ARTIFACTS / "web-chat-desktop.png"), full_page=True)

            page.fill("#question", XSS)
            page.click("#send")
            page.locator("li.msg.user", has_text="onerror").wait_for()
            page.locator("li.msg.bot").nth(2).wait_for(timeout=30_000)
            assert page.locator("#log img").count() == 0 and page.locator("#log script").count() == 0
            assert dialogs == []

            page.set_viewport_size({"width": 390, "height": 844})
            page.wait_for_timeout(200)
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            box = page.locator("#send").bounding_box()
            assert box["height"] >= 40 and box["width"] >= 40  # a thumb can hit it
            page.screenshot(path=str(ARTIFACTS / "web-chat-phone.png"), full_page=True)
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert outside == []  # nothing but the app itself was requested

