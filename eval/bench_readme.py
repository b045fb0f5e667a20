"""The README's benchmark tables, rebuilt from the JSON the benchmarks write (between the bench markers).

Usage: python -m eval.bench_readme [--dir eval/benchmarks] [--readme README.md]
Reads embed.json (eval/bench_embed.py), query_encoder.json (eval/bench_query_encoder.py), the retrieval
runs of eval/bench_retrieval.py (retrieval-fp32.json with NTM_EMBED_PRECISION=fp32 NTM_QUERY_ENCODER=model,
retrieval-bf16-model.json with NTM_QUERY_ENCODER=model, retrieval.json with the defaults), scale.json and
scale-one-go.json (eval/bench_scale.py), layout.json, ann.json and load.json (eval/bench_load.py); a missing file leaves its
table out.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

BEGIN, END = "<!-- bench-results:begin -->", "<!-- bench-results:end -->"
REPO = Path(__file__).resolve().parents[1]


def _load(folder: Path, name: str) -> dict | None:
    path = folder / name
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _table(header: list[str], rows: list[list]) -> list[str]:
    """A Markdown table."""
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + \
        ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]


def machine_line(m: dict) -> str:
    """The machine the figures come from."""
    return (f"Machine: {m['cores']} cores, {m['cpu']}, CPU features {', '.join(m['features']) or 'none of note'}, "
            f"Python {m['python']}.")


def embed_table(e: dict) -> list[str]:
    """Throughput of every precision candidate on the same chunks."""
    head = [f"Embedding {e['chunks']} real chunks ({e['mean_tokens_per_chunk']} tokens each on average) "
            "(`python -m eval.bench_embed`):", ""]
    return head + _table(["candidate", "chunks/s", "tokens/s", "query ms", "× before",
                          "cosine to the fp32 vectors (min / mean)"],
                         [[label, r["chunks_per_s"], f"{r['tokens_per_s']:,}", r["query_ms"], r["speedup"],
                           f"{r['cosine_min']:.5f} / {r['cosine_mean']:.5f}"] for label, r in e["results"].items()])


def query_encoder_table(q: dict) -> list[str]:
    """Questions embedded one at a time in a fresh process per candidate: memory, latency, vectors."""
    head = [f"Embedding the {next(iter(q['results'].values()))['questions']} questions of the NTM dev and officer "
            "sets one at a time, each candidate in a fresh process (`python -m eval.bench_query_encoder`):", ""]
    return head + _table(["candidate", "RSS after loading MB", "peak RSS MB", "load s", "p50 ms", "p95 ms",
                          "p50 × before", "cosine to the torch fp32 vectors (min / mean)"],
                         [[label, f"{r['rss_loaded_mb']:,}", f"{r['peak_rss_mb']:,}", r["load_s"], r["query_ms_p50"],
                           r["query_ms_p95"], r["p50_vs_before"], f"{r['cosine_min']:.6f} / {r['cosine_mean']:.6f}"]
                          for label, r in q["results"].items()])


def quality_table(runs: list[dict]) -> list[str]:
    """R@1 / MRR@10 per precision, per dataset and mode."""
    out = ["| passages | questions | set | BM25 R@1 / MRR | dense R@1 / MRR | hybrid R@1 / MRR |",
           "|---|---|---|---|---|---|"]
    for run in runs:
        questions = run.get("questions", "the model")  # runs before the numpy question path embedded them alike
        for d in run["datasets"]:
            cells = [f"{d['modes'][m]['R@1']:.3f} / {d['modes'][m]['MRR@10']:.3f}" for m in ("sparse", "dense", "hybrid")]
            out.append(f"| {run['precision'] or '-'} | {questions} | {d['name']} ({d['queries']} q) | "
                       + " | ".join(cells) + " |")
    return out


def halves_table(run: dict) -> list[str]:
    """R@1 / MRR@10 on the fixed halves of the first dataset (ALQAC)."""
    d = run["datasets"][0]
    names = {"tuning": "tuning half (choices made here)", "held_out": "held-out half", "all": "all"}
    out = [f"{d['name']}, fixed halves (sha1 of the question id):", "",
           "| questions | BM25 R@1 / MRR | dense R@1 / MRR | hybrid R@1 / MRR |", "|---|---|---|---|"]
    for half, label in names.items():
        cells = [f"{d['halves'][half][m]['R@1']:.3f} / {d['halves'][half][m]['MRR@10']:.3f}"
                 for m in ("sparse", "dense", "hybrid")]
        out.append(f"| {label} | " + " | ".join(cells) + " |")
    return out


def _noted(label: str, run: dict) -> str:
    """A run's label with its note, if it has one, in brackets."""
    return f"{label} ({run['note']})" if run.get("note") else label


