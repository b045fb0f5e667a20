"""Answer metrics per question and their aggregation, computed from the system's real output.

One line per metric (None = not applicable; means ignore None):

  recall@k             1 if a gold source is among the top k distinct retrieved sources, else 0 (answerable only)
  mrr@10               1 / rank of the first gold source in the top 10 retrieved sources, 0 when absent
  ndcg@10              binary-relevance nDCG of the top 10 retrieved sources against the gold sources
  first_gold_rank      rank (1-based) of the first gold source among the retrieved sources, None when absent
  citation_precision   share of the distinct cited sources that are gold sources, over answered questions
                       (a refusal's citations are its closest documents, not claims: not scored)
  citation_recall      share of the gold sources the answer cites (a refusal of an answerable question: 0)
  fact_recall          share of the expected facts the answer states, any accepted spelling (refusal: 0)
  invented_numbers     numbers, dates and document numbers of the answer found in no cited quote, title,
                       number or location, nor in the document catalogue, nor in the question itself (an
                       answer names the asks it answers in the officer's words)
  invented_number_rate share of answers with at least one invented number
  answered_rate        share of questions the system answered rather than refused
  decision_accuracy    share of questions where answering or refusing was right (answer iff answerable)
  refusal_precision    of the refusals, the share on unanswerable questions
  refusal_recall       of the unanswerable questions, the share refused (= refusal accuracy on unanswerables)
  false_refusal_rate   of the answerable questions, the share refused
  latency p50/p95/max  per-question answer time in milliseconds (linear-interpolated percentiles)

Citation and fact metrics are scored on answerable questions only: for an unanswerable one the
expected sources are merely the closest documents, and the right output is a refusal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path

from eval.dataset import normalize_for_match
from eval.metrics import mrr_at_k, ndcg_at_k, percentile, recall_at_k
from retrieval.evidence import supported_numbers, unsupported_numbers

MEAN_KEYS = ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10",
             "citation_precision", "citation_recall", "fact_recall")


def citation_precision(cited_keys: Iterable[str], gold_keys: Iterable[str]) -> float | None:
    """Share of the distinct cited sources that are gold; None when nothing is cited."""
    cited = {k for k in cited_keys if k}
    return len(cited & set(gold_keys)) / len(cited) if cited else None


def citation_recall(cited_keys: Iterable[str], gold_keys: Iterable[str]) -> float | None:
    """Share of the gold sources that are cited; None when there is no gold source."""
    gold = set(gold_keys)
    return len(gold & set(cited_keys)) / len(gold) if gold else None


def _occurs(alternative: str, text: str) -> bool:
    needle = normalize_for_match(alternative)
    if not needle:
        return False
    # literal match, except that a number must not be part of a longer one: "15" is not in "2015" or "15,5"
    head = r"(?<!\d)(?<!\d[.,])" if needle[0].isdigit() else ""
    tail = r"(?!\d)(?![.,]\d)" if needle[-1].isdigit() else ""
    return re.search(head + re.escape(needle) + tail, text) is not None


def fact_recall(answer_text: str, facts: Sequence[Sequence[str]]) -> float | None:
    """Share of facts with at least one alternative in the answer (case-insensitive, NFC); None without facts."""
    if not facts:
        return None
    text = normalize_for_match(answer_text or "")
    return sum(any(_occurs(alt, text) for alt in fact) for fact in facts) / len(facts)


def invented_numbers(answer_text: str, quotes: Iterable[str], catalogue_texts: Iterable[str],
                     extra: Iterable[str] = ()) -> set[str]:
    """Numbers, dates and document numbers of the answer stated by no quote, extra text or catalogue card."""
    # support is a union over texts, so the catalogue's share can be computed once per catalogue
    return unsupported_numbers(answer_text or "", [*quotes, *extra]) - _catalogue_support(tuple(catalogue_texts))


@lru_cache(maxsize=4)
def _catalogue_support(texts: tuple[str, ...]) -> frozenset[str]:
    return frozenset(supported_numbers(texts))


def load_catalogue_texts(path: str | Path | None = None) -> tuple[str, ...]:
    """The catalogue's document cards as text, the evidence the answerer may state numbers from."""
    from knowledge.cards import entry_text
    from knowledge.catalogue import DEFAULT_PATH, load_catalogue

    entries = load_catalogue(Path(path) if path else DEFAULT_PATH)
    return tuple(entry_text(e, entries) for e in entries)


def _field(obj, key: str, default=None):
    return obj.get(key, default) if isinstance(obj, Mapping) else getattr(obj, key, default)


def first_gold_rank(ranked: Sequence[str], gold: Iterable[str]) -> int | None:
    """1-based rank of the first gold source in a ranking of distinct sources, None when absent."""
    wanted = set(gold)
    return next((rank for rank, key in enumerate(ranked, start=1) if key in wanted), None)


