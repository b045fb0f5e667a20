"""One place that builds the embedder, the store and the services on top of them."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from ingest.pipeline import Indexer, IngestReport
from ntm.settings import Settings
from retrieval.embedding import Embedder
from retrieval.search import Searcher
from retrieval.service import AskService
from retrieval.chat import ChatModel
from retrieval.store import VectorStore

log = logging.getLogger(__name__)


@dataclass
class Services:
    """Everything a command or the web app needs, built once."""

    settings: Settings
    embedder: Embedder
    store: VectorStore
    indexer: Indexer
    searcher: Searcher
    catalogue: list = field(default_factory=list)
    asker: AskService | None = None

    def __post_init__(self) -> None:
        if self.asker is None:  # tests and tools that assemble Services by hand get the extractive answerer
            self.asker = AskService(self.searcher, self.catalogue)

    def close(self) -> None:
        """Release the store."""
        self.store.close()


def open_store(settings: Settings) -> VectorStore:
    """The configured backend: a Qdrant server when NTM_QDRANT_URL is set, else the embedded shard."""
    if settings.qdrant_url:
        from retrieval.store_server import ServerStore

        key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
        return ServerStore.connect(settings.qdrant_url, key, settings.collection)
    from retrieval.store_edge import EdgeStore

    return EdgeStore(settings.store_dir)


def build_chat_model(settings: Settings) -> ChatModel | None:
    """The configured chat model, or None when neither NTM_LLM_BASE_URL nor NTM_LLM_GGUF is set."""
    from retrieval.chat import LlamaCppChatModel, OpenAIChatModel

    if settings.llm_base_url:
        if settings.llm_gguf:
            log.info("both NTM_LLM_BASE_URL and NTM_LLM_GGUF are set; using the endpoint")
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        return OpenAIChatModel(settings.llm_base_url, settings.llm_model, api_key=key)
    if settings.llm_gguf:
        return LlamaCppChatModel(settings.llm_gguf)
    return None


def build_embedder(settings: Settings) -> Embedder:
    """The configured sentence-transformers model (building the offline default when needed)."""
    from retrieval.embedding import SentenceTransformerEmbedder, resolve_model_path

    model = resolve_model_path(settings.embedding_model, settings.data_dir)
    return SentenceTransformerEmbedder(model, query_prompt=settings.query_prompt,
                                       passage_prompt=settings.passage_prompt, batch_size=settings.embed_batch_size)


def load_knowledge(settings: Settings) -> tuple[list, dict[str, str]]:
    """The catalogue entries and the abbreviation table from NTM_KNOWLEDGE_DIR (empty when absent)."""
    from knowledge.abbreviations import load_abbreviations
    from knowledge.catalogue import load_catalogue

    path = Path(settings.knowledge_dir) / "catalogue.yaml"
    entries = load_catalogue(path) if path.exists() else []
    return entries, load_abbreviations(Path(settings.knowledge_dir) / "abbreviations.yaml")


def _status_lookup(entries):
    from knowledge.catalogue import entry_for

    def status_of(number: str | None) -> str:
        # Only central documents inherit a status: local numbers repeat across provinces (entry_for).
        entry = entry_for(entries, number)
        return entry.status if entry else "unknown"

    return status_of


def build_services(settings: Settings, embedder: Embedder | None = None, store: VectorStore | None = None) -> Services:
    """Open the store and load the model; tests pass fakes for either."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    entries, abbreviations = load_knowledge(settings)  # a broken catalogue fails here, before the store opens
    store = store or open_store(settings)
    try:
        embedder = embedder or build_embedder(settings)
        shared = getattr(store, "backend", "") != "embedded"  # a server may have other writers
        indexer = Indexer(store, embedder, max_chars=settings.chunk_max_chars, overlap=settings.chunk_overlap,
                          max_bytes=settings.max_file_mb * 1024 * 1024, ocr=settings.ocr,
                          status_of=_status_lookup(entries), gc_grace_seconds=3600.0 if shared else 0.0)
    except BaseException:
        store.close()
        raise
    searcher = Searcher(store, embedder, 30.0 if shared else None, catalogue=entries, abbreviations=abbreviations,
                        fusion=settings.fusion)
    return Services(settings, embedder, store, indexer, searcher, entries,
                    AskService(searcher, entries, llm=build_llm_answerer(settings)))


def build_llm_answerer(settings: Settings):
    """The optional LLM answerer (None unless NTM_LLM_BASE_URL or NTM_LLM_GGUF is set)."""
    chat = build_chat_model(settings)
    if chat is None:
        return None
    from retrieval.llm import LLMAnswerer

    log.info("LLM answerer on: %s (falls back to extractive answers after %.0f s)", chat.name, settings.llm_timeout)
    return LLMAnswerer(chat, settings.prompts_dir, settings.llm_timeout)


def ingest_catalogue(services: Services, report: IngestReport | None = None) -> IngestReport:
    """Index the knowledge catalogue (one card per document); unchanged cards cost nothing."""
    from ingest.catalogue_index import index_catalogue

    report = index_catalogue(services.indexer, Path(services.settings.knowledge_dir) / "catalogue.yaml", report)
    services.searcher.refresh()
    return report
