"""The chat front ends of one process: the shared assistant, the web page, Telegram and Zalo (built from the
settings in `ntm/channels.py`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from fastapi import APIRouter

from bot.assistant import ChatAssistant

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
