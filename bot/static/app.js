// The web chat page. Server text is only ever inserted with textContent / DOM APIs, never as HTML.
"use strict";

const MAX_CHARS = 2000; // the answerer's limit (retrieval.question.MAX_QUERY_CHARS); the server explains it too
const TIMEOUT_MS = 120000;
const ERROR_LABELS = {
  bad_question: "Câu hỏi chưa hợp lệ",
  rate_limited: "Vui lòng chờ một chút",
  loading: "Hệ thống đang khởi động",
  empty_index: "Chưa có văn bản",
  error: "Đã có lỗi",
  network: "Không kết nối được",
};
const NETWORK_ERROR = "Không kết nối được với máy chủ. Vui lòng kiểm tra mạng và thử lại.";
const BAD_RESPONSE = "Máy chủ trả lời không đúng định dạng. Vui lòng thử lại sau ít phút.";
const FEEDBACK_FAILED = "Chưa ghi nhận được đánh giá, vui lòng thử lại.";

const form = document.getElementById("ask");
const input = document.getElementById("question");
const sendButton = document.getElementById("send");
const log = document.getElementById("log");
const counter = document.getElementById("counter");
let answerCount = 0;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function sessionId() {
  // crypto.randomUUID needs a secure context; getRandomValues also works over plain http on a LAN address.
  const fresh = () => Array.from(crypto.getRandomValues(new Uint8Array(16)),
    (b) => b.toString(16).padStart(2, "0")).join("");
  try {
    let id = localStorage.getItem("ntm-session");
    if (!id) {
      id = fresh();
      localStorage.setItem("ntm-session", id);
    }
    return id;
  } catch (e) { // storage disabled (private mode): one id for this page view
    return (window.ntmSession = window.ntmSession || fresh());
  }
}

async function postJSON(url, body) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
      signal: controller.signal,
    });
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    return { ok: response.ok, status: response.status, data };
  } catch (e) {
    return { ok: false, status: 0, data: null };
  } finally {
    clearTimeout(timer);
  }
}

// Body text with "[n]" markers turned into links to citation n of the same answer.
function paragraphs(text, prefix) {
  const out = document.createDocumentFragment();
  for (const para of String(text).split(/\n{2,}/)) {
    if (!para.trim()) continue;
    const p = el("p", para.startsWith("Lưu ý:") ? "note" : "");
    let last = 0;
    for (const m of para.matchAll(/\[(\d{1,2})\]/g)) {
      p.append(para.slice(last, m.index));
      const a = el("a", "ref", m[0]);
      a.href = `#${prefix}-${m[1]}`;
      a.addEventListener("click", () => {
        const target = document.getElementById(`${prefix}-${m[1]}`);
        if (target) target.open = true;
      });
      p.append(a);
      last = m.index + m[0].length;
    }
    p.append(para.slice(last));
    out.append(p);
  }
  return out;
}

function fileLabel(c) {
  return c.number ? `${c.number} — ${c.title}` : c.title;
}

function citationItem(c, prefix) {
  const item = el("li", "citation");
  const details = el("details");
  details.id = `${prefix}-${c.n}`;
  const summary = el("summary");
  summary.append(el("span", "cit-n", `[${c.n}]`), el("span", "cit-title", fileLabel(c)));
  details.append(summary);
  const body = el("div", "cit-body");
  body.append(el("blockquote", "quote", c.quote));
  const facts = el("dl", "facts");
  const where = c.page ? `${c.location} (trang ${c.page})` : c.location;
  for (const [label, value] of [["Vị trí", where], ["Văn bản", fileLabel(c)], ["Nguồn", c.source]]) {
    if (!value) continue;
    facts.append(el("dt", "", label), el("dd", "", value));
  }
  body.append(facts);
  details.append(body);
  item.append(details);
  return item;
}

