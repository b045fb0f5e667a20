"""Shared by the channel tests: a ChatAssistant over a small synthetic index (hash embedder, real store)."""

from __future__ import annotations

from pathlib import Path

from bot.assistant import ChatAssistant, RateLimiter
from bot.conversations import ConversationLog
from ntm.settings import Settings

from tests_support import DISTRICT_PLAN, WATER_LETTER

# Questions the synthetic documents answer (see tests_support), and one they do not.
PLAN_QUESTION = "Năm 2031 huyện Đại Phong phấn đấu có thêm bao nhiêu xã đạt chuẩn nông thôn mới?"
WATER_QUESTION = "Tỷ lệ hộ dân nông thôn sử dụng nước sạch đạt bao nhiêu?"
UNANSWERABLE = "Mức lương tối thiểu vùng của công chức cấp xã năm 2031 là bao nhiêu?"


def bot_settings(tmp: Path, **extra) -> Settings:
    """Settings isolated from the environment and any .env file."""
    fixed = {"data_dir": tmp / "data", "qdrant_url": None, "llm_base_url": None, "llm_gguf": None,
             "telegram_token": None, "zalo_app_id": None}
    return Settings(_env_file=None, **{**fixed, **extra})


def build_index(tmp: Path, settings: Settings | None = None):
    """Services over the two synthetic documents and the catalogue (hash embedder: fast, deterministic)."""
    from ntm.services import build_services, ingest_catalogue
    from retrieval.embedding import HashEmbedder

    settings = settings or bot_settings(tmp)
    docs = tmp / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    (docs / "ke-hoach-dai-phong.txt").write_text(DISTRICT_PLAN, encoding="utf-8")
    (docs / "cv-nuoc-sach.txt").write_text(WATER_LETTER, encoding="utf-8")
    services = build_services(settings, embedder=HashEmbedder())
    services.warm_up()  # as the app does before serving (the administrative units data is read here)
    report = services.indexer.ingest_paths([str(docs)])
    assert not report.skipped, report.skipped
    ingest_catalogue(services)
    return services


def make_assistant(services, tmp: Path, per_minute: int = 100) -> ChatAssistant:
    """A ChatAssistant on `services` (None = still loading) with its own conversation log under tmp."""
    log = ConversationLog(tmp / "conversations.sqlite3")
    return ChatAssistant(lambda: services, log, RateLimiter(per_minute))
