"""The one wiring place: the only code that reads `Settings` and builds components from them.

Building is cheap (objects and an open store); `Services.warm_up()` does the heavy work (the model, the store
schema, the registry), so the web app can serve "still loading" while it runs.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ingest.errors import MB
from ingest.pipeline import Indexer, IngestReport
from ingest.pipeline import index_fingerprint as _fingerprint
from knowledge.abbreviations import load_abbreviations
from knowledge.admin_units import AdminUnits
from knowledge.catalogue import CatalogueEntry, entry_for, load_catalogue
from knowledge.criteria import DEFAULT_PATH as CRITERIA_PATH
from knowledge.criteria import CriteriaTable, load_criteria
from ntm.settings import Settings
from retrieval.chat import ChatModel
from retrieval.embedding import Embedder
from retrieval.gate import AnswerGate
from retrieval.search import Searcher
from retrieval.service import AskService
from retrieval.store import VectorStore

log = logging.getLogger(__name__)

SHARED_STORE_REFRESH_S = 30.0  # a Qdrant server may be written by other processes: re-read its registry this often
SHARED_STORE_GC_GRACE_S = 3600.0  # ...and a version younger than this may still be being written by one of them


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
    units: AdminUnits = field(default_factory=AdminUnits)
    criteria: CriteriaTable = field(default_factory=load_criteria)

    def __post_init__(self) -> None:
        if self.asker is None:  # tests and tools that assemble Services by hand get the extractive answerer
            self.asker = AskService(self.searcher, self.catalogue, units=self.units, criteria=self.criteria)

    def warm_up(self) -> None:
        """Load the model, create or check the store's schema, read the registry (idempotent)."""
        self.embedder.warm_up()
        self.indexer.warm_up()
        # Before the first answer: chunks a killed ingest left would shift scores (the embedded store removes them
        # when it opens; on a shared server only those past the grace period, younger ones may be being written).
        removed = self.indexer.collect_garbage()
        if removed:
            log.info("removed the chunks of %d document version(s) left by an interrupted ingest", removed)
        self.searcher.warm_up()
        self.units.load()  # the administrative units data package (about 0.2 s, read once)

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


def build_llm_answerer(settings: Settings):
    """The optional LLM answerer (None unless NTM_LLM_BASE_URL or NTM_LLM_GGUF is set)."""
    chat = build_chat_model(settings)
    if chat is None:
        return None
    from retrieval.llm import LLMAnswerer

    log.info("LLM answerer on: %s (falls back to extractive answers after %.0f s)", chat.name, settings.llm_timeout)
    return LLMAnswerer(chat, settings.prompts_dir, settings.llm_timeout)


# A long ingest meets every passage length: oneDNN keeps compiled kernels per input shape (1,024 by default) and
# glibc opens a malloc arena per thread. Capped, 2,338 tvpl chunks ended at 1.81 GB instead of 2.46 GB, same speed.
INGEST_ONEDNN_KERNELS = "8"
INGEST_MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # glibc's mallopt parameter number


def limit_ingest_memory() -> None:
    """Settings for a long-running ingest process; call before the model loads (no effect where not glibc)."""
    os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", INGEST_ONEDNN_KERNELS)
    try:
        ctypes.CDLL("libc.so.6").mallopt(_M_ARENA_MAX, INGEST_MALLOC_ARENAS)
    except (OSError, AttributeError):
        pass


def build_embedder(settings: Settings) -> Embedder:
    """The configured model (not loaded yet; the offline default is built on warm-up), questions in numpy for it."""
    from retrieval.embedding import SentenceTransformerEmbedder
    from retrieval.lean_embedder import LeanEmbedder, uses_numpy_questions

    model = SentenceTransformerEmbedder(settings.embedding_model, query_prompt=settings.query_prompt,
                                        passage_prompt=settings.passage_prompt, batch_size=settings.embed_batch_size,
                                        data_dir=settings.data_dir, precision=settings.embed_precision)
    return LeanEmbedder(model) if uses_numpy_questions(settings.query_encoder, settings.embedding_model) else model


def offline_model_dir(settings: Settings) -> Path | None:
    """Where `ntm models build` builds the offline model; None when NTM_EMBEDDING_MODEL names another model."""
    from retrieval.embedding import BUILT_MODEL_SETTINGS, default_model_dir as model_dir

    return model_dir(settings.data_dir) if settings.embedding_model.strip() in BUILT_MODEL_SETTINGS else None


def index_fingerprint(settings: Settings) -> str:
    """Every setting that shapes chunks and vectors (an index built with another fingerprint is another index)."""
    return _fingerprint(settings.embedding_model, settings.chunk_max_chars, settings.chunk_overlap)


def catalogue_path(settings: Settings) -> Path:
    """The catalogue file of NTM_KNOWLEDGE_DIR (it may be absent: an empty catalogue)."""
    return Path(settings.knowledge_dir) / "catalogue.yaml"


def load_units() -> AdminUnits:
    """The administrative units data, loaded (for commands that need only it, such as `ntm units`)."""
    return AdminUnits().load()