def ingest_runs_table(heading: str, s: dict) -> list[str]:
    """Ingest runs, one row each, and the index they left."""
    out = [heading, "", "| ingest run | exit | wall s | chunks before → after | chunks/s | peak RSS MB | index on disk MB |",
           "|---|---|---|---|---|---|---|"]
    out += [f"| {_noted(r['started'], r)} | {r['exit_code']} | {r['seconds']:.0f} | {r['chunks_before']:,} → "
            f"{r['chunks_after']:,} | {r['chunks_per_s']} | {r['peak_rss_mb']:,} | {r['disk_mb']:,} |"
            for r in s.get("ingest_runs", [])]
    if "index" in s:
        i = s["index"]
        out += ["", f"Index: {i['documents']:,} documents, {i['chunks']:,} chunks, {i['disk_mb']:,} MB on disk."]
    return out


def one_go_table(s: dict) -> list[str]:
    """The whole corpus indexed from an empty data dir in one uninterrupted run."""
    return ingest_runs_table("The same corpus from an empty data dir in one run (`python -m eval.bench_scale "
                             "--data-dir NEW --ingest --max-minutes 130 --json eval/benchmarks/scale-one-go.json`):", s)


def scale_tables(s: dict) -> list[str]:
    """The whole-corpus ingest, run by run, and answering on that index."""
    out = ingest_runs_table("Whole corpus (`python -m eval.bench_scale --data-dir DIR --ingest [--max-minutes M]`, "
                            "then `--ask`):", s)
    if "ask" in s:
        a = s["ask"]
        out += ["", "| POST /api/ask | p50 ms | p95 ms | max ms | server p50 / p95 ms | answered | peak RSS MB |",
                "|---|---|---|---|---|---|---|",
                f"| {a['requests']} requests on {a['chunks']:,} chunks | {a['p50_ms']:.0f} | {a['p95_ms']:.0f} | "
                f"{a['max_ms']:.0f} | {a['server_p50_ms']:.0f} / {a['server_p95_ms']:.0f} | "
                f"{a['answered']}/{a['requests']} | {a['peak_rss_mb']:,} |"]
    if s.get("distractors"):
        out += ["", "The Q&A sets with the tvpl pages indexed beside their documents (`--distractors SET...`; hybrid):",
                "", "| set | chunks alone → with tvpl | R@5 alone → with | fact recall alone → with |", "|---|---|---|---|"]
        for d in s["distractors"]:
            a, w = d["alone"], d["with_tvpl"]
            out.append(f"| {d['dataset']} | {a['chunks']:,} → {w['chunks']:,} | {a['recall@5']:.3f} → "
                       f"{w['recall@5']:.3f} | {a['fact_recall']:.3f} → {w['fact_recall']:.3f} |")
            for part, p in sorted(d.get("parts", {}).items()):  # each part of a split set, its frozen test part too
                if part != "all":
                    label = "test part (frozen)" if part == "test" else f"{part} part"
                    out.append(f"| {d['dataset']} · {label}, {p['alone']['questions']} q | | "
                               f"{p['alone']['recall@5']:.3f} → {p['with_tvpl']['recall@5']:.3f} | "
                               f"{p['alone']['fact_recall']:.3f} → {p['with_tvpl']['fact_recall']:.3f} |")
    return out


