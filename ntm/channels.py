"""Wiring of the chat front ends: each channel's typed configuration from the settings, and the channels that are on."""

from __future__ import annotations

import logging
from typing import Callable

from pydantic import SecretStr

from bot.assistant import ChatAssistant, RateLimiter
from bot.channels import Channels
from bot.conversations import ConversationLog
from bot.telegram_bot import TelegramChannel, TelegramConfig, telegram_channel
from bot.web import web_router
from bot.zalo import ZaloChannel, ZaloConfig, zalo_channel
from bot.zalo_client import TOKEN_FILE
from ntm.settings import Settings

log = logging.getLogger(__name__)


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value is not None else ""


def telegram_config(settings: Settings) -> TelegramConfig:
    """The Telegram channel's configuration (NTM_TELEGRAM_*)."""
    return TelegramConfig(token=_secret(settings.telegram_token), webhook_secret=_secret(settings.telegram_webhook_secret),
                          webhook_url=settings.telegram_webhook_url, base_url=settings.telegram_base_url)


def zalo_config(settings: Settings) -> ZaloConfig:
    """The Zalo channel's configuration (NTM_ZALO_*); its tokens are kept under NTM_DATA_DIR."""
    return ZaloConfig(token_file=settings.data_dir / TOKEN_FILE, app_id=settings.zalo_app_id or "",
                      app_secret=_secret(settings.zalo_app_secret), oa_secret_key=_secret(settings.zalo_oa_secret_key),
                      access_token=_secret(settings.zalo_access_token),
                      refresh_token=_secret(settings.zalo_refresh_token), api_base=settings.zalo_api_base,
                      oauth_base=settings.zalo_oauth_base, max_age_seconds=settings.zalo_max_age_seconds)


def build_telegram(settings: Settings, assistant: ChatAssistant) -> TelegramChannel | None:
    """The Telegram channel, or None when NTM_TELEGRAM_TOKEN is not set."""
    return telegram_channel(telegram_config(settings), assistant)


def build_zalo(settings: Settings, assistant: ChatAssistant | None, **client_options) -> ZaloChannel | None:
    """The Zalo channel, or None when its credentials are not set."""
    return zalo_channel(zalo_config(settings), assistant, **client_options)


def build_channels(settings: Settings, services: Callable[[], object | None],
                   failed: Callable[[], str | None] = lambda: None, polling: bool | None = None) -> Channels:
    """Open the conversation log and build every channel whose credentials are set (cheap: no network)."""
    conversations = ConversationLog(settings.conversations_db)
    assistant = ChatAssistant(services, conversations, RateLimiter(settings.rate_limit_per_minute), failed,
                              origin_limiter=RateLimiter(settings.web_rate_limit_per_address))
    channels = Channels(assistant, polling=settings.telegram_polling if polling is None else polling)
    if settings.web_chat:
        channels.routers.append(web_router(assistant))
    else:
        log.info("Web chat page off (NTM_WEB_CHAT=false)")
    channels.telegram = build_telegram(settings, assistant)
    channels.zalo = build_zalo(settings, assistant)
    channels.routers += [c.router for c in (channels.telegram, channels.zalo) if c is not None]
    return channels
