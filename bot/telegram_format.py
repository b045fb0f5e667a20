"""The Telegram channel's plain helpers: HTML parts, keyboards, callback data, retried calls, token redaction."""

from __future__ import annotations

import asyncio
import html
import logging
import re
import warnings
from datetime import timedelta
from typing import Awaitable, Callable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot import render
from bot.render import SOURCE_HEADINGS, answer_sections, source_name, split_message
from knowledge.text import nfc
from retrieval.evidence import Citation

log = logging.getLogger(__name__)

# Telegram allows 4,096 characters per message; the margin keeps us clear of counting differences.
LIMIT = 4000
NOT_FOUND = "ℹ️ Không tìm thấy trong tài liệu"
NOTE = "Lưu ý:"
USEFUL, WRONG = "👍 Hữu ích", "👎 Chưa đúng"
QUOTE_MAX = 3000  # a passage longer than this is shortened so the message stays one part
_BUTTONS_PER_ROW = 5
_TAG = re.compile(r"<[^>]+>")


def esc(text: str) -> str:
    """Escape text for parse_mode=HTML (quotes may stay: we never write attributes)."""
    return html.escape(text, quote=False)


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units: an emoji outside the BMP counts twice)."""
    return len(text.encode("utf-16-le")) // 2


def to_html(text: str) -> str:
    """Escape a plain message line by line, bolding our own headings (never cuts a tag: tags stay in one line)."""
    out = []
    for line in text.split("\n"):
        if line in SOURCE_HEADINGS:
            out.append(f"<b>{esc(line)}</b>")
        elif line == NOT_FOUND:
            icon, _, words = line.partition(" ")
            out.append(f"{icon} <b>{esc(words)}</b>")
        elif line.startswith(NOTE):
            out.append(f"<b>{esc(NOTE)}</b>{esc(line[len(NOTE):])}")
        else:
            out.append(esc(line))
    return "\n".join(out)


def html_parts(text: str, limit: int = LIMIT) -> list[str]:
    """Split plain text on paragraph boundaries so each part's HTML fits `limit`, then render each part."""
    parts = split_message(text, limit, measure=lambda s: utf16_len(to_html(s)))
    return [to_html(p) for p in parts]


def plain_text(reply, preface: Sequence[str] = ()) -> str:
    """The plain message for a Reply: optional preface lines, the not-found mark, the body and the sources."""
    blocks = ["\n".join(preface)] if preface else []
    if reply.status == "not_found":
        blocks.append(NOT_FOUND)
    if reply.is_answer:
        body, sources = answer_sections(reply.text)
        blocks += [body, sources] if sources else [body]
    elif reply.text:
        blocks.append(reply.text)
    return "\n\n".join(b for b in blocks if b)


def reply_parts(reply, preface: Sequence[str] = (), limit: int = LIMIT) -> list[str]:
    """The HTML parts to send for a Reply, each within Telegram's limit."""
    return html_parts(plain_text(reply, preface), limit)


def keyboard(reply) -> InlineKeyboardMarkup | None:
    """Buttons under an answer: one per citation, then 👍 / 👎 (callback data carries only short ids)."""
    if not reply.is_answer or not reply.exchange_id:
        return None
    eid = reply.exchange_id
    cites = [InlineKeyboardButton(f"📄 [{c.n}]", callback_data=f"c|{eid}|{c.n}") for c in reply.citations]
    rows = [cites[i:i + _BUTTONS_PER_ROW] for i in range(0, len(cites), _BUTTONS_PER_ROW)]
    rows.append([InlineKeyboardButton(USEFUL, callback_data=f"f|{eid}|1"),
                 InlineKeyboardButton(WRONG, callback_data=f"f|{eid}|-1")])
    return InlineKeyboardMarkup(rows)


def parse_callback(data: str | None) -> tuple[str, str, int] | None:
    """('c', exchange_id, n) for a citation button, ('f', exchange_id, ±1) for feedback, None otherwise."""
    parts = (data or "").split("|")
    if len(parts) != 3 or parts[0] not in ("c", "f") or not parts[1].isalnum():
        return None
    try:
        value = int(parts[2])
    except ValueError:
        return None
    if (parts[0] == "f" and value not in (1, -1)) or (parts[0] == "c" and value < 1):
        return None
    return parts[0], parts[1], value


