"""The chat front ends of one process: the shared assistant, the web page, Telegram and Zalo."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable

from fastapi import APIRouter

from bot.assistant import ChatAssistant, RateLimiter
from bot.conversations import ConversationLog
from ntm.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Channels:
    """The assistant every channel calls, and the channels that are on."""

    assistant: ChatAssistant
    routers: list[APIRouter] = field(default_factory=list)
    telegram: object | None = None
    zalo: object | None = None
    polling: bool = False

    async def start(self) -> None:
        """Start the bots (a bot that cannot reach its platform logs why; the HTTP app keeps serving)."""
        for name, channel, args in (("Telegram", self.telegram, (self.polling,)), ("Zalo", self.zalo, ())):
            if channel is None:
                continue
            try:
                await channel.start(*args)
            except Exception:
                log.exception("%s channel failed to start; the HTTP API and web page keep running", name)

    async def stop(self) -> None:
        """Stop the bots, then close the conversation log."""
        for channel in (self.telegram, self.zalo):
            if channel is not None:
                try:
                    await channel.stop()
                except Exception:
                    log.exception("stopping a channel failed")
        self.assistant.conversations.close()


def build_channels(settings: Settings, services: Callable[[], object | None],
                   failed: Callable[[], str | None] = lambda: None, polling: bool | None = None) -> Channels:
    """Open the conversation log and build every channel whose credentials are set (cheap: no network)."""
    from bot.telegram_bot import build_telegram
    from bot.web import web_router
    from bot.zalo import build_zalo

    conversations = ConversationLog(settings.conversations_db)
    assistant = ChatAssistant(services, conversations, RateLimiter(settings.rate_limit_per_minute), failed)
    channels = Channels(assistant, polling=settings.telegram_polling if polling is None else polling)
    if settings.web_chat:
        channels.routers.append(web_router(assistant))
    else:
        log.info("Web chat page off (NTM_WEB_CHAT=false)")
    channels.telegram = build_telegram(settings, assistant)
    channels.zalo = build_zalo(settings, assistant)
    channels.routers += [c.router for c in (channels.telegram, channels.zalo) if c is not None]
    return channels