def retrieval_scores(ranked: Sequence[str], gold: Sequence[str]) -> dict:
    """recall@1/5/10, mrr@10, ndcg@10 and first_gold_rank of one ranking; metrics None when there is no gold."""
    if not gold:
        return {"recall@1": None, "recall@5": None, "recall@10": None, "mrr@10": None, "ndcg@10": None,
                "first_gold_rank": None}
    return {"recall@1": recall_at_k(ranked, gold, 1), "recall@5": recall_at_k(ranked, gold, 5),
            "recall@10": recall_at_k(ranked, gold, 10), "mrr@10": mrr_at_k(ranked, gold, 10),
            "ndcg@10": ndcg_at_k(ranked, gold, 10), "first_gold_rank": first_gold_rank(ranked, gold)}


def score_question(item, output: Mapping, catalogue_texts: Sequence[str] = ()) -> dict:
    """Scores of one system output (ask JSON, citations with `source_key`) against its dataset item."""
    answerable = bool(_field(item, "answerable"))
    gold = list(_field(item, "expected_sources") or [])
    citations = output.get("citations") or []
    text = output.get("answer") or ""
    refused = not output.get("answered", False)
    cited = [c.get("source_key") or "" for c in citations]
    extra = [str(c.get(k) or "") for c in citations for k in ("title", "number", "location")]
    # A refusal's citations are "closest documents", not claims: no precision, and no credit for facts or
    # sources that its quotes happen to contain.
    answered = answerable and not refused
    scores = {
        "citation_precision": citation_precision(cited, gold) if answered else None,
        "citation_recall": (citation_recall(cited, gold) if answered else 0.0) if answerable and gold else None,
        "fact_recall": (fact_recall(text, _field(item, "answer_facts") or []) if answered else 0.0)
        if answerable and _field(item, "answer_facts") else None,
        # the question's own numbers, repeated when an ask is named, are the officer's words, not a claim
        "invented_numbers": sorted(invented_numbers(text, [c.get("quote") or "" for c in citations],
                                                    catalogue_texts, [*extra, str(_field(item, "question") or "")])),
        "refused": refused,
    }
    if "ranked_sources" in output:  # the runner passes search's distinct source keys
        scores |= retrieval_scores(list(output["ranked_sources"] or []), gold if answerable else [])
    return scores


def _row(row: Mapping) -> Mapping:
    # a question row of the results keeps its scores nested; a flat row already is one
    return {**row, **row["scores"]} if isinstance(row.get("scores"), Mapping) else row


def refusal_counts(items: Iterable[Mapping]) -> dict:
    """Refusal precision/recall/accuracy on unanswerables and false-refusal rate, from answerable+refused rows."""
    rows = [_row(r) for r in items]
    unans = [r for r in rows if not r["answerable"]]
    ans = [r for r in rows if r["answerable"]]
    refused = [r for r in rows if r["refused"]]
    right = sum(1 for r in unans if r["refused"])
    false = sum(1 for r in ans if r["refused"])
    recall = right / len(unans) if unans else None
    return {"refused": len(refused), "unanswerable": len(unans), "answerable": len(ans),
            "refused_unanswerable": right, "refused_answerable": false,
            "refusal_precision": right / len(refused) if refused else None,
            "refusal_recall": recall, "refusal_accuracy": recall,
            "false_refusal_rate": false / len(ans) if ans else None}


def _mean(values: Iterable[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None


def _summarise(rows: list[Mapping]) -> dict:
    out: dict = {"n": len(rows)}
    for key in MEAN_KEYS:
        out[key] = _mean(r.get(key) for r in rows)
        out[f"n_{key}"] = sum(r.get(key) is not None for r in rows)
    out["invented_number_rate"] = _mean(float(bool(r.get("invented_numbers"))) for r in rows)
    out["answered_rate"] = _mean(float(not r["refused"]) for r in rows if "refused" in r)
    out["decision_accuracy"] = _mean(float(bool(r["refused"]) != bool(r["answerable"]))
                                     for r in rows if "refused" in r and "answerable" in r)
    return out


def aggregate(per_question: list[Mapping], key: str = "category") -> dict:
    """Overall and per-`key` means (None ignored), counts, invented-number, answered and decision rates."""
    rows = [_row(r) for r in per_question]
    groups: dict[str, list[Mapping]] = {}
    for r in rows:
        groups.setdefault(str(r.get(key)), []).append(r)
    return {"overall": _summarise(rows), "by_category": {g: _summarise(rs) for g, rs in sorted(groups.items())}}


def latency_summary(ms: Sequence[float]) -> dict:
    """p50, p95, max and mean of latencies in milliseconds (all None when there are none)."""
    values = [float(v) for v in ms if v is not None]
    if not values:
        return {"p50": None, "p95": None, "max": None, "mean": None}
    return {"p50": percentile(values, 50), "p95": percentile(values, 95), "max": max(values),
            "mean": sum(values) / len(values)}
