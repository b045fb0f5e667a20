"""The README's benchmark block is rebuilt from the benchmarks' JSON (synthetic figures written for the test)."""

from __future__ import annotations

import json
import sys

import pytest

from eval import bench_readme

pytestmark = pytest.mark.synthetic

MACHINE = {"cores": 2, "cpu": "Test CPU", "features": ["avx512_bf16"], "python": "3.11.7"}


def test_block_is_rewritten_between_markers_and_names_the_machine(tmp_path, monkeypatch):
    folder = tmp_path / "bench"
    folder.mkdir()
    (folder / "embed.json").write_text(json.dumps({
        "machine": MACHINE, "chunks": 10, "mean_tokens_per_chunk": 200.0,
        "results": {"fp32 (before)": {"chunks_per_s": 10.0, "tokens_per_s": 2000, "query_ms": 17.0, "speedup": 1.0,
                                       "cosine_min": 1.0, "cosine_mean": 1.0},
                    "bf16": {"chunks_per_s": 33.0, "tokens_per_s": 6600, "query_ms": 14.0, "speedup": 3.3,
                             "cosine_min": 0.99996, "cosine_mean": 0.99997}}}))
    (folder / "scale.json").write_text(json.dumps({
        "machine": MACHINE, "ingest_runs": [{"started": "2031-01-01T00:00:00", "exit_code": 130, "seconds": 60.0,
                                             "chunks_before": 0, "chunks_after": 2400, "chunks_per_s": 40.0,
                                             "peak_rss_mb": 2000, "disk_mb": 300}],
        "index": {"documents": 150, "chunks": 2400, "disk_mb": 300},
        "distractors": [{"dataset": "set.jsonl", "alone": {"recall@5": 0.9, "fact_recall": 0.6, "chunks": 200},
                         "with_tvpl": {"recall@5": 0.88, "fact_recall": 0.59, "chunks": 2400},
                         "parts": {"test": {"alone": {"questions": 30, "recall@5": 0.95, "fact_recall": 0.5},
                                            "with_tvpl": {"questions": 30, "recall@5": 0.9, "fact_recall": 0.45}}}}]}))
    (folder / "scale-one-go.json").write_text(json.dumps({
        "machine": MACHINE, "ingest_runs": [{"started": "2031-02-02T00:00:00", "exit_code": 0, "seconds": 7000.0,
                                             "chunks_before": 0, "chunks_after": 201000, "chunks_per_s": 28.7,
                                             "peak_rss_mb": 4100, "disk_mb": 2100}],
        "index": {"documents": 14000, "chunks": 201000, "disk_mb": 2100}}))
    (folder / "load.json").write_text(json.dumps({"machine": MACHINE, "runs": [{
        "label": "after", "note": "", "server_rss_mb": {"before": 1100, "after_ask": 1210},
        "phases": {"ask": {"route": "/api/ask", "users": 20, "seconds": 60.0, "answers_per_s": 30.5, "p50_ms": 640,
                           "p95_ms": 900, "max_ms": 1500, "errors": {"503": 2}, "server_cpu_ms_per_answer": 48.2}}}]}))
    readme = tmp_path / "README.md"
    readme.write_text(f"# T\n\nbefore\n{bench_readme.BEGIN}\nold table\n{bench_readme.END}\nafter\n")
    monkeypatch.setattr(sys, "argv", ["bench_readme", "--dir", str(folder), "--readme", str(readme)])
    bench_readme.main()
    text = readme.read_text()
    assert text.startswith("# T\n\nbefore\n") and text.endswith(f"{bench_readme.END}\nafter\n")
    assert "old table" not in text and "2 cores, Test CPU" in text
    assert "| bf16 | 33.0 | 6,600 | 14.0 | 3.3 | 0.99996 / 0.99997 |" in text
    assert "| 2031-01-01T00:00:00 | 130 | 60 | 0 → 2,400 | 40.0 | 2,000 | 300 |" in text
    assert "from an empty data dir in one run" in text and "Index: 14,000 documents, 201,000 chunks" in text
    assert "| 2031-02-02T00:00:00 | 0 | 7000 | 0 → 201,000 | 28.7 | 4,100 | 2,100 |" in text
    assert "| set.jsonl | 200 → 2,400 | 0.900 → 0.880 | 0.600 → 0.590 |" in text
    assert "| set.jsonl · test part (frozen), 30 q | | 0.950 → 0.900 | 0.500 → 0.450 |" in text
    assert "| after | /api/ask | 20 × 60 s | 30.5 | 640 | 900 | 1500 | 2× 503 | 48.2 | 1,100 → 1,210 |" in text
    assert "Retrieval by precision" not in text  # no retrieval JSON, no table


def test_a_readme_without_the_markers_is_refused(tmp_path, monkeypatch):
    readme = tmp_path / "README.md"
    readme.write_text("# no block here\n")
    monkeypatch.setattr(sys, "argv", ["bench_readme", "--dir", str(tmp_path), "--readme", str(readme)])
    with pytest.raises(SystemExit, match="no <!-- bench-results:begin -->"):
        bench_readme.main()
    assert readme.read_text() == "# no block here\n"
