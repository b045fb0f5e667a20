"""The evaluation report: summary.md (run info, metric tables, worst failures) and PNG plots in one folder."""

from __future__ import annotations

import json
from pathlib import Path

from eval.answer_metrics import fact_recall
from eval.plots import ablation_bars, category_bars, latency_histogram, main_mode, mode_summary, modes

# (key in the summary, label); rates and scores are 0-1, "lower" marks the ones where less is better
OVERALL_ROWS = (("recall@1", "Recall@1"), ("recall@5", "Recall@5"), ("recall@10", "Recall@10"),
                ("mrr@10", "MRR@10"), ("ndcg@10", "nDCG@10"), ("citation_precision", "Citation precision"),
                ("citation_recall", "Citation recall"), ("fact_recall", "Fact recall"),
                ("invented_number_rate", "Invented-number rate (lower is better)"),
                ("answered_rate", "Answered rate"), ("decision_accuracy", "Answer/refuse decision accuracy"))
REFUSAL_ROWS = (("refusal_precision", "Refusal precision", "refused"),  # (key, label, key of its n)
                ("refusal_recall", "Refusal recall (= refusal accuracy on unanswerables)", "unanswerable"),
                ("false_refusal_rate", "False-refusal rate on answerables (lower is better)", "answerable"))
CATEGORY_COLS = (("recall@5", "R@5"), ("mrr@10", "MRR@10"), ("citation_precision", "Cit. P"),
                 ("citation_recall", "Cit. R"), ("fact_recall", "Facts"), ("invented_number_rate", "Invented"),
                 ("answered_rate", "Answered"), ("decision_accuracy", "Decision acc."))
ANSWER_CHARS, WORST = 300, 10


