"""PNG plots of an evaluation run: per-category bars, latency histograms and the ablation across modes."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display, no GUI toolkit

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FixedLocator, MaxNLocator, NullFormatter, ScalarFormatter  # noqa: E402

from eval.answer_metrics import aggregate, latency_summary, refusal_counts  # noqa: E402

FIGSIZE, DPI = (9, 5), 110
# DejaVu Sans ships with matplotlib and has the Vietnamese glyphs; nothing is fetched
STYLE = {"font.family": "DejaVu Sans", "font.size": 9, "axes.titlesize": 11, "axes.spines.top": False,
         "axes.spines.right": False}
LABELS = {"recall@5": "Recall@5", "mrr@10": "MRR@10", "citation_precision": "Citation precision",
          "citation_recall": "Citation recall", "fact_recall": "Fact recall",
          "decision_accuracy": "Answer/refuse\ndecision correct",
          "invented_number_rate": "Invented-number\nrate (lower\nis better)"}
CATEGORY_METRICS = ("recall@5", "citation_precision", "fact_recall", "decision_accuracy")
ABLATION_METRICS = ("recall@5", "mrr@10", "citation_precision", "citation_recall", "fact_recall",
                    "decision_accuracy", "invented_number_rate")


def main_mode(results: dict) -> str:
    """The run's main mode (its `main_mode`, else the first mode)."""
    run = results.get("run", {})
    return run.get("main_mode") or (run.get("modes") or list(results.get("summary", {})) or ["hybrid"])[0]


def modes(results: dict) -> list[str]:
    """The modes of the run that have outputs, in the run's order."""
    listed = results.get("run", {}).get("modes") or list(results.get("summary", {}))
    seen = {m for q in results.get("questions", []) for m in q.get("outputs", {})}
    return [m for m in listed if m in seen or m in results.get("summary", {})]


def score_rows(results: dict, mode: str) -> list[dict]:
    """One flat row per question answered in `mode`: id, category, answerable, latency and its scores."""
    rows = []
    for q in results.get("questions", []):
        out = q.get("outputs", {}).get(mode)
        if out is not None:
            rows.append({"id": q["id"], "category": q.get("category", ""), "answerable": q.get("answerable", True),
                         "latency_ms": out.get("latency_ms"), **(out.get("scores") or {})})
    return rows


def mode_summary(results: dict, mode: str) -> dict:
    """The runner's summary of a mode, or one computed from the question rows when it is missing."""
    given = results.get("summary", {}).get(mode)
    if given and given.get("overall") and "by_category" in given:
        return given
    rows = score_rows(results, mode)
    return {**aggregate(rows), "refusal": refusal_counts(r for r in rows if "refused" in r),
            "latency": latency_summary([r["latency_ms"] for r in rows if r.get("latency_ms") is not None])}


def _bars(ax, groups: list[str], series: dict[str, list[float | None]], colours) -> None:
    """Grouped bars with the value written on each bar; a missing value shows as "n/a"."""
    width = 0.8 / max(len(series), 1)
    small = len(groups) * len(series) > 16  # many bars: turn the labels so they do not collide
    for i, (name, values) in enumerate(series.items()):
        xs = [g + (i - (len(series) - 1) / 2) * width for g in range(len(groups))]
        heights = [v if v is not None else 0.0 for v in values]
        bars = ax.bar(xs, heights, width * 0.92, label=name, color=colours[i % len(colours)])
        for bar, v in zip(bars, values):
            text = "n/a" if v is None else f"{v:.2f}"
            ax.annotate(text, (bar.get_x() + bar.get_width() / 2, bar.get_height()), xytext=(0, 2),
                        textcoords="offset points", ha="center", va="bottom", fontsize=6.5 if small else 7.5,
                        rotation=90 if small else 0, color="0.45" if v is None else "0.1")
    ax.set_xticks(range(len(groups)), groups)
    ax.set_ylim(0, 1.22 if small else 1.12)
    ax.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)


def category_bars(results: dict, path: Path) -> Path:
    """Per-category Recall@5, citation precision, fact recall and refusal accuracy of the main mode."""
    mode = main_mode(results)
    by_cat = mode_summary(results, mode)["by_category"]
    cats = list(by_cat)
    names = {**LABELS, "decision_accuracy": "Answer/refuse correct (= refusal accuracy on unanswerables)"}
    series = {names[m]: [by_cat[c].get(m) for c in cats] for m in CATEGORY_METRICS}
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=FIGSIZE, dpi=DPI)
        _bars(ax, [f"{c}\n(n={by_cat[c].get('n', 0)})" for c in cats], series, plt.get_cmap("tab10").colors)
        ax.set_title(f"Answer quality per question category — mode “{mode}”")
        ax.set_xlabel("Question category (number of questions)")
        ax.set_ylabel("Score (0–1, higher is better)")
        if len(cats) > 5:
            plt.setp(ax.get_xticklabels(), rotation=20, ha="right", rotation_mode="anchor")
        # below the axis label, in a strip of its own, so that it never covers bars or tick labels
        fig.legend(*ax.get_legend_handles_labels(), ncols=len(series), loc="lower center", frameon=False)
        fig.tight_layout(rect=(0, 0.06, 1, 1))
        fig.savefig(path)
        plt.close(fig)
    return Path(path)


