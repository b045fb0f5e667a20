"""Benchmark: embedded-store layouts (in RAM / on disk, int8 copy, optimised or not) at a given size.

Usage: python -m eval.bench_layout [--points 60000] [--shared ../shared] [--json OUT]
Each layout is built in a fresh shard from the same points (random unit dense vectors; sparse vectors and payloads
of real tvpl chunks, a third of each sparse vector's terms replaced at random so the vocabulary spreads), then
opened by a fresh process that runs 200 hybrid queries shaped like the product's (two prefetches of 130, DBSF,
top 30 with payload): RSS to open, RSS after the queries, p50/p95 latency and size on disk.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import qdrant_edge as qe

from retrieval.sparse import document_vector, query_vector
from retrieval.store import DENSE, SPARSE

LAYOUTS = ("ram", "ram-optimised", "disk+int8", "disk+int8-optimised")
BATCH = 256


def _config(layout: str, dim: int) -> qe.EdgeConfig:
    if not layout.startswith("disk"):
        return qe.EdgeConfig(vectors={DENSE: qe.EdgeVectorParams(size=dim, distance=qe.Distance.Cosine)},
                             sparse_vectors={SPARSE: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)})
    int8 = qe.ScalarQuantizationConfig(type=qe.ScalarType.Int8, quantile=0.99, always_ram=True)
    return qe.EdgeConfig(
        vectors={DENSE: qe.EdgeVectorParams(size=dim, distance=qe.Distance.Cosine, on_disk=True,
                                            quantization_config=int8)},
        sparse_vectors={SPARSE: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf, on_disk=True)},
        on_disk_payload=True)


def build(layout: str, folder: Path, texts: list[str], points: int, dim: int = 384) -> float:
    """Write `points` points into a new shard of this layout; returns seconds (optimising included)."""
    rng, pick = np.random.default_rng(0), random.Random(0)
    sparse = [document_vector(t) for t in texts]
    shard = qe.EdgeShard.create(str(folder), _config(layout, dim))
    started = time.perf_counter()
    for start in range(0, points, BATCH):
        batch = []
        for i in range(start, min(points, start + BATCH)):
            vec = rng.standard_normal(dim).astype(np.float32)
            base = sparse[i % len(sparse)]
            terms = dict(zip((t if pick.random() > 0.3 else pick.getrandbits(32) for t in base.indices), base.values))
            keys = sorted(terms)
            batch.append(qe.Point(i, {DENSE: (vec / np.linalg.norm(vec)).tolist(),
                                      SPARSE: qe.SparseVector(keys, [terms[k] for k in keys])},
                                  {"doc_id": f"d{i // 15}", "doc_version": f"d{i // 15}:v",
                                   "text": texts[i % len(texts)]}))
        shard.update(qe.UpdateOperation.upsert_points(batch))
    if layout.endswith("optimised"):
        shard.optimize()
    shard.flush()
    shard.close()
    return time.perf_counter() - started


def measure(folder: Path, texts: list[str]) -> dict:
    """Open the shard in this (fresh) process and run the queries."""
    def rss() -> float:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    before = rss()
    shard = qe.EdgeShard.load(str(folder))
    opened = rss()
    rng, latencies = np.random.default_rng(1), []
    for text in texts[:200]:
        vec = rng.standard_normal(384)
        sparse = query_vector(text[:120])
        prefetches = [qe.Prefetch(limit=130, query=qe.Query.Nearest((vec / np.linalg.norm(vec)).tolist(), using=DENSE)),
                      qe.Prefetch(limit=130, query=qe.Query.Nearest(
                          qe.SparseVector(list(sparse.indices), list(sparse.values)), using=SPARSE))]
        started = time.perf_counter()
        shard.query(qe.QueryRequest(limit=30, prefetches=prefetches, query=qe.Fusion.Dbsf(), with_payload=True))
        latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()
    shard.close()
    disk = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20
    return {"rss_open_mb": round(opened - before), "rss_after_queries_mb": round(rss() - before),
            "p50_ms": round(latencies[len(latencies) // 2], 1), "p95_ms": round(latencies[int(len(latencies) * .95)], 1),
            "disk_mb": round(disk)}


def main() -> None:
    """Build and measure every layout (the measuring runs in a child process, so RSS starts clean)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=60_000)
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    ap.add_argument("--json", dest="json_out", type=Path)
    ap.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # internal: the child's shard folder
    ap.add_argument("--texts", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, json.loads(args.texts.read_text(encoding="utf-8")))))
        return
    from eval.bench_embed import real_chunks
    from eval.bench_ingest import machine

    texts = real_chunks(args.shared, 512)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "texts.json").write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
        for layout in LAYOUTS:
            folder = Path(tmp) / layout
            seconds = build(layout, folder, texts, args.points)
            child = subprocess.run([sys.executable, "-m", "eval.bench_layout", "--measure", str(folder), "--texts",
                                    str(Path(tmp) / "texts.json")], capture_output=True, text=True, check=True)
            results[layout] = {"build_s": round(seconds, 1), **json.loads(child.stdout.strip().splitlines()[-1])}
            print(layout, results[layout], flush=True)
            shutil.rmtree(folder)
    summary = {"machine": machine(), "points": args.points, "layouts": results}
    if args.json_out:
        args.json_out.write_text(json.dumps(summary, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
