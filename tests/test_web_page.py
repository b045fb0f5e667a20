"""The web chat page in headless Chromium (Debian's, driven by Playwright) against the real app over HTTP:
ask, read the answer, open a citation, rate it, see 'not found' and errors, survive HTML in text, fit a phone.
Screenshots for people to look at go to test-artifacts/."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from ntm.app import create_app

from bot_support import PLAN_QUESTION, bot_settings, build_index

pytestmark = pytest.mark.synthetic

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
TIMEOUT = 15_000
# synthetic fixture: nothing in the two made-up documents or the catalogue is about air fares (the API test
# checks that this is refused).
NOT_IN_DOCUMENTS = "Giá vé máy bay đi Paris tháng sau là bao nhiêu?"
XSS_QUESTION = "Huyện Đại Phong <img src=x onerror=alert(1)> phấn đấu có thêm bao nhiêu xã đạt chuẩn?"
# synthetic fixture: an answer whose text and citation carry markup, as a hostile document could.
HOSTILE_ANSWER = {"status": "answered", "answered": True, "answer": "", "exchange_id": None,
                  "body": ("Theo <b>văn bản</b> <script>alert(2)</script>: “<img src=y onerror=alert(3)>” [1] "
                           "<b>hết</b>"),
                  "sources_heading": "Căn cứ",
                  "citations": [{"n": 1, "number": "<i>9/KH</i>", "title": "<svg onload=alert(4)>",
                                 "location": "<u>Điều 1</u>", "page": 2, "source": "a<b>.txt",
                                 "quote": "<img src=z onerror=alert(5)>"}]}

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
if not CHROMIUM.exists():
    pytest.skip("Debian's chromium (/usr/bin/chromium) is not installed", allow_module_level=True)
expect = sync_api.expect


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The real app (create_app) on the synthetic index, served by uvicorn on a free local port."""
    import uvicorn

    tmp = tmp_path_factory.mktemp("web-page")
    settings = bot_settings(tmp)
    services = build_index(tmp, settings)
    app = create_app(settings, lambda: services, wait=True)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/", app.state.channels.assistant.conversations
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


class Watched:
    """A page whose requests off this machine are aborted and recorded, and whose dialogs are recorded."""

    def __init__(self, browser, base: str, **context) -> None:
        self.context = browser.new_context(**context)
        self.page = self.context.new_page()
        self.external: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(base)

    def _route(self, route) -> None:
        host = urlsplit(route.request.url).hostname
        if route.request.url.startswith("data:") or host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            self.external.append(route.request.url)
            route.abort()

    def ask(self, question: str, with_enter: bool = False):
        """Type a question, send it, and return the reply bubble that appears."""
        replies = self.page.locator("#log > li.msg.bot:not(.waiting)")
        before = replies.count()
        self.page.fill("#question", question)
        if with_enter:
            self.page.press("#question", "Enter")
        else:
            self.page.get_by_role("button", name="Hỏi", exact=True).click()
        expect(replies).to_have_count(before + 1, timeout=TIMEOUT)
        return replies.nth(before)

    def screenshot(self, name: str) -> Path:
        """The whole page as it looks scrolled through, saved under test-artifacts/."""
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / name
        # A viewport as tall as the page: a full_page capture would paint the sticky question box mid-page.
        size = self.page.viewport_size
        self.page.set_viewport_size({"width": size["width"],
                                     "height": self.page.evaluate("document.documentElement.scrollHeight")})
        self.page.wait_for_timeout(300)
        self.page.screenshot(path=str(path), full_page=True)
        self.page.set_viewport_size(size)
        return path

    def close(self) -> None:
        self.context.close()


def record_waiting(page) -> None:
    """Note what the page looks like each time the 'searching' indicator appears."""
    page.evaluate("""() => {
      window.__waits = [];
      new MutationObserver(() => {
        const w = document.querySelector('#log .waiting');
        if (w && !w.dataset.seen) {
          w.dataset.seen = '1';
          window.__waits.push({text: w.textContent, button: document.getElementById('send').disabled,
                               box: document.getElementById('question').disabled});
        }
      }).observe(document.getElementById('log'), {childList: true});
    }""")