def latency_histogram(results: dict, path: Path) -> Path:
    """Histogram of per-question latency (ms) for each mode, with its p50 and p95 marked."""
    per_mode = {m: [r["latency_ms"] for r in score_rows(results, m) if r.get("latency_ms") is not None]
                for m in modes(results)}
    per_mode = {m: v for m, v in per_mode.items() if v}
    everything = [v for vs in per_mode.values() for v in vs]
    lo, hi = (max(min(everything), 0.1), max(everything)) if everything else (1.0, 10.0)
    log = hi / lo > 30  # an LLM mode is 100x slower than extractive: a linear axis would hide the fast ones
    bins = ([lo * (hi / lo) ** (i / 30) for i in range(31)] if log and hi > lo
            else [lo + (hi - lo) * i / 30 for i in range(31)] if hi > lo else 10)
    colours = plt.get_cmap("tab10").colors
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=FIGSIZE, dpi=DPI)
        for i, (mode, values) in enumerate(per_mode.items()):
            c = colours[i % len(colours)]
            ax.hist(values, bins=bins, color=c, alpha=0.35, label=f"{mode} (n={len(values)})")
            ax.hist(values, bins=bins, color=c, histtype="step", linewidth=1.2)
            s = latency_summary(values)
            ax.axvline(s["p50"], color=c, linestyle="--", linewidth=1.3, label=f"{mode} p50 = {s['p50']:.0f} ms")
            ax.axvline(s["p95"], color=c, linestyle=":", linewidth=1.6, label=f"{mode} p95 = {s['p95']:.0f} ms")
        if log:  # plain millisecond ticks: "200", "1000", not powers of ten
            ax.set_xscale("log")
            ticks = [t * 10 ** e for e in range(-1, 7) for t in (1, 2, 5) if lo / 1.5 <= t * 10 ** e <= hi * 1.5]
            ax.xaxis.set_major_locator(FixedLocator(ticks))
            ax.xaxis.set_major_formatter(ScalarFormatter())
            ax.xaxis.set_minor_formatter(NullFormatter())
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title("Per-question answer latency by mode (dashed: p50, dotted: p95)")
        ax.set_xlabel("Latency (ms" + (", log scale)" if log else ")"))
        ax.set_ylabel("Number of questions")
        ax.grid(axis="y", alpha=0.3)
        ax.set_axisbelow(True)
        if not per_mode:
            ax.text(0.5, 0.5, "no latency recorded", transform=ax.transAxes, ha="center")
        # one legend column per mode (its bars, p50, p95) under the plot, clear of the histograms
        fig.legend(*ax.get_legend_handles_labels(), ncols=max(len(per_mode), 1), loc="lower center",
                   fontsize=8, frameon=False)
        rows = 3 if per_mode else 0
        fig.tight_layout(rect=(0, 0.04 * rows, 1, 1))
        fig.savefig(path)
        plt.close(fig)
    return Path(path)


def ablation_bars(results: dict, path: Path) -> Path:
    """The main overall metrics side by side for every mode of the run."""
    ms = modes(results)
    overall = {m: mode_summary(results, m)["overall"] for m in ms}
    series = {f"{m} (main)" if m == main_mode(results) else m: [overall[m].get(k) for k in ABLATION_METRICS]
              for m in ms}
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=FIGSIZE, dpi=DPI)
        _bars(ax, [LABELS[k] for k in ABLATION_METRICS], series, plt.get_cmap("Set2").colors)
        ax.set_title("Ablation: overall metrics per retrieval / answer mode")
        ax.set_xlabel("Metric")
        ax.set_ylabel("Score (0–1)")
        plt.setp(ax.get_xticklabels(), fontsize=8)
        fig.legend(*ax.get_legend_handles_labels(), title="Mode", ncols=len(series), loc="lower center",
                   frameon=False)
        fig.tight_layout(rect=(0, 0.1, 1, 1))
        fig.savefig(path)
        plt.close(fig)
    return Path(path)
