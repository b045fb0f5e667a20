"""The Telegram channel (python-telegram-bot 22): webhook route, long polling, handlers and robust sending.

Edited text messages are answered again as new questions (an officer fixing a typo expects the corrected
question answered); other edits, such as live-location updates, are ignored.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ChatAction, ParseMode
from telegram.error import InvalidToken
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from bot import render
from bot.assistant import FAILED, NON_TEXT, THANKS, Reply
from bot.errors import error_response
from bot.telegram_format import (call_with_retries, card_reply, citation_html, esc, hide_in_logs, keyboard,
                                 parse_callback, reply_parts, strip_html, unit_reply)

log = logging.getLogger(__name__)

CHANNEL = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
CITATION_GONE = "Không còn tìm thấy trích dẫn này (câu trả lời đã cũ). Vui lòng hỏi lại."
FEEDBACK_GONE = "Không tìm thấy câu trả lời này trong nhật ký nên chưa ghi được đánh giá. Vui lòng hỏi lại."
FEEDBACK_FAILED = "Xin lỗi, hệ thống chưa ghi được đánh giá của bạn. Vui lòng thử lại sau ít phút."
UNKNOWN_BUTTON = "Nút này không còn dùng được. Vui lòng hỏi lại."
COMMANDS = (("start", "Giới thiệu trợ lý"), ("help", "Cách dùng"), ("vanban", "Thẻ văn bản theo số hiệu"),
            ("tieuchi", "Nội dung một tiêu chí theo số"), ("donvi", "Đơn vị hành chính trước và sau sắp xếp 2025"))
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def _file_url(base: str) -> str:
    return base[: -len("/bot")] + "/file/bot" if base.endswith("/bot") else base


@dataclass(frozen=True)
class TelegramConfig:
    """What the channel needs: the bot token, the webhook's secret and public address, the Bot API base."""

    token: str = field(default="", repr=False)
    webhook_secret: str = field(default="", repr=False)  # "" = the webhook route refuses every call
    webhook_url: str | None = None  # registered with setWebhook at start when set
    base_url: str = "https://api.telegram.org/bot"


def telegram_channel(config: TelegramConfig, assistant) -> TelegramChannel | None:
    """The Telegram channel, or None (with a log line) when no token is set. No network work here."""
    token = config.token.strip()
    if not token:
        log.info("Telegram channel off: NTM_TELEGRAM_TOKEN is not set")
        return None
    hide_in_logs(token)
    application = (Application.builder().token(token).base_url(config.base_url)
                   .base_file_url(_file_url(config.base_url)).concurrent_updates(8).build())
    return TelegramChannel(config, assistant, application)


