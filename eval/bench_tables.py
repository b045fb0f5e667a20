"""Retrieval benchmark results: per-mode rankings, their scores, and the Markdown report of the ablation."""

from __future__ import annotations

import hashlib
import json
import os
import platform
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from eval.metrics import alqac_macro_f2, mrr_at_k, ndcg_at_k, percentile, recall_at_k

MODES = ("sparse", "dense", "hybrid")
MODE_LABELS = {"sparse": "BM25 (sparse)", "dense": "dense", "hybrid": "hybrid (RRF)"}
K = 10  # distinct documents scored per query
FETCH = 30  # chunks asked of the searcher before de-duplicating by document


@dataclass(frozen=True)
class BenchQuery:
    """One query of any dataset: its id, text, gold ids and category."""

    qid: str
    question: str
    gold: frozenset[str]
    category: str = ""


@dataclass
class ModeRun:
    """Per-query rankings (distinct ids, top K) and latencies of one mode."""

    mode: str
    ranked: dict[str, list[str]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class DatasetResult:
    """Everything the report needs about one dataset."""

    name: str
    queries: list[BenchQuery]
    runs: dict[str, ModeRun]
    notes: list[str] = field(default_factory=list)
    with_f2: bool = False


def score(queries: Sequence[BenchQuery], run: ModeRun, k: int = K) -> dict[str, float]:
    """Mean metrics of one mode over the queries."""
    n = len(queries) or 1
    out = {
        "R@1": sum(recall_at_k(run.ranked[q.qid], q.gold, 1) for q in queries) / n,
        "R@5": sum(recall_at_k(run.ranked[q.qid], q.gold, 5) for q in queries) / n,
        f"R@{k}": sum(recall_at_k(run.ranked[q.qid], q.gold, k) for q in queries) / n,
        f"MRR@{k}": sum(mrr_at_k(run.ranked[q.qid], q.gold, k) for q in queries) / n,
        f"nDCG@{k}": sum(ndcg_at_k(run.ranked[q.qid], q.gold, k) for q in queries) / n,
        "F2": alqac_macro_f2((run.ranked[q.qid][:1], q.gold) for q in queries),
    }
    times = [run.seconds[q.qid] * 1000 for q in queries]
    out["ms/query"] = sum(times) / len(times) if times else 0.0
    out["p95 ms"] = percentile(times, 95) if times else 0.0
    return out


def gold_rank(ranked: Sequence[str], gold: frozenset[str]) -> int | None:
    """1-based rank of the first gold id, or None when it is not in the list."""
    return next((r for r, i in enumerate(ranked, start=1) if i in gold), None)


def _fmt(value: float, ms: bool = False) -> str:
    return f"{value:.1f}" if ms else f"{value:.3f}"


def metrics_table(result: DatasetResult) -> str:
    """Markdown table: one row per mode."""
    cols = ["R@1", "R@5", f"R@{K}", f"MRR@{K}", f"nDCG@{K}"] + (["F2 (top-1)"] if result.with_f2 else []) \
        + ["ms/query", "p95 ms"]
    lines = ["| mode | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
    for mode in MODES:
        s = score(result.queries, result.runs[mode])
        s["F2 (top-1)"] = s["F2"]
        lines.append(f"| {MODE_LABELS[mode]} | " + " | ".join(_fmt(s[c], c.endswith("ms") or c == "ms/query")
                                                              for c in cols) + " |")
    return "\n".join(lines)


def in_tuning_half(qid: str) -> bool:
    """The fixed split of a benchmark's questions: settings are chosen on this half and reported on the other."""
    return int(hashlib.sha1(qid.encode("utf-8")).hexdigest(), 16) % 2 == 0


def halves_table(result: DatasetResult) -> str:
    """Markdown table of R@1 and MRR@K on the tuning half, the held-out half and all queries, per mode."""
    parts = [("tuning half (choices made here)", [q for q in result.queries if in_tuning_half(q.qid)]),
             ("held-out half", [q for q in result.queries if not in_tuning_half(q.qid)]),
             ("all", list(result.queries))]
    head = "| questions | n | " + " | ".join(f"{MODE_LABELS[m]} R@1 / MRR" for m in MODES) + " |"
    lines = [head, "|---|---|" + "---|" * len(MODES)]
    for name, qs in parts:
        cells = [f"{s['R@1']:.3f} / {s[f'MRR@{K}']:.3f}" for s in (score(qs, result.runs[m]) for m in MODES)]
        lines.append(f"| {name} | {len(qs)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def as_json(result: DatasetResult) -> dict:
    """One dataset's figures for the benchmark JSON: every metric per mode, and R@1/MRR per fixed half."""
    halves = {"tuning": [q for q in result.queries if in_tuning_half(q.qid)],
              "held_out": [q for q in result.queries if not in_tuning_half(q.qid)], "all": list(result.queries)}
    return {"name": result.name, "queries": len(result.queries),
            "modes": {m: {k: round(v, 6) for k, v in score(result.queries, result.runs[m]).items()} for m in MODES},
            "halves": {h: {m: {k: round(score(qs, result.runs[m])[k], 6) for k in ("R@1", f"MRR@{K}")}
                           for m in MODES} for h, qs in halves.items()}}


def category_table(result: DatasetResult) -> str:
    """Markdown table of R@5 and MRR@K per category and mode."""
    by_cat: dict[str, list[BenchQuery]] = defaultdict(list)
    for q in result.queries:
        by_cat[q.category or "(none)"].append(q)
    head = "| category | n | " + " | ".join(f"{MODE_LABELS[m]} R@5 / MRR" for m in MODES) + " |"
    lines = [head, "|---|---|" + "---|" * len(MODES)]
    for cat in sorted(by_cat):
        qs = by_cat[cat]
        cells = []
        for m in MODES:
            s = score(qs, result.runs[m])
            cells.append(f"{s['R@5']:.3f} / {s[f'MRR@{K}']:.3f}")
        lines.append(f"| {cat} | {len(qs)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def hybrid_losses(result: DatasetResult, examples: int = 6) -> str:
    """Where fusion does worse than one of its halves: counts and a few example queries."""
    runs = result.runs
    ranks = {q.qid: {m: gold_rank(runs[m].ranked[q.qid], q.gold) for m in MODES} for q in result.queries}
    big = K + 1

    def r(x: int | None) -> int:
        return big if x is None else x

    worse = [q for q in result.queries
             if r(ranks[q.qid]["hybrid"]) > min(r(ranks[q.qid]["sparse"]), r(ranks[q.qid]["dense"]))]
    better = [q for q in result.queries
              if r(ranks[q.qid]["hybrid"]) < min(r(ranks[q.qid]["sparse"]), r(ranks[q.qid]["dense"]))]
    top1 = {m: {q.qid for q in result.queries if ranks[q.qid][m] == 1} for m in MODES}
    lost_s = top1["sparse"] - top1["hybrid"]
    lost_d = top1["dense"] - top1["hybrid"]
    only_s = {q.qid for q in result.queries if ranks[q.qid]["sparse"] and not ranks[q.qid]["hybrid"]}
    only_d = {q.qid for q in result.queries if ranks[q.qid]["dense"] and not ranks[q.qid]["hybrid"]}
    oracle = sum(1 for q in result.queries if 1 in (ranks[q.qid]["sparse"], ranks[q.qid]["dense"]))
    n = len(result.queries) or 1
    lines = [
        f"- hybrid ranks the gold lower than the better single mode on {len(worse)} of {len(result.queries)} "
        f"queries, higher than both on {len(better)}",
        f"- gold at rank 1 in BM25 but not in hybrid: {len(lost_s)}; in dense but not in hybrid: {len(lost_d)}; "
        f"top-1 oracle (best of BM25/dense per query): R@1 {oracle / n:.3f}",
        f"- gold in BM25's top {K} but missing from hybrid's: {len(only_s)}; in dense's top {K} but missing "
        f"from hybrid's: {len(only_d)}",
    ]
    worst = sorted(worse, key=lambda q: (r(ranks[q.qid]["hybrid"]) - min(r(ranks[q.qid]["sparse"]),
                                                                          r(ranks[q.qid]["dense"]))), reverse=True)
    if worst:
        lines += ["", "| qid | question | BM25 | dense | hybrid |", "|---|---|---|---|---|"]
        for q in worst[:examples]:
            text = q.question if len(q.question) <= 110 else q.question[:107] + "…"
            cell = [str(ranks[q.qid][m]) if ranks[q.qid][m] else f">{K}" for m in MODES]
            lines.append(f"| {q.qid} | {text.replace('|', '/')} | " + " | ".join(cell) + " |")
    return "\n".join(lines)


def render(results: Sequence[DatasetResult], model: str) -> str:
    """The whole Markdown report."""
    out = ["# Retrieval ablation: BM25 vs dense vs hybrid", "",
           f"Model `{model}`; {os.cpu_count()} cores; Python {platform.python_version()}; top {K} distinct "
           f"documents from {FETCH} chunks per query. Recall@k is hit recall (any gold document in the top k). "
           "BM25 is our sparse mode (pyvi-segmented terms, saturated TF, IDF applied by Qdrant); hybrid fuses "
           "dense and sparse (fusion named in the row). Latency is the whole `Searcher.search` call (query embedding included) "
           "on one thread, after a warm-up query."]
    for res in results:
        out += ["", f"## {res.name}: {len(res.queries)} queries", ""]
        out += [f"- {n}" for n in res.notes] + [""]
        out.append(metrics_table(res))
        if res.with_f2:
            out += ["", "F2 is ALQAC's macro F2 of the top-1 prediction (mean of per-query F2).", "",
                    "Fixed halves (sha1 of the question id; retrieval settings were chosen on the tuning half):", "",
                    halves_table(res)]
        if any(q.category for q in res.queries):
            out += ["", "Per category:", "", category_table(res)]
        out += ["", "Where hybrid loses to a single half:", "", hybrid_losses(res)]
    return "\n".join(out) + "\n"


def dump_per_query(result: DatasetResult, path: Path) -> None:
    """Per-query rankings and latencies of every mode as JSONL (for digging into failures)."""
    with open(path, "w", encoding="utf-8") as fh:
        for q in result.queries:
            row = {"qid": q.qid, "question": q.question, "gold": sorted(q.gold), "category": q.category}
            for m in MODES:
                ranked = result.runs[m].ranked[q.qid]
                row[m] = {"ranked": ranked, "rank": gold_rank(ranked, q.gold),
                          "ms": round(result.runs[m].seconds[q.qid] * 1000, 2)}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