def test_desktop_conversation(served, browser):
    base, conversations = served
    w = Watched(browser, base, viewport={"width": 1280, "height": 900})
    page = w.page
    expect(page.locator("h1")).to_contain_text("Trợ lý tra cứu văn bản")
    assert page.evaluate("document.documentElement.lang") == "vi"
    expect(page.get_by_label("Câu hỏi của bạn")).to_be_visible()
    page.get_by_role("button", name="Tỷ lệ hộ dân nông thôn").click()  # an example fills the box, unsent
    assert page.input_value("#question") == "Tỷ lệ hộ dân nông thôn sử dụng nước sạch phải đạt bao nhiêu?"
    expect(page.locator("#log > li")).to_have_count(0)
    record_waiting(page)

    answer = w.ask(PLAN_QUESTION)
    assert page.evaluate("window.__waits") == [{"text": "Đang tìm trong văn bản…", "button": True, "box": True}]
    expect(page.locator("#send")).to_be_enabled()
    expect(page.locator("#question")).to_be_focused()  # ready for the next question
    expect(answer.locator(".body")).to_contain_text("7 xã")
    expect(answer.locator(".sources h2")).to_have_text("Căn cứ")
    citation = answer.locator(".citation").first
    expect(citation.locator("summary")).to_contain_text("[1]")
    expect(citation.locator("summary")).to_contain_text("57/KH-UBND")
    quote = citation.locator(".quote")
    expect(quote).to_be_hidden()
    citation.locator("summary").click()
    expect(quote).to_be_visible()
    expect(quote).to_contain_text("thêm 7 xã đạt chuẩn")
    expect(citation.locator(".facts")).to_contain_text("Vị trí")
    expect(citation.locator(".facts")).to_contain_text("I. MỤC TIÊU")
    expect(citation.locator(".facts")).to_contain_text("ke-hoach-dai-phong.txt")

    answer.get_by_role("button", name="👎 Chưa đúng").click()
    expect(answer.locator(".feedback-state")).to_have_text("Đã ghi nhận")
    expect(answer.get_by_role("button", name="👎 Chưa đúng")).to_have_attribute("aria-pressed", "true")
    answer.get_by_label("Câu trả lời sai ở đâu?").fill("Thiếu thời hạn hoàn thành")
    answer.get_by_role("button", name="Gửi góp ý").click()
    expect(answer.locator(".feedback-state")).to_have_text("Đã ghi nhận góp ý")
    rated = [r for r in conversations.rows(rated_only=True) if r["question"] == PLAN_QUESTION]
    assert [(r["channel"], r["rating"], r["comment"]) for r in rated] == [("web", -1, "Thiếu thời hạn hoàn thành")]

    refusal = w.ask(NOT_IN_DOCUMENTS, with_enter=True)  # Enter sends
    notice = refusal.locator(".notice")
    expect(notice).to_be_visible()
    expect(notice.locator(".notice-label")).to_have_text("Không tìm thấy trong tài liệu")
    expect(notice).to_contain_text("Tài liệu hiện có chưa nêu")
    expect(refusal.locator(".sources h2")).to_have_text("Tài liệu gần nhất")
    summary = refusal.locator(".citation summary").first
    summary.focus()
    page.keyboard.press("Enter")  # citations open from the keyboard too
    expect(refusal.locator(".citation .quote").first).to_be_visible()
    shot = w.screenshot("web-chat-desktop.png")
    assert shot.stat().st_size > 20_000

    page.fill("#question", "dòng một")
    page.press("#question", "Shift+Enter")
    page.keyboard.type("dòng hai")
    assert page.input_value("#question") == "dòng một\ndòng hai"  # Shift+Enter is a new line, not a send
    expect(page.locator("#log > li.msg.user")).to_have_count(2)

    too_long = w.ask("Câu hỏi dài " + "x" * 2500)
    expect(too_long).to_have_class("msg bot error bad_question")
    expect(too_long).to_contain_text("quá dài")
    assert page.input_value("#question").startswith("Câu hỏi dài")  # kept, to shorten rather than retype

    w.ask(XSS_QUESTION)
    expect(page.locator("#log > li.msg.user").last).to_have_text(XSS_QUESTION)
    page.route("**/api/chat", lambda route: route.fulfill(status=200, content_type="application/json",
                                                          body=json.dumps(HOSTILE_ANSWER)), times=1)
    hostile = w.ask("Văn bản nào có đoạn này?")
    expect(hostile.locator(".body")).to_contain_text("<script>alert(2)</script>")
    hostile.locator("summary").click()
    expect(hostile.locator(".quote")).to_have_text("<img src=z onerror=alert(5)>")
    expect(hostile.locator("summary")).to_contain_text("<svg onload=alert(4)>")
    assert page.evaluate("document.querySelectorAll('#log img, #log script, #log svg, #log b, #log i').length") == 0
    page.wait_for_timeout(300)
    assert w.dialogs == [] and w.errors == []
    assert w.external == []
    w.close()


def test_phone_screen(served, browser):
    base, _ = served
    w = Watched(browser, base, viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                has_touch=True)
    page = w.page
    answer = w.ask(PLAN_QUESTION)
    answer.locator(".citation summary").first.tap()
    expect(answer.locator(".quote").first).to_be_visible()
    refusal = w.ask(NOT_IN_DOCUMENTS)
    expect(refusal.locator(".notice")).to_be_visible()
    shot = w.screenshot("web-chat-phone.png")
    assert shot.stat().st_size > 20_000
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    w.ask("Câu hỏi dài " + "x" * 2500)  # one unbroken word must not widen the page either
    page.fill("#question", "")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    small = page.evaluate("""() => [...document.querySelectorAll('button, summary, textarea')]
        .filter(e => e.offsetParent !== null)
        .map(e => [e.textContent.trim().slice(0, 20) || e.id, e.getBoundingClientRect().height])
        .filter(([, h]) => h < 40)""")
    assert small == [], f"tap targets under 40 px: {small}"
    assert w.external == [] and w.dialogs == [] and w.errors == []
    w.close()