class TelegramChannel:
    """One PTB Application wired to the ChatAssistant; the lead's app includes `router` and calls start/stop."""

    def __init__(self, config: TelegramConfig, assistant, application: Application) -> None:
        self.config = config
        self.assistant = assistant
        self.application = application
        self.poll_timeout = 10  # seconds Telegram holds a getUpdates call open
        self.retry_after_cap = 30.0
        self.backoff = 0.5  # first pause after a network error; doubles per attempt
        self.attempts = 3
        self.typing_every = 4.0  # Telegram shows "typing…" for about 5 s
        self.start_retry = 30.0
        self._polling = False
        self._starter: asyncio.Task | None = None
        self.router = APIRouter()
        self.router.add_api_route("/telegram/webhook", self._webhook, methods=["POST"], include_in_schema=False)
        self._add_handlers()

    # --- lifecycle -------------------------------------------------------------------------------------

    async def start(self, polling: bool = False) -> None:
        """Start answering; if Telegram is unreachable, log it and keep retrying in the background."""
        self._polling = polling
        if not await self._try_start():
            self._starter = asyncio.create_task(self._keep_trying())

    async def _keep_trying(self) -> None:
        while True:
            await asyncio.sleep(self.start_retry)
            if await self._try_start():
                return

    async def _try_start(self) -> bool:
        app = self.application
        try:
            await app.initialize()
            if not app.running:
                await app.start()
            if self._polling and not app.updater.running:
                await app.bot.delete_webhook()
                await app.updater.start_polling(timeout=self.poll_timeout, allowed_updates=Update.ALL_TYPES)
            elif not self._polling:
                await self._register_webhook()
        except InvalidToken as err:
            log.error("Telegram rejected the bot token (%s); the channel stays off, the HTTP app keeps serving", err)
            return True  # retrying cannot help until the operator fixes the token
        except Exception as err:
            log.warning("Telegram channel could not start (%s: %s); retrying every %.0f s, the HTTP app keeps "
                        "serving", type(err).__name__, err, self.start_retry)
            return False
        await self._call("setMyCommands", lambda: app.bot.set_my_commands([BotCommand(*c) for c in COMMANDS]), 1)
        log.info("Telegram channel started (%s)", "long polling" if self._polling else "webhook /telegram/webhook")
        return True

    async def _register_webhook(self) -> None:
        url, secret = self.config.webhook_url, self.config.webhook_secret
        if not url:
            log.info("NTM_TELEGRAM_WEBHOOK_URL is not set: not calling setWebhook (register it yourself)")
        elif not secret:
            log.warning("NTM_TELEGRAM_WEBHOOK_URL is set but NTM_TELEGRAM_WEBHOOK_SECRET is not: the route would "
                        "refuse Telegram's calls, so the webhook is not registered")
        else:
            await self.application.bot.set_webhook(url, secret_token=secret, allowed_updates=Update.ALL_TYPES)

    async def stop(self) -> None:
        """Stop polling and the application, and close its HTTP client; safe to call after a failed start."""
        if self._starter is not None:
            self._starter.cancel()
            await asyncio.gather(self._starter, return_exceptions=True)
            self._starter = None
        app = self.application
        steps = [("updater", app.updater.stop)] if app.updater is not None and app.updater.running else []
        steps += [("application", app.stop)] if app.running else []
        # app.shutdown skips the bot when initialize failed half-way; bot.shutdown still closes its HTTP client.
        for step, action in steps + [("shutdown", app.shutdown), ("HTTP client", app.bot.shutdown)]:
            try:
                await action()
            except Exception:
                log.exception("stopping the Telegram %s failed", step)

    # --- webhook ---------------------------------------------------------------------------------------

    async def _webhook(self, request: Request) -> JSONResponse:
        """Telegram's POST: check the secret header, hand the update to the application, answer at once."""
        expected = self.config.webhook_secret
        if not expected:
            return error_response(401, "bad_secret",
                                  "Telegram webhooks are off: NTM_TELEGRAM_WEBHOOK_SECRET is not set.")
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return error_response(401, "bad_secret", f"Missing or wrong {SECRET_HEADER} header.")
        try:
            data = json.loads(await request.body())
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("no update_id")
            update = Update.de_json(data, self.application.bot)
        except Exception:
            return error_response(400, "invalid_update",
                                  "The body is not a Telegram Update (a JSON object with update_id).")
        if not self.application.running:
            return error_response(503, "not_ready", "The Telegram channel is not running yet; Telegram will retry.")
        # Telegram re-sends an update it thinks was not delivered; answer it once.
        if await asyncio.to_thread(self.assistant.conversations.first_sight, CHANNEL, str(update.update_id)):
            await self.application.update_queue.put(update)
        return JSONResponse({"ok": True})

    # --- handlers --------------------------------------------------------------------------------------

    def _add_handlers(self) -> None:
        app, messages = self.application, filters.UpdateType.MESSAGES  # new and edited messages
        app.add_handler(CommandHandler("start", self._static(render.START_TEXT)))
        app.add_handler(CommandHandler("help", self._static(render.HELP_TEXT)))
        app.add_handler(CommandHandler("vanban", self._reference(render.VANBAN_USAGE, lambda q: card_reply(self.assistant, q))))
        app.add_handler(CommandHandler("donvi", self._reference(render.DONVI_USAGE, lambda q: unit_reply(self.assistant, q))))
        app.add_handler(CommandHandler("tieuchi", self._on_tieuchi))
        app.add_handler(MessageHandler(filters.COMMAND & messages, self._static(render.UNKNOWN_COMMAND)))
        app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & messages, self._on_text))
        app.add_handler(MessageHandler(filters.ATTACHMENT & filters.UpdateType.MESSAGE, self._static(NON_TEXT)))
        app.add_handler(CallbackQueryHandler(self._on_button))
        app.add_error_handler(self._on_error)

    def _static(self, text: str) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]:
        async def handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            await self._send(update.effective_chat.id, esc(text))
        return handler

    async def _on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat_id = update.effective_chat.id
        reply = await self._typing_while(chat_id, self.assistant.ask, CHANNEL, str(chat_id),
                                         update.effective_message.text)
        await self._send_reply(chat_id, reply)

    def _reference(self, usage: str, look: Callable[[str], "str | Reply"]):
        """A lookup command (/vanban, /donvi): its argument looked up off the event loop, or how to use it."""
        async def handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            chat_id, query = update.effective_chat.id, " ".join(context.args or ()).strip()
            found = await asyncio.to_thread(look, query) if query else esc(usage)
            await (self._send_reply(chat_id, found) if isinstance(found, Reply) else self._send(chat_id, found))
        return handler

    async def _on_tieuchi(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat_id, args = update.effective_chat.id, context.args or []
        if not args or not args[0].isdecimal() or len(args[0]) > 3:
            await self._send(chat_id, esc(render.TIEUCHI_USAGE))
            return
        if len(args) > 1:  # "/tieuchi 17 vùng ĐBSCL", "/tieuchi 8 2026-2030 nhóm 2": the criteria table answers
            reply = await self._typing_while(chat_id, self.assistant.ask, CHANNEL, str(chat_id),
                                             "tiêu chí " + " ".join(args))
            await self._send_reply(chat_id, reply)
            return
        lines, reply = await self._typing_while(chat_id, self.assistant.criterion, int(args[0]), CHANNEL,
                                                str(chat_id))
        if reply.code == "unknown_criterion":
            await self._send(chat_id, esc("\n".join(lines)))
        else:
            await self._send_reply(chat_id, reply, preface=lines)

    async def _on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        parsed = parse_callback(query.data)
        if parsed is None:
            await self._answer_button(query.id, UNKNOWN_BUTTON)
            return
        kind, exchange_id, value = parsed
        if kind == "f":
            try:  # store the rating before any Telegram call, so a failing call cannot lose it
                stored = await asyncio.to_thread(self.assistant.rate, exchange_id, CHANNEL,
                                                 str(query.from_user.id), value)
            except Exception:
                log.exception("could not store Telegram feedback on exchange %s", exchange_id)
                stored = None
            text = THANKS[value] if stored else FEEDBACK_FAILED if stored is None else FEEDBACK_GONE
            await self._answer_button(query.id, text)
            return
        citation = await asyncio.to_thread(self.assistant.citation, exchange_id, value)
        await self._answer_button(query.id, None if citation else CITATION_GONE)
        if citation is not None:
            chat_id = query.message.chat.id if query.message else query.from_user.id
            await self._send(chat_id, citation_html(citation))

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("Telegram handler failed", exc_info=context.error)
        chat = getattr(update, "effective_chat", None)
        if chat is not None and getattr(update, "effective_message", None) is not None:
            await self._send(chat.id, esc(FAILED))

    # --- sending ---------------------------------------------------------------------------------------

    async def _typing_while(self, chat_id: int, work: Callable, *args):
        """Run blocking `work` in a thread while showing "typing…", renewed until it is done."""
        task = asyncio.ensure_future(asyncio.to_thread(work, *args))
        bot = self.application.bot

        async def keep_typing() -> None:
            while True:
                await self._call("sendChatAction", lambda: bot.send_chat_action(chat_id, ChatAction.TYPING), 1)
                await asyncio.sleep(self.typing_every)

        typing = asyncio.create_task(keep_typing())
        try:
            return await task
        finally:
            typing.cancel()
            await asyncio.gather(typing, return_exceptions=True)

    async def _send_reply(self, chat_id: int, reply: Reply, preface=()) -> None:
        if reply.silent:  # the rest of a burst: logged by the assistant, deliberately not sent
            return
        parts, markup = reply_parts(reply, preface), keyboard(reply)
        for i, part in enumerate(parts):
            await self._send(chat_id, part, markup if i == len(parts) - 1 else None)

    async def _send(self, chat_id: int, text: str, markup=None):
        bot = self.application.bot
        return await self._call(
            "sendMessage",
            lambda: bot.send_message(chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup,
                                     link_preview_options=_NO_PREVIEW),
            fallback=lambda: bot.send_message(chat_id, strip_html(text), reply_markup=markup,
                                              link_preview_options=_NO_PREVIEW))

    async def _answer_button(self, query_id: str, text: str | None) -> None:
        await self._call("answerCallbackQuery", lambda: self.application.bot.answer_callback_query(query_id, text))

    async def _call(self, what: str, make: Callable[[], Awaitable], attempts: int | None = None,
                    fallback: Callable[[], Awaitable] | None = None):
        return await call_with_retries(what, make, attempts or self.attempts, self.backoff, self.retry_after_cap,
                                       fallback)
