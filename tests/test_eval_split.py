"""A Q&A set is split once into dev and frozen test parts, and reports show the parts (synthetic runs)."""

from __future__ import annotations

import json

import pytest

from eval.dataset import load_dataset
from eval.readme import results_table
from eval.split import assign_splits, main as split_main

pytestmark = pytest.mark.synthetic


def _item(n: int) -> dict:  # synthetic items, not from any document
    return {"id": f"t-{n:03d}", "question": f"Câu hỏi số {n} về nông thôn mới?", "category": "unanswerable",
            "expected_sources": [], "answer_facts": [], "answerable": False, "reference_answer": "Không có.",
            "tags": ["no_diacritics"]}


def test_the_split_draws_the_test_share_at_random_and_the_same_way_every_time():
    first = assign_splits(100)
    assert first == assign_splits(100) and first.count("test") == 40 and first[:40].count("test") < 40


def test_a_set_is_split_once_and_never_again(tmp_path):
    part = tmp_path / "part.jsonl"
    part.write_text("".join(json.dumps(_item(n), ensure_ascii=False) + "\n" for n in range(10)), encoding="utf-8")
    out = tmp_path / "set.jsonl"
    assert split_main([str(out), str(part)]) == 0
    items = load_dataset(out)
    assert [i.split for i in items].count("test") == 4 and all(i.tags == ("no_diacritics",) for i in items)
    assert split_main([str(out), str(part)]) == 1  # the file exists: no second draw
    again = tmp_path / "again.jsonl"
    assert split_main([str(again), str(out)]) == 1  # items already split: refused


def test_the_readme_table_shows_the_frozen_test_part_first():
    overall = {"n": 5, "recall@1": 0.5, "fact_recall": 0.4, "citation_precision": 0.9}
    run = {"run": {"dataset": "set.jsonl", "dataset_kind": "dev", "started": "2026-12-06T00:00:00", "git_commit": "abc",
                   "cores": 2, "model": "m", "settings": {"fusion": "dbsf"}, "modes": ["hybrid"], "main_mode": "hybrid"},
           "questions": [{}] * 5,
           "summary": {"hybrid": {"overall": overall, "refusal": {}, "latency": {"p95": 90.0},
                                  "by_split": {"dev": {**overall, "n": 3, "refusal": {}},
                                               "test": {**overall, "n": 2, "fact_recall": 0.25, "refusal": {}}}}}}
    rows = [line for line in results_table([run]).splitlines() if line.startswith("| **hybrid**")]
    assert "test part (frozen, 2 q)" in rows[0] and "0.250" in rows[0] and "dev part (3 q)" in rows[1]


def test_an_expected_source_may_be_a_prefix_only_one_file_has(tmp_path):
    from eval.dataset import resolve_sources, validate_dataset
    (tmp_path / "ntm").mkdir()
    (tmp_path / "ntm" / "tin-dai-ve-xa-moi-sap-nhap.txt").write_text("Xã mới có 12 thôn.", encoding="utf-8")
    (tmp_path / "ntm" / "tin-khac-a.txt").write_text("x", encoding="utf-8")
    (tmp_path / "ntm" / "tin-khac-b.txt").write_text("x", encoding="utf-8")
    part = tmp_path / "set.jsonl"
    row = _item(1) | {"category": "fact", "answerable": True, "answer_facts": [["12 thôn"]],
                      "expected_sources": ["ntm/tin-dai"]}
    part.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    items = load_dataset(part)
    assert validate_dataset(items, tmp_path) == []
    assert resolve_sources(items, tmp_path)[0].expected_sources == ("ntm/tin-dai-ve-xa-moi-sap-nhap.txt",)
    ambiguous = [replace_sources(items[0], ("ntm/tin-khac",))]
    assert "does not exist" in validate_dataset(ambiguous, tmp_path)[0]


def replace_sources(item, sources):
    from dataclasses import replace
    return replace(item, expected_sources=sources)
