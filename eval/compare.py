"""Compare two evaluation runs: metric deltas per mode and the questions whose outcome changed, regressions first."""

from __future__ import annotations

import json

from eval.plots import main_mode, mode_summary, modes
from eval.report import cell, fmt

# overall metrics compared, with +1 when higher is better and -1 when lower is
DELTA_METRICS = (("recall@1", "Recall@1", 1), ("recall@5", "Recall@5", 1), ("recall@10", "Recall@10", 1),
                 ("mrr@10", "MRR@10", 1), ("ndcg@10", "nDCG@10", 1),
                 ("citation_precision", "Citation precision", 1), ("citation_recall", "Citation recall", 1),
                 ("fact_recall", "Fact recall", 1), ("invented_number_rate", "Invented-number rate", -1),
                 ("answered_rate", "Answered rate", 0), ("decision_accuracy", "Answer/refuse decision accuracy", 1))
REFUSAL_METRICS = (("refusal_accuracy", "Refusal accuracy (unanswerables)", 1),
                   ("false_refusal_rate", "False-refusal rate", -1))
LATENCY_METRICS = (("p50", "Latency p50 (ms)", -1), ("p95", "Latency p95 (ms)", -1))
ORDER = {"regression": 0, "mixed": 1, "improvement": 2}


def _header(a: dict, b: dict) -> list[str]:
    ra, rb = a.get("run", {}), b.get("run", {})
    rows = [(label, str(ra.get(k, "–")), str(rb.get(k, "–"))) for k, label in
            (("dataset", "Dataset"), ("git_commit", "Git commit"), ("started", "Started"), ("model", "Model"),
             ("index_key", "Index key"), ("main_mode", "Main mode"))]
    rows.append(("Modes", ", ".join(ra.get("modes") or []), ", ".join(rb.get("modes") or [])))
    rows.append(("Dataset sha256", (ra.get("dataset_sha256") or "–")[:12], (rb.get("dataset_sha256") or "–")[:12]))
    sa, sb = ra.get("settings") or {}, rb.get("settings") or {}
    for key in sorted(set(sa) | set(sb)):
        if sa.get(key) != sb.get(key):
            rows.append((f"Setting `{key}`", json.dumps(sa.get(key), ensure_ascii=False),
                         json.dumps(sb.get(key), ensure_ascii=False)))
    lines = ["## Runs", "", "| | A | B |", "|---|---|---|"]
    return lines + [f"| {cell(x)} | {cell(y)} | {cell(z)} |" for x, y, z in rows] + [""]


def _delta(va, vb, better: int, digits: int) -> str:
    if va is None or vb is None:
        return "–"
    d = vb - va
    word = "" if not better or abs(d) < 1e-12 else (" better" if d * better > 0 else " worse")
    return f"{d:+.{digits}f}{word}"


def _deltas(a: dict, b: dict, mode: str) -> list[str]:
    sa, sb = mode_summary(a, mode), mode_summary(b, mode)
    rows = []
    for part, metrics, digits in (("overall", DELTA_METRICS, 3), ("refusal", REFUSAL_METRICS, 3),
                                  ("latency", LATENCY_METRICS, 0)):
        pa, pb = sa.get(part) or {}, sb.get(part) or {}
        for key, label, better in metrics:
            va, vb = pa.get(key), pb.get(key)
            if va is not None or vb is not None:
                rows.append(f"| {label} | {fmt(va, digits)} | {fmt(vb, digits)} | {_delta(va, vb, better, digits)} |")
    return [f"### Mode `{mode}`", "", "| Metric | A | B | Δ (B − A) |", "|---|---|---|---|", *rows, ""]


