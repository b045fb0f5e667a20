"""What every chat channel does with a message: rate-limit, ask the service, log, and say what happened."""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, replace
from datetime import date
from typing import Callable

from bot.conversations import ConversationLog
from bot.render import card_lines, criterion_lines
from knowledge.catalogue import find_entry
from knowledge.unit_lookup import lookup
from knowledge.text import nfc
from retrieval.evidence import Citation
from retrieval.gate import Overloaded
from retrieval.question import BadQuestion
from retrieval.service import NotReady
from retrieval.unit_text import unit_report

log = logging.getLogger(__name__)

LOADING = "Hệ thống đang khởi động (nạp mô hình và văn bản), vui lòng thử lại sau ít phút."
EMPTY_INDEX = "Chưa có văn bản nào được nạp vào hệ thống, nên chưa thể trả lời. Vui lòng báo quản trị viên."
NON_TEXT = "Xin lỗi, trợ lý chỉ hỗ trợ câu hỏi dạng văn bản. Vui lòng gõ câu hỏi bằng chữ."
FAILED = "Xin lỗi, đã có lỗi khi trả lời câu hỏi này. Vui lòng thử lại sau ít phút."
RATE_LIMITED = ("Bạn đang gửi nhiều câu hỏi liên tiếp. Vui lòng đợi khoảng {seconds} giây rồi hỏi tiếp; "
                "các tin nhắn gửi trong lúc chờ sẽ không được trả lời.")
THANKS = {1: "Cảm ơn bạn đã đánh giá câu trả lời là hữu ích.",
          -1: "Cảm ơn bạn đã báo câu trả lời chưa đúng; ý kiến đã được ghi lại để cải thiện."}


@dataclass(frozen=True)
class Reply:
    """What a channel sends back: Vietnamese text, the citations, and the id feedback refers to.

    status: answered | not_found | bad_question | rate_limited | loading | empty_index | overloaded | error.
    `silent` replies (the rest of a burst after the polite message) are logged but not sent.
    """

    status: str
    text: str
    citations: tuple[Citation, ...] = ()
    exchange_id: str | None = None
    code: str | None = None
    silent: bool = False
    latency_ms: float | None = None

    @property
    def is_answer(self) -> bool:
        """True when the text comes from the documents (an answer or an honest 'not found')."""
        return self.status in ("answered", "not_found")