def fmt(value, digits: int = 3) -> str:
    """A table cell: the number rounded, or an en dash for a missing value."""
    if value is None:
        return "–"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def cell(text) -> str:
    """Text made safe for one Markdown table cell (no pipes, no line breaks)."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows] + [""]


def _run_info(run: dict) -> list[str]:
    settings = json.dumps(run.get("settings") or {}, ensure_ascii=False, sort_keys=True)
    sha = (run.get("dataset_sha256") or "")[:12]
    rows = [["Dataset", f"`{run.get('dataset', '?')}` ({run.get('dataset_kind', '?')}, sha256 {sha})"],
            ["Corpus", ", ".join(f"`{c}`" for c in run.get("corpus") or []) or "–"],
            ["Index key", f"`{run.get('index_key', '–')}`"], ["Embedding model", run.get("model", "–")],
            ["Modes", ", ".join(run.get("modes") or [])], ["Main mode", run.get("main_mode", "–")],
            ["Settings", f"`{settings}`"], ["Git commit", f"`{run.get('git_commit', '–')}`"],
            ["Date (started)", run.get("started", "–")], ["Duration", f"{fmt(run.get('seconds'), 1)} s"],
            ["Machine cores", fmt(run.get("cores"))], ["Peak RSS", f"{fmt(run.get('peak_rss_mb'), 0)} MB"]]
    return ["## Run", ""] + _table(["", "Value"], rows)


def _mode_table(results: dict, mode: str) -> list[str]:
    s = mode_summary(results, mode)
    overall, refusal, latency = s["overall"], s.get("refusal") or {}, s.get("latency") or {}
    rows = [[label, fmt(overall.get(k)), fmt(overall.get(f"n_{k}", overall.get("n")))] for k, label in OVERALL_ROWS]
    rows += [[label, fmt(refusal.get(k)), fmt(refusal.get(n))] for k, label, n in REFUSAL_ROWS]
    if s.get("alqac_macro_f2") is not None:
        rows.append(["ALQAC macro F2", fmt(s["alqac_macro_f2"]), fmt(overall.get("n"))])
    rows += [[f"Latency {k} (ms)", fmt(latency.get(k), 0), fmt(overall.get("n"))]
             for k in ("p50", "p95", "max", "mean")]
    errors = sum(1 for q in results["questions"] if (q.get("outputs", {}).get(mode) or {}).get("error"))
    rows.append(["Questions with an error", str(errors), fmt(overall.get("n"))])
    title = f"### Mode `{mode}`" + (" (main)" if mode == main_mode(results) else "")
    return [title, ""] + _table(["Metric", "Value", "n"], rows)


def _category_table(results: dict, mode: str) -> list[str]:
    by_cat = mode_summary(results, mode)["by_category"]
    rows = [[c, str(v.get("n", 0))] + [fmt(v.get(k)) for k, _ in CATEGORY_COLS] for c, v in by_cat.items()]
    return [f"## Per category — mode `{mode}`", ""] + _table(["Category", "n"] + [h for _, h in CATEGORY_COLS], rows)


def _split_table(results: dict) -> list[str]:
    """Each mode on each part of a split set (dev: tuned on; test: frozen, never tuned to)."""
    rows = []
    for m in modes(results):
        for sp, o in (mode_summary(results, m).get("by_split") or {}).items():
            r = o.get("refusal") or {}
            rows.append([m, sp, fmt(o.get("n"))] + [fmt(o.get(k)) for k in (
                "recall@5", "mrr@10", "citation_precision", "fact_recall", "invented_number_rate")]
                + [fmt(r.get("refusal_accuracy")), fmt(r.get("false_refusal_rate"))])
    if not rows:
        return []
    header = ["Mode", "Part", "n", "R@5", "MRR@10", "Cit. P", "Facts", "Invented", "Refusal acc.", "False refusal"]
    return ["## Per part of the set (dev: tuned on; test: frozen)", ""] + _table(header, rows)


def _ablation_table(results: dict) -> list[str]:
    rows = []
    for m in modes(results):
        s = mode_summary(results, m)
        o, r, lat = s["overall"], s.get("refusal") or {}, s.get("latency") or {}
        rows.append([m + (" (main)" if m == main_mode(results) else "")]
                    + [fmt(o.get(k)) for k in ("recall@5", "mrr@10", "ndcg@10", "citation_precision",
                                               "citation_recall", "fact_recall", "invented_number_rate")]
                    + [fmt(r.get("refusal_accuracy")), fmt(r.get("false_refusal_rate")),
                       fmt(lat.get("p50"), 0), fmt(lat.get("p95"), 0)])
    header = ["Mode", "R@5", "MRR@10", "nDCG@10", "Cit. P", "Cit. R", "Facts", "Invented", "Refusal acc.",
              "False refusal", "p50 ms", "p95 ms"]
    return ["## Ablation across modes", ""] + _table(header, rows)


def problems(question: dict, out: dict) -> list[tuple[float, str]]:
    """What went wrong in one output, as (severity, description); empty when nothing did."""
    s, answerable = out.get("scores") or {}, question.get("answerable", True)
    refused = s.get("refused", not out.get("answered", False))
    found: list[tuple[float, str]] = []
    if out.get("error"):
        found.append((5.0, f"error: {out['error']}"))
    if not answerable and not refused:
        found.append((4.0, "answered an unanswerable question"))
    if answerable and refused:
        found.append((3.0, "false refusal"))
    if s.get("invented_numbers"):
        found.append((2.0, "invented number(s): " + ", ".join(s["invented_numbers"])))
    if answerable and not refused:
        missing = [f for f in question.get("answer_facts") or [] if not fact_recall(out.get("answer", ""), [f])]
        if missing:
            share = len(missing) / len(question["answer_facts"])
            found.append((2.0 * share, "missing fact(s): " + "; ".join(" / ".join(f) for f in missing)))
        gold = set(question.get("expected_sources") or [])
        cited = sorted({c.get("source_key") or "" for c in out.get("citations") or []} - {""})
        wrong = [k for k in cited if k not in gold]
        if wrong:
            found.append((len(wrong) / len(cited), "wrong citation: " + ", ".join(wrong)))
        elif not cited:
            found.append((1.0, "wrong citation: the answer cites nothing"))
    return found


def _failure(rank: int, question: dict, out: dict, found: list[tuple[float, str]]) -> list[str]:
    answer = " ".join((out.get("answer") or "").split())
    answer = answer[:ANSWER_CHARS] + ("…" if len(answer) > ANSWER_CHARS else "")
    facts = "; ".join(" / ".join(f"“{a}”" for a in f) for f in question.get("answer_facts") or []) or "–"
    gold = set(question.get("expected_sources") or [])
    cited = ", ".join(f"`{c.get('source_key')}`" + (" ✓" if c.get("source_key") in gold else " ✗")
                      for c in out.get("citations") or []) or "–"
    verdict = "refused" if not out.get("answered") else "answered"
    return [f"### {rank}. {question['id']} ({question.get('category', '?')}) — "
            + "; ".join(text.split(":")[0] for _, text in found), "",
            f"- **Question:** {question.get('question', '')}",
            f"- **Answerable:** {'yes' if question.get('answerable', True) else 'no'}",
            "- **Expected sources:** " + (", ".join(f"`{g}`" for g in question.get("expected_sources") or []) or "–"),
            f"- **Expected facts:** {facts}",
            f"- **System ({verdict}), first {ANSWER_CHARS} characters:** {answer or '–'}",
            f"- **Cited:** {cited}",
            f"- **First gold source rank in search:** {fmt((out.get('scores') or {}).get('first_gold_rank'))}",
            "- **What went wrong:** " + "; ".join(text for _, text in found), ""]


def worst_failures(results: dict, mode: str, limit: int = WORST) -> list[tuple[dict, dict, list]]:
    """The `limit` questions with the most severe problems in `mode`: (question, output, problems)."""
    scored = []
    for q in results.get("questions", []):
        out = q.get("outputs", {}).get(mode)
        found = problems(q, out) if out is not None else []
        if found:
            scored.append((-sum(sev for sev, _ in found), q["id"], q, out, found))
    return [(q, out, found) for _, _, q, out, found in sorted(scored, key=lambda t: t[:2])[:limit]]


def write_report(results: dict, folder: Path) -> list[Path]:
    """Write summary.md and the three PNG plots into `folder`; return the written paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    plots = [category_bars(results, folder / "category_bars.png"),
             latency_histogram(results, folder / "latency_histogram.png"),
             ablation_bars(results, folder / "ablation_bars.png")]
    mode = main_mode(results)
    run = results.get("run", {})
    lines = [f"# NTM assistant evaluation — {Path(run.get('dataset', 'dataset')).name}", ""]
    lines += _run_info(run) + ["## Overall metrics per mode", ""]
    for m in modes(results):
        lines += _mode_table(results, m)
    lines += _split_table(results) + _category_table(results, mode) + _ablation_table(results)
    lines += ["## Plots", ""] + [line for p in plots for line in (f"![{p.stem.replace('_', ' ')}]({p.name})", "")]
    worst = worst_failures(results, mode)
    lines += [f"## {len(worst)} worst failures — mode `{mode}`", ""]
    if not worst:
        lines += ["No failures: every question was answered or refused correctly, with gold citations, "
                  "all facts and no invented number.", ""]
    for rank, (q, out, found) in enumerate(worst, start=1):
        lines += _failure(rank, q, out, found)
    summary = folder / "summary.md"
    summary.write_text("\n".join(lines), encoding="utf-8")
    return [summary, *plots]
