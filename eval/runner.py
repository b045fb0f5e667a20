"""`ntm eval run`: index a corpus (or reuse it), ask every question of a set in each mode, score, report.

Every score comes from the system's real outputs: the answer object of `ntm ask --json` / `POST /api/ask`
(built by the same `AskResponse`) and the ranking of `ntm search`. Datasets: the team's JSONL format
(eval/dataset.py) or an ALQAC-format folder (corpus.jsonl + queries.jsonl, gold article ids).
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date, datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Sequence

from tqdm import tqdm

from eval.answer_metrics import aggregate, latency_summary, refusal_counts, score_question
from eval.corpora import corpus_root, dev_source_mapper, load_questions, make_embedder, open_alqac_index, open_dev_index
from eval.metrics import alqac_macro_f2, dedupe_ranked
from knowledge.cards import entry_text
from ntm.api_models import AskResponse
from ntm.services import catalogue_path
from retrieval.search import Searcher
from retrieval.service import AskService

REPO = Path(__file__).resolve().parents[1]
MODES = ("hybrid", "sparse", "dense")
FETCH, K = 30, 10


def git_commit() -> str:
    """The project's commit, marked -dirty when files differ from it ("unknown" outside git)."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True).stdout
        return head + ("-dirty" if dirty.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _services(kind: str, dataset: Path, dirs: Sequence[Path], settings, work_dir: Path, embedder, progress: bool,
              index_dir: Path | None = None):
    """(searcher, extractive asker, llm asker or None, source mapper, catalogue texts, index info, closer)."""
    if kind == "alqac":
        folder = dataset if dataset.is_dir() else dataset.parent
        embedder = embedder or make_embedder(settings.embedding_model)
        store, info = open_alqac_index(folder / "corpus.jsonl", embedder, work_dir, progress)
        searcher = Searcher(store, embedder, fusion=settings.fusion)
        return (searcher, AskService(searcher, ()), None, lambda r: r.doc_id or None, [], info, store.close)
    services, info = open_dev_index(dirs, settings, work_dir, embedder=embedder, progress=progress,
                                    index_dir=index_dir)
    mapper = dev_source_mapper(Path(info["corpus_root"]), catalogue_path(settings))
    llm = services.asker if services.asker.llm is not None else None
    catalogue = [entry_text(e, services.catalogue) for e in services.catalogue]
    services.units.load()
    return (services.searcher, AskService(services.searcher, services.catalogue, units=services.units,
                                                criteria=services.criteria), llm, mapper,
            catalogue, info, services.close)


def _one(item: dict, mode: str, asker, searcher, mapper, catalogue: list[str]) -> dict:
    """Ask one question in one mode and score what came back."""
    search_mode = "hybrid" if mode == "llm" else mode
    try:
        as_of = date.fromisoformat(item["as_of"]) if item.get("as_of") else None
        out = AskResponse.from_result(asker.ask(item["question"], as_of=as_of, mode=search_mode)).model_dump()
        out["error"] = None
    except Exception as err:  # a failing question is a result too (scored as unanswered), not a crash
        out = {"answer": "", "answered": False, "citations": [], "as_of": "", "latency_ms": 0.0,
               "error": f"{type(err).__name__}: {err}"}
    for c in out["citations"]:
        c["source_key"] = mapper(SimpleNamespace(doc_id=c["document_id"], source=c["source"]))
    hits = searcher.search(item["question"], limit=FETCH, mode=search_mode) if not out["error"] else []
    ranked = dedupe_ranked(k for k in (mapper(h) for h in hits) if k)[:K]
    out["ranked_sources"] = ranked
    out["scores"] = score_question(item, out, catalogue)  # answer metrics, and retrieval ones from ranked_sources
    return out


def run(dataset: Path, corpus: Sequence[Path], settings, *, modes: Sequence[str] = MODES,
        work_dir: Path = REPO / "data" / "eval", limit: int | None = None, embedder=None,
        progress: bool = True, index_dir: Path | None = None) -> dict:
    """Run every question in every mode; returns the results dict (see eval/report.py for its use)."""
    started, stamp = time.perf_counter(), datetime.now(timezone.utc).isoformat(timespec="seconds")
    kind, items = load_questions(dataset, limit, corpus_root(corpus) if corpus else None)
    work_dir.mkdir(parents=True, exist_ok=True)
    searcher, extractive, llm, mapper, catalogue, info, close = _services(kind, dataset, corpus, settings, work_dir,
                                                                         embedder, progress, index_dir)
    modes = [m for m in modes if m != "llm"] + (["llm"] if llm is not None and "llm" in modes else [])
    try:
        for item in items:
            item["outputs"] = {}
        for mode in modes:
            asker = llm if mode == "llm" else extractive
            for item in tqdm(items, desc=f"ask {mode}", unit="q", file=sys.stderr, disable=not progress):
                item["outputs"][mode] = _one(item, mode, asker, searcher, mapper, catalogue)
        model = searcher.embedder.name
    finally:
        close()
    summary = {}
    for mode in modes:
        rows = [{"category": it["category"], "answerable": it["answerable"], "split": it.get("split") or "all",
                 **it["outputs"][mode]["scores"]} for it in items]
        splits = sorted({r["split"] for r in rows}) if any(it.get("split") for it in items) else []
        summary[mode] = {**aggregate(rows), "refusal": refusal_counts(rows),
                         # a set split into dev and frozen test parts is reported per part too
                         "by_split": {sp: {**aggregate([r for r in rows if r["split"] == sp])["overall"],
                                           "refusal": refusal_counts(r for r in rows if r["split"] == sp)}
                                      for sp in splits},
                         "latency": latency_summary([it["outputs"][mode]["latency_ms"] for it in items]),
                         "alqac_macro_f2": alqac_macro_f2(
                             [(set(it["outputs"][mode]["ranked_sources"][:1]), set(it["expected_sources"]))
                              for it in items]) if kind == "alqac" else None}
    return {"run": {"dataset": str(dataset), "dataset_kind": kind, "dataset_sha256": _sha(dataset),
                    "corpus": [str(c) for c in corpus], "index_key": info.get("key"), "index": info,
                    "settings": _settings_view(settings), "git_commit": git_commit(), "started": stamp,
                    "seconds": round(time.perf_counter() - started, 1), "cores": os.cpu_count(), "model": model,
                    "modes": list(modes), "main_mode": modes[0],
                    "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)},
            "questions": items, "summary": summary}


def _sha(path: Path) -> str:
    target = path / "queries.jsonl" if path.is_dir() else path
    return hashlib.sha256(target.read_bytes()).hexdigest()


def _settings_view(settings) -> dict:
    """Settings that shape results, secrets left out."""
    keep = ("embedding_model", "fusion", "chunk_max_chars", "chunk_overlap", "llm_base_url", "llm_model",
            "llm_gguf", "llm_timeout", "qdrant_url")
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in settings.model_dump().items() if k in keep}


def save(results: dict, folder: Path) -> list[Path]:
    """Write results.json and the report (summary.md and plots) into `folder`."""
    from eval.report import write_report

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "results.json"
    path.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return [path, *write_report(results, folder)]


def load_results(path: Path) -> dict:
    """A results.json, given the file or its report folder."""
    path = path / "results.json" if path.is_dir() else path
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise ValueError(f"{path}: {err}") from err
    missing = [k for k in ("run", "questions", "summary") if not isinstance(data, dict) or k not in data]
    if missing:
        raise ValueError(f"{path} has no {', '.join(missing)}")
    return data