class RateLimiter:
    """At most `per_minute` messages per key in any 60 s; the first refusal in a window is the one announced."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._warned: dict[str, float] = {}
        self._lock = threading.Lock()

    def check(self, key: str) -> tuple[bool, bool, int]:
        """(allowed, announce, seconds to wait) for one more message from `key`."""
        now = self._clock()
        with self._lock:
            hits = self._hits[key]
            while hits and now - hits[0] >= 60:
                hits.popleft()
            if len(hits) < self.per_minute:
                hits.append(now)
                return True, False, 0
            wait = max(1, int(60 - (now - hits[0]) + 0.999))
            announce = self._warned.get(key, -1e9) < hits[0]  # once per full window
            if announce:
                self._warned[key] = now
            return False, announce, wait


class ChatAssistant:
    """The channel-independent conversation service (Telegram, Zalo and the web page all call this)."""

    def __init__(self, services: Callable[[], object | None], conversations: ConversationLog,
                 limiter: RateLimiter, failed: Callable[[], str | None] = lambda: None,
                 origin_limiter: RateLimiter | None = None) -> None:
        self._services = services
        self.conversations = conversations
        self.limiter = limiter  # per user (a chat, or a web session)
        self.origin_limiter = origin_limiter  # per client address, over all the sessions it opens
        self._failed = failed

    def _unavailable(self) -> Reply | None:
        if self._services() is not None:
            return None
        return Reply("error", FAILED, code="startup_failed") if self._failed() else Reply("loading", LOADING,
                                                                                          code="loading")

    def ask(self, channel: str, user_id: str, text: str | None, origin: str | None = None) -> Reply:
        """Answer one message and log it (blocking: channels run it in a worker thread).

        `origin` is what the client cannot choose (the web page's client address): it is limited first, so a
        client that opens a new session per question is still held to the origin's limit."""
        question = nfc(text or "")
        allowed, announce, wait = self._admit(channel, user_id, origin)
        if not allowed:
            reply = Reply("rate_limited", RATE_LIMITED.format(seconds=wait), code="rate_limited", silent=not announce)
        else:
            reply = self._unavailable() or self._answer(question)
        return self._log(channel, user_id, question, reply)

    def _admit(self, channel: str, user_id: str, origin: str | None) -> tuple[bool, bool, int]:
        # The session first: a question its own limit refuses must not use up the address's shared budget.
        allowed, announce, wait = self.limiter.check(f"{channel}:{user_id}")
        if allowed and origin is not None and self.origin_limiter is not None:
            return self.origin_limiter.check(f"{channel}@{origin}")
        return allowed, announce, wait

    def _answer(self, question: str) -> Reply:
        started = time.perf_counter()
        try:
            result = self._services().asker.ask(question)
        except BadQuestion as err:
            return Reply("bad_question", err.message, code=err.code)
        except NotReady:
            return Reply("empty_index", EMPTY_INDEX, code="empty_index")
        except Overloaded as err:  # too many questions waiting: "try again in a few seconds", not an error
            return Reply("overloaded", err.message, code="overloaded")
        except Exception:  # a channel must answer something; the trace goes to the operator's log
            log.exception("answering failed")
            return Reply("error", FAILED, code="error")
        answer = result.answer
        return Reply("answered" if answer.answered else "not_found", answer.text, answer.citations,
                     latency_ms=(time.perf_counter() - started) * 1000)

    def _log(self, channel: str, user_id: str, question: str, reply: Reply) -> Reply:
        try:
            exchange_id = self.conversations.record(channel, user_id, question, reply.text, reply.status,
                                                    reply.citations, reply.latency_ms)
        except Exception:  # the officer still gets the answer; only feedback on it becomes impossible
            log.exception("could not log the exchange")
            return reply
        return replace(reply, exchange_id=exchange_id)

    def may_rate(self, channel: str, origin: str) -> bool:
        """False when `origin` (a client address) has voted more than its limit this minute, over all sessions."""
        return self.origin_limiter is None or self.origin_limiter.check(f"{channel}-votes@{origin}")[0]

    def rate(self, exchange_id: str, channel: str, user_id: str, rating: int, comment: str | None = None) -> bool:
        """Store a 👍/👎 on an exchange; False when the exchange is unknown."""
        return self.conversations.rate(exchange_id, channel, user_id, rating, comment)

    def citation(self, exchange_id: str, n: int) -> Citation | None:
        """Citation [n] of a logged exchange."""
        return self.conversations.citation(exchange_id, n)

    def document_card(self, query: str, today: date | None = None) -> list[tuple[str, str]] | None | Reply:
        """The catalogue card of a document number as typed ("cv 267"), None if unknown, a Reply if not ready."""
        if (busy := self._unavailable()) is not None:
            return busy
        entries = self._services().catalogue
        entry = find_entry(entries, nfc(query))
        return card_lines(entry, entries, today or date.today()) if entry else None

    def unit(self, query: str) -> "str | Reply":
        """What became of an administrative unit in 2025 (or why the name cannot be resolved), with the source."""
        if (busy := self._unavailable()) is not None:
            return busy
        units = self._services().units.load()
        return unit_report(units, lookup(units, nfc(query)))

    def criterion(self, n: int, channel: str, user_id: str, today: date | None = None) -> tuple[list[str], Reply]:
        """Criterion n's name in each national set, and what the documents say about it in the set in force."""
        if (busy := self._unavailable()) is not None:
            return [], busy
        lines, question = criterion_lines(self._services().catalogue, n, today or date.today())
        if question is None:
            return lines, Reply("bad_question", "", code="unknown_criterion")
        return lines, self.ask(channel, user_id, question)