function feedbackBar(exchangeId) {
  const bar = el("div", "feedback");
  bar.setAttribute("role", "group");
  bar.setAttribute("aria-label", "Đánh giá câu trả lời");
  const state = el("span", "feedback-state");
  state.setAttribute("aria-live", "polite");
  const up = el("button", "vote up", "👍 Hữu ích");
  const down = el("button", "vote down", "👎 Chưa đúng");
  const comment = el("div", "comment");
  comment.hidden = true;
  const commentId = `comment-${exchangeId}`;
  const label = el("label", "", "Câu trả lời sai ở đâu? (không bắt buộc)");
  label.htmlFor = commentId;
  const box = el("textarea");
  box.id = commentId;
  box.rows = 2;
  box.maxLength = 1000;
  const sendComment = el("button", "small", "Gửi góp ý");
  comment.append(label, box, sendComment);

  async function vote(rating, note) {
    for (const b of [up, down, sendComment]) b.disabled = true;
    const res = await postJSON("api/feedback", { exchange_id: exchangeId, rating, comment: note || null,
                                                 session: sessionId() });
    for (const b of [up, down, sendComment]) b.disabled = false;
    if (!res.ok) {
      state.textContent = (res.data && res.data.detail) || FEEDBACK_FAILED;
      state.className = "feedback-state failed";
      return;
    }
    up.setAttribute("aria-pressed", String(rating === 1));
    down.setAttribute("aria-pressed", String(rating === -1));
    state.textContent = note ? "Đã ghi nhận góp ý" : "Đã ghi nhận";
    state.className = "feedback-state done";
    comment.hidden = rating !== -1 || Boolean(note);
  }
  for (const b of [up, down, sendComment]) b.type = "button";
  up.setAttribute("aria-pressed", "false");
  down.setAttribute("aria-pressed", "false");
  up.addEventListener("click", () => vote(1));
  down.addEventListener("click", () => vote(-1));
  sendComment.addEventListener("click", () => vote(-1, box.value.trim()));
  bar.append(up, down, state);
  const wrap = el("div", "feedback-wrap");
  wrap.append(bar, comment);
  return wrap;
}

function answerBubble(data) {
  answerCount += 1;
  const prefix = `a${answerCount}-cit`;
  const found = data.answered === true;
  const bubble = el("li", `msg bot ${found ? "answered" : "not-found"}`);
  const content = el("div", found ? "body" : "body notice");
  if (!found) content.append(el("strong", "notice-label", "Không tìm thấy trong tài liệu"));
  content.append(paragraphs(data.body || data.answer || "", prefix));
  bubble.append(content);
  const cits = Array.isArray(data.citations) ? data.citations : [];
  if (cits.length) {
    const section = el("section", "sources");
    section.append(el("h2", "", data.sources_heading || "Căn cứ"));
    const list = el("ol", "citations");
    for (const c of cits) list.append(citationItem(c, prefix));
    section.append(list);
    bubble.append(section);
  }
  if (data.exchange_id) bubble.append(feedbackBar(data.exchange_id));
  return bubble;
}

function errorBubble(kind, text) {
  const bubble = el("li", `msg bot error ${kind}`);
  bubble.setAttribute("role", "alert");
  bubble.append(el("strong", "error-label", ERROR_LABELS[kind] || ERROR_LABELS.error), el("p", "", text));
  return bubble;
}

function setBusy(busy) {
  input.disabled = busy;
  sendButton.disabled = busy;
  form.setAttribute("aria-busy", String(busy));
}

function updateCounter() {
  const n = input.value.length;
  counter.textContent = n > MAX_CHARS * 0.8 ? `${n}/${MAX_CHARS} ký tự` : "";
  counter.classList.toggle("over", n > MAX_CHARS);
}

async function ask(question) {
  document.getElementById("intro").hidden = true;
  log.append(el("li", "msg user", question));
  const waiting = el("li", "msg bot waiting");
  waiting.setAttribute("role", "status");
  waiting.append(el("span", "spinner"), el("span", "", "Đang tìm trong văn bản…"));
  log.append(waiting);
  waiting.scrollIntoView({ block: "nearest" });
  setBusy(true);
  input.value = "";
  updateCounter();
  const res = await postJSON("api/chat", { question, session: sessionId() });
  waiting.remove();
  setBusy(false);
  let bubble;
  if (res.ok && res.data && typeof res.data.answered === "boolean") {
    bubble = answerBubble(res.data);
  } else {
    if (!input.value) input.value = question; // let the officer fix the question rather than retype it
    updateCounter();
    if (res.status === 0) bubble = errorBubble("network", NETWORK_ERROR);
    else if (res.data && res.data.detail) bubble = errorBubble(res.data.status || "error", res.data.detail);
    else bubble = errorBubble("error", BAD_RESPONSE);
  }
  log.append(bubble);
  bubble.scrollIntoView({ block: "start", behavior: "smooth" });
  input.focus();
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const question = input.value.trim();
  if (!question || sendButton.disabled) return;
  ask(question);
});

input.addEventListener("keydown", (event) => {
  // isComposing: Vietnamese input methods (Telex/VNI) use Enter to confirm a word, not to send
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    form.requestSubmit();
  }
});
input.addEventListener("input", updateCounter);
for (const example of document.querySelectorAll(".example")) {
  example.addEventListener("click", () => { // fill, not send: the officer may want to adapt it first
    input.value = example.textContent.replace(/\s+/g, " ").trim();
    updateCounter();
    input.focus();
  });
}
