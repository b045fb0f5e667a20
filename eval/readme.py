"""The README's results table, rebuilt from `ntm eval run` reports (between the eval markers)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

BEGIN, END = "<!-- eval-results:begin -->", "<!-- eval-results:end -->"


def _f(value, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def results_table(runs: Sequence[dict]) -> str:
    """Markdown: one table per run, a row per mode (main mode in bold), plus where and when it was run."""
    out = []
    for r in runs:
        info, kind = r["run"], r["run"].get("dataset_kind", "dev")
        name = Path(info["dataset"]).name or info["dataset"]
        out.append(f"**{name}** ({len(r['questions'])} questions; {info['started'][:10]}, commit "
                   f"`{info['git_commit'][:10]}`, {info['cores']} cores, {info['model']}, fusion "
                   f"{info['settings'].get('fusion')}):\n")
        if kind == "alqac":
            out.append("| mode | R@1 | R@5 | R@10 | MRR@10 | nDCG@10 | macro-F2 | answer p95 ms |\n"
                       "|---|---|---|---|---|---|---|---|")
        else:
            out.append("| mode | R@1 | R@5 | MRR@10 | citation precision | citation recall | fact recall | "
                       "refusal accuracy | invented-number rate | answer p95 ms |\n"
                       "|---|---|---|---|---|---|---|---|---|---|")
        for mode in info["modes"]:
            s = r["summary"][mode]
            label = f"**{mode}**" if mode == info["main_mode"] else mode
            p95 = _f(s["latency"].get("p95"), 0)
            # a split set shows its frozen test part first (the number to trust), then the dev part it was tuned on
            parts = [(f"{label} · test part (frozen, {o['n']} q)" if sp == "test" else f"{label} · dev part ({o['n']} q)",
                      o, o["refusal"]) for sp, o in sorted((s.get("by_split") or {}).items(), key=lambda x: x[0] != "test")]
            for name, o, refusal in parts or [(label, s["overall"], s["refusal"])]:
                out.append(f"| {name} | " + " | ".join(_f(c) for c in _cells(kind, o, refusal, s)) + f" | {p95} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _cells(kind: str, o: dict, refusal: dict, s: dict) -> list:
    if kind == "alqac":
        return [o.get("recall@1"), o.get("recall@5"), o.get("recall@10"), o.get("mrr@10"), o.get("ndcg@10"),
                s.get("alqac_macro_f2")]
    return [o.get("recall@1"), o.get("recall@5"), o.get("mrr@10"), o.get("citation_precision"),
            o.get("citation_recall"), o.get("fact_recall"), refusal.get("refusal_recall"),
            o.get("invented_number_rate")]


def update_readme(readme: Path, runs: Sequence[dict]) -> None:
    """Replace the text between the eval markers with tables of these runs; ValueError when markers are missing."""
    text = readme.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text or text.index(BEGIN) > text.index(END):
        raise ValueError(f"{readme} has no {BEGIN} … {END} section to fill")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{BEGIN}\n{results_table(runs)}{END}{tail}", encoding="utf-8")
