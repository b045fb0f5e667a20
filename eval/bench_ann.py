"""Benchmark: approximate dense search against exact search on a large embedded index (HNSW + int8 settings).

Usage: python -m eval.bench_ann --data-dir DIR [--dataset eval/datasets/ntm_dev.jsonl] [--json OUT]
For every question of the set, the dense top 10 of each search setting is compared with the exact top 10
(brute force over the original vectors): overlap@10 and latency. Settings: the engine's defaults (HNSW, int8 with
rescoring), a smaller and a larger `hnsw_ef`, and int8 without rescoring.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import qdrant_edge as qe

from eval.bench_ingest import machine
from eval.metrics import percentile

REPO = Path(__file__).resolve().parents[1]
TOP = 10
SETTINGS = {
    "default (HNSW, int8 + rescore)": None,
    "hnsw_ef 32": qe.SearchParams(hnsw_ef=32),
    "hnsw_ef 256": qe.SearchParams(hnsw_ef=256),
    "int8 without rescore": qe.SearchParams(quantization=qe.QuantizationSearchParams(rescore=False)),
}


def run(data_dir: Path, dataset: Path) -> dict:
    """Overlap with exact search and latency per setting, over the dataset's questions."""
    from ntm.services import build_embedder
    from ntm.settings import Settings
    from retrieval.store import DENSE
    from retrieval.store_edge import EdgeStore

    questions = [json.loads(line)["question"] for line in dataset.read_text(encoding="utf-8").splitlines() if line]
    embedder = build_embedder(Settings(_env_file=None, data_dir=data_dir))
    vectors = embedder.embed_queries(questions)
    store = EdgeStore(data_dir / "qdrant")
    shard = store._require_shard()
    try:
        def search(vector, params):
            request = qe.QueryRequest(limit=TOP, query=qe.Query.Nearest([float(x) for x in vector], using=DENSE),
                                      params=params, with_payload=False)
            started = time.perf_counter()
            ids = [str(p.id) for p in shard.query(request)]
            return ids, (time.perf_counter() - started) * 1000

        exact = [search(v, qe.SearchParams(exact=True)) for v in vectors]
        out = {"exact": {"p50_ms": percentile([ms for _, ms in exact], 50),
                         "p95_ms": percentile([ms for _, ms in exact], 95)}}
        for label, params in SETTINGS.items():
            found = [search(v, params) for v in vectors]
            overlap = [len(set(ids) & set(truth)) / TOP for (ids, _), (truth, _) in zip(found, exact)]
            out[label] = {"overlap@10": round(sum(overlap) / len(overlap), 4),
                          "p50_ms": percentile([ms for _, ms in found], 50),
                          "p95_ms": percentile([ms for _, ms in found], 95)}
        chunks = store.count()
    finally:
        store.close()
    return {"machine": machine(), "chunks": chunks, "questions": len(questions), "settings": out}


def main() -> None:
    """Parse arguments, run, print and write JSON."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--dataset", type=Path, default=REPO / "eval" / "datasets" / "ntm_dev.jsonl")
    ap.add_argument("--json", dest="json_out", type=Path, default=REPO / "eval" / "benchmarks" / "ann.json")
    args = ap.parse_args()
    result = run(args.data_dir, args.dataset)
    print(json.dumps(result, indent=2))
    args.json_out.write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