def ann_table(a: dict) -> list[str]:
    """Approximate dense search against exact search on the large index."""
    out = [f"Dense search settings on {a['chunks']:,} chunks, {a['questions']} questions (`python -m eval.bench_ann`):",
           "", "| setting | top-10 overlap with exact | p50 ms | p95 ms |", "|---|---|---|---|"]
    for label, r in a["settings"].items():
        overlap = f"{r['overlap@10']:.3f}" if "overlap@10" in r else "(reference)"
        out.append(f"| {label} | {overlap} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} |")
    return out


def layout_table(lay: dict) -> list[str]:
    """Embedded-store layouts at one size."""
    head = [f"Embedded-store layouts, {lay['points']:,} points, 200 hybrid queries (`python -m eval.bench_layout`):", ""]
    return head + _table(["layout", "build s", "RSS to open MB", "RSS after queries MB", "p50 ms", "p95 ms", "disk MB"],
                         [[name, r["build_s"], f"{r['rss_open_mb']:,}", f"{r['rss_after_queries_mb']:,}", r["p50_ms"],
                           r["p95_ms"], f"{r['disk_mb']:,}"] for name, r in lay["layouts"].items()])


def load_table(load: dict) -> list[str]:
    """Concurrent users on a real server, run by run and route by route."""
    last = load["runs"][-1]
    out = [f"Load on a real `ntm serve` over seeds + ntm ({last.get('documents')} documents, {last.get('chunks')} "
           "chunks), users asking back to back (`python -m eval.bench_load --users 20 --seconds 60 --label NAME`; "
           "the web chat's rate limit lifted for the run):", ""]
    rows = []
    for r in load["runs"]:
        label = _noted(r["label"], r)
        rss = r["server_rss_mb"]
        for route, p in r["phases"].items():
            errors = ", ".join(f"{n}× {status}" for status, n in p["errors"].items()) or "0"
            rows.append([label, p["route"], f"{p['users']} × {p['seconds']:.0f} s", p["answers_per_s"], p["p50_ms"],
                         p["p95_ms"], p["max_ms"], errors, p["server_cpu_ms_per_answer"],
                         f"{rss['before']:,} → {rss[f'after_{route}']:,}"])
    return out + _table(["run", "route", "users × time", "answers/s", "p50 ms", "p95 ms", "max ms", "errors",
                         "server CPU ms per answer", "server RSS MB (start → after the phase)"], rows)


def render(folder: Path) -> str:
    """The whole block between the markers."""
    embed, scale = _load(folder, "embed.json"), _load(folder, "scale.json")
    quality = [r for r in (_load(folder, "retrieval-fp32.json"), _load(folder, "retrieval-bf16-model.json"),
                           _load(folder, "retrieval.json")) if r]
    first = embed or scale or (quality[0] if quality else None)
    out = [machine_line(first["machine"]), ""] if first else []
    if embed:
        out += embed_table(embed) + [""]
    if query := _load(folder, "query_encoder.json"):
        out += query_encoder_table(query) + [""]
    if quality:
        out += ["Retrieval by precision (`python -m eval.bench_retrieval --alqac ... --dev ... --json`):", ""]
        out += quality_table(quality) + [""] + halves_table(quality[-1]) + [""]
    if scale:
        out += scale_tables(scale) + [""]
    if one_go := _load(folder, "scale-one-go.json"):
        out += one_go_table(one_go) + [""]
    if layout := _load(folder, "layout.json"):
        out += layout_table(layout) + [""]
    if ann := _load(folder, "ann.json"):
        out += ann_table(ann) + [""]
    if load := _load(folder, "load.json"):
        out += load_table(load) + [""]
    return "\n".join(out)


def main() -> None:
    """Rewrite the README's benchmark block."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, default=REPO / "eval" / "benchmarks")
    ap.add_argument("--readme", type=Path, default=REPO / "README.md")
    args = ap.parse_args()
    text = args.readme.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{args.readme} has no {BEGIN} ... {END} block")
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    args.readme.write_text(f"{head}{BEGIN}\n{render(args.dir)}\n{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    main()