def changes(question: dict, oa: dict, ob: dict) -> list[tuple[int, str]]:
    """How one question's outcome changed from A to B, as (+1 improvement / -1 regression, description)."""
    sa, sb = oa.get("scores") or {}, ob.get("scores") or {}
    answerable = question.get("answerable", True)
    out: list[tuple[int, str]] = []
    ref_a, ref_b = sa.get("refused", not oa.get("answered")), sb.get("refused", not ob.get("answered"))
    if ref_a != ref_b:
        good = ref_b != answerable  # refusing is right exactly when the question is unanswerable
        out.append((1 if good else -1, "answered → refused" if ref_b else "refused → answered"))
    if bool(oa.get("error")) != bool(ob.get("error")):
        out.append((-1, f"error: {ob['error']}") if ob.get("error") else (1, "error fixed"))
    for key, label in (("fact_recall", "fact recall"), ("citation_precision", "citation precision")):
        va, vb = sa.get(key), sb.get(key)
        if va is not None and vb is not None and abs(va - vb) > 1e-9:
            out.append((1 if vb > va else -1, f"{label} {'up' if vb > va else 'down'} {va:.2f} → {vb:.2f}"))
    inv_a, inv_b = set(sa.get("invented_numbers") or []), set(sb.get("invented_numbers") or [])
    if inv_b - inv_a:
        out.append((-1, "invented numbers appeared: " + ", ".join(sorted(inv_b - inv_a))))
    if inv_a - inv_b:
        out.append((1, "invented numbers disappeared: " + ", ".join(sorted(inv_a - inv_b))))
    rank_a, rank_b = sa.get("first_gold_rank"), sb.get("first_gold_rank")
    if rank_a != rank_b and "first_gold_rank" in sa and "first_gold_rank" in sb:
        worse = rank_a is not None and (rank_b is None or rank_b > rank_a)
        out.append((-1 if worse else 1, f"first gold rank {fmt(rank_a)} → {fmt(rank_b)}"))
    return out


def _verdict(found: list[tuple[int, str]]) -> str:
    signs = {s for s, _ in found}
    return "mixed" if signs == {1, -1} else "regression" if -1 in signs else "improvement"


def compare(a: dict, b: dict, mode: str | None = None) -> str:
    """Markdown comparison of run A and run B (per-question changes for `mode`, default B's main mode)."""
    common = [m for m in modes(a) if m in modes(b)]
    mode = mode or next((m for m in (main_mode(b), main_mode(a)) if m in common), common[0] if common else None)
    lines = ["# Evaluation comparison: A → B", ""] + _header(a, b) + ["## Overall metric deltas", ""]
    for m in common:
        lines += _deltas(a, b, m)
    if not common:
        lines += ["The runs share no mode.", ""]
    qa = {q["id"]: q for q in a.get("questions", [])}
    qb = {q["id"]: q for q in b.get("questions", [])}
    changed = []
    for qid in qa.keys() & qb.keys():
        oa, ob = qa[qid].get("outputs", {}).get(mode), qb[qid].get("outputs", {}).get(mode)
        found = changes(qb[qid], oa, ob) if oa is not None and ob is not None else []
        if found:
            changed.append((ORDER[_verdict(found)], -sum(s < 0 for s, _ in found), qid, found))
    tally = {v: sum(order == ORDER[v] for order, *_ in changed) for v in ORDER}
    lines += [f"## Questions whose outcome changed — mode `{mode}` ({len(changed)})", "",
              f"{tally['regression']} regressed, {tally['mixed']} mixed, {tally['improvement']} improved "
              "(▼ worse, ▲ better).", ""]
    if changed:
        lines += ["| Question | Category | Verdict | Changes |", "|---|---|---|---|"]
        for order, _, qid, found in sorted(changed):
            q = qb[qid]
            text = q.get("question", "")
            label = f"{qid}: {text[:70]}{'…' if len(text) > 70 else ''}"
            marks = "; ".join(("▲ " if s > 0 else "▼ ") + d for s, d in found)
            lines.append(f"| {cell(label)} | {cell(q.get('category', ''))} | "
                         f"{next(k for k, v in ORDER.items() if v == order)} | {cell(marks)} |")
        lines.append("")
    else:
        lines += ["No question changed outcome.", ""]
    for name, only in (("A", qa.keys() - qb.keys()), ("B", qb.keys() - qa.keys())):
        if only:
            source = qa if name == "A" else qb
            lines += [f"## Questions only in {name} ({len(only)})", ""]
            lines += [f"- {qid}: {cell(source[qid].get('question', ''))}" for qid in sorted(only)] + [""]
    return "\n".join(lines)