def criteria_path(settings: Settings) -> Path:
    """The criteria table of NTM_KNOWLEDGE_DIR, else the one shipped with the package."""
    path = Path(settings.knowledge_dir) / "criteria.yaml"
    return path if path.exists() else CRITERIA_PATH


def load_knowledge(settings: Settings) -> tuple[list[CatalogueEntry], dict[str, str]]:
    """The catalogue entries and the abbreviation table from NTM_KNOWLEDGE_DIR (empty when absent)."""
    path = catalogue_path(settings)
    entries = load_catalogue(path) if path.exists() else []
    return entries, load_abbreviations(Path(settings.knowledge_dir) / "abbreviations.yaml")


def _status_lookup(entries):
    def status_of(number: str | None) -> str:
        # Only central documents inherit a status: local numbers repeat across provinces (entry_for).
        entry = entry_for(entries, number)
        return entry.status if entry else "unknown"

    return status_of


def build_services(settings: Settings, embedder: Embedder | None = None, store: VectorStore | None = None) -> Services:
    """Build every service (cheap: nothing is loaded until `warm_up()`); tests pass fakes for the embedder or store."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    entries, abbreviations = load_knowledge(settings)  # a broken catalogue fails here, before the store opens
    llm = build_llm_answerer(settings)  # so do missing prompt files
    embedder = embedder or build_embedder(settings)
    store = store or open_store(settings)
    shared = getattr(store, "backend", "") != "embedded"  # a server may have other writers
    indexer = Indexer(store, embedder, max_chars=settings.chunk_max_chars, overlap=settings.chunk_overlap,
                      max_bytes=int(settings.max_file_mb * MB), ocr=settings.ocr,
                      status_of=_status_lookup(entries), gc_grace_seconds=SHARED_STORE_GC_GRACE_S if shared else 0.0)
    searcher = Searcher(store, embedder, SHARED_STORE_REFRESH_S if shared else None, catalogue=entries,
                        abbreviations=abbreviations, fusion=settings.fusion)
    units = AdminUnits()
    criteria = load_criteria(criteria_path(settings))
    asker = AskService(searcher, entries, llm=llm, units=units, criteria=criteria, gate=answer_gate(settings))
    return Services(settings, embedder, store, indexer, searcher, entries, asker, units, criteria)


def _cores() -> int:
    affinity = getattr(os, "sched_getaffinity", None)  # Linux only; elsewhere every core counts
    return len(affinity(0)) if affinity else os.cpu_count() or 1


# 20 users on 2 cores (eval/bench_load.py, beside other jobs; answers/s, p95): 1 slot 22.4/s, 1.24 s; 2 slots 20.5/s,
# 1.19 s; 3 slots 22.4/s, 1.05 s; 4 slots 18.2/s, 1.39 s. One more than the cores: while two answers are in the
# model (which releases the GIL), a third runs its Python part.
EXTRA_SLOTS = 1


def answer_slots(settings: Settings) -> int:
    """Answers computed at once: NTM_ANSWER_SLOTS, or one per core plus one."""
    return settings.answer_slots or _cores() + EXTRA_SLOTS


def answer_gate(settings: Settings) -> AnswerGate:
    """The bounded queue in front of answering: answer_slots() at once, NTM_ANSWER_QUEUE more may wait."""
    return AnswerGate(answer_slots(settings), settings.answer_queue)


def limit_answer_threads(settings: Settings) -> int:
    """For a process that answers concurrently (`ntm serve`): each answering slot's model call gets its share of
    the cores (1 thread each by default), instead of every worker thread running a team of one per core; returns
    the threads per call. Call before serving; not for ingest, whose large batches use every core."""
    from threadpoolctl import threadpool_limits

    # Measured (eval/bench_load.py, 20 users): 2 threads per call cost 60-67 ms of server CPU per answer, 1 thread
    # 42-48 ms: threads of the other calls' teams spin waiting for cores.
    threads = max(1, _cores() // answer_slots(settings))
    threadpool_limits(threads, user_api="blas")  # numpy's BLAS: the questions' forward pass (NTM_QUERY_ENCODER)
    if "torch" in sys.modules:  # the model is loaded already
        sys.modules["torch"].set_num_threads(threads)
    else:  # torch reads it when a passage (or, with NTM_QUERY_ENCODER=model, a question) first loads the model;
        os.environ["OMP_NUM_THREADS"] = str(threads)  # importing torch here would cost 190 MB for nothing
    return threads


def open_services(settings: Settings, embedder: Embedder | None = None) -> Services:
    """Built and warmed-up services (what a command needs); the store is released if warming up fails."""
    services = build_services(settings, embedder=embedder)
    try:
        services.warm_up()
    except BaseException:
        services.close()
        raise
    return services


def ingest_catalogue(services: Services, report: IngestReport | None = None) -> IngestReport:
    """Index the knowledge catalogue (one card per document); unchanged cards cost nothing."""
    from ingest.catalogue_index import index_catalogue

    report = index_catalogue(services.indexer, catalogue_path(services.settings), report)
    services.searcher.refresh()
    return report