def card_html(rows: Sequence[tuple[str, str]]) -> str:
    """A document card as `<b>label:</b> value` lines."""
    return "\n".join(f"<b>{esc(label)}:</b> {esc(value)}" for label, value in rows)


def citation_html(c: Citation) -> str:
    """One cited passage: heading, location and page in italics, the quote, then the source file."""
    head = " — ".join(x for x in (c.number, c.title) if x)
    where = ", ".join(x for x in (c.location, f"trang {c.page}" if c.page else "") if x)
    quote = c.quote if len(c.quote) <= QUOTE_MAX else c.quote[:QUOTE_MAX].rstrip() + " …"
    lines = [f"<b>[{c.n}] {esc(head)}</b>"]
    lines += [f"<i>{esc(where)}</i>"] if where else []
    lines.append(f"<blockquote>{esc(quote)}</blockquote>")
    lines += [f"Nguồn: {esc(source_name(c.source))}"] if c.source else []
    return "\n".join(lines)



def strip_html(text: str) -> str:
    """The plain-text fallback of one of our HTML messages (sent if Telegram rejects the markup)."""
    return html.unescape(_TAG.sub("", text))


_SECRETS: set[str] = set()
_REDACTING = False


def hide_in_logs(secret: str) -> None:
    """Replace `secret` by <redacted> in every log record from now on (httpx logs URLs, which hold the token)."""
    global _REDACTING
    _SECRETS.add(secret)
    if _REDACTING:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _redact(record)
        return record

    # A record factory sees every record of every logger before any handler (pytest's caplog included).
    logging.setLogRecordFactory(factory)
    _REDACTING = True


def _hide(text: str) -> str:
    for secret in _SECRETS:
        text = text.replace(secret, "<redacted>")
    return text


def _redact(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a malformed record is the logging module's problem to report, not ours
        return
    hidden = _hide(message)
    if hidden != message:
        record.msg, record.args = hidden, None
    if record.exc_info and record.exc_info[1] is not None:
        text = logging.Formatter().formatException(record.exc_info)
        if _hide(text) != text:
            record.exc_text = _hide(text)  # formatters reuse exc_text instead of formatting exc_info again


def _seconds(err: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that retry_after will become a timedelta
        warnings.simplefilter("ignore")
        value = err.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def call_with_retries(what: str, make: Callable[[], Awaitable], attempts: int, backoff: float,
                            retry_after_cap: float, fallback: Callable[[], Awaitable] | None = None):
    """One Bot API call, retried on flood control and network errors; logs and returns None instead of raising."""
    reason = ""
    for attempt in range(1, attempts + 1):
        try:
            return await make()
        except RetryAfter as err:
            wait, reason = min(_seconds(err), retry_after_cap), str(err)
        except BadRequest as err:
            if fallback is not None and "can't parse entities" in err.message.lower():
                log.warning("Telegram rejected the HTML of a %s (%s); sending it as plain text", what, err)
                make, fallback = fallback, None
                continue
            log.warning("Telegram refused %s: %s", what, err)
            return None
        except Forbidden as err:
            log.info("Telegram refused %s (the user may have blocked the bot): %s", what, err)
            return None
        except NetworkError as err:  # timeouts, connection errors and 5xx answers
            wait, reason = backoff * 2 ** (attempt - 1), str(err)
        except TelegramError as err:
            log.warning("Telegram refused %s: %s", what, err)
            return None
        if attempt < attempts:
            await asyncio.sleep(wait)
    log.warning("Giving up on Telegram %s after %d attempt(s): %s", what, attempts, reason)
    return None


MAX_ECHO_CHARS = 80  # a document number is far shorter; a longer argument is cut, not sent whole


def card_reply(assistant, query: str):
    """/vanban: the document card as HTML, a not-found message, or the assistant's Reply when it is not ready."""
    card = assistant.document_card(query)
    if card is None:
        shown = nfc(query) if len(query) <= MAX_ECHO_CHARS else nfc(query[:MAX_ECHO_CHARS]) + "…"
        return esc(render.VANBAN_UNKNOWN.format(query=shown))
    return card if not isinstance(card, list) else card_html(card)


def unit_reply(assistant, query: str):
    """/donvi: what became of the unit (escaped text), or the assistant's Reply when it is not ready."""
    found = assistant.unit(query)
    return esc(found) if isinstance(found, str) else found
