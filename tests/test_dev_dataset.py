"""The Q&A dataset format: loader and validator on synthetic files, and the real dev set against ../shared."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest

from eval.dataset import CATEGORIES, DatasetError, QAItem, category_counts, load_dataset, main, to_dict, validate_dataset

REPO = Path(__file__).resolve().parents[1]
DEV_SET = REPO / "eval" / "datasets" / "ntm_dev.jsonl"
WINDOW = 12  # words; the same run length as the project's copied-text check

ACCEPTANCE = {
    "Công văn nào hướng dẫn triển khai NTM cho xã hình thành sau sắp xếp?": (
        "which_document", ["ntm/CV-267-2024-BNN-VPDP.txt"], "267/BNN-VPĐP"),
    "Bến Tre năm 2023 phấn đấu bao nhiêu xã đạt chuẩn NTM?": (
        "fact", ["seeds/000_49598fb9e91beed5.txt"], "15"),
    "thu nhap binh quan dau nguoi de dat chuan NTM vung DBSCL la bao nhieu": (
        "unanswerable", ["ntm/QD-318-2022-TTg.txt"], None),
}


def _record(n: int = 1, **overrides) -> dict:
    record = {
        "id": f"t-{n:03d}",
        "question": "Xã Hòa Bình năm 2030 phấn đấu bao nhiêu hộ trồng lúa?",
        "category": "fact",
        "expected_sources": ["docs/a.txt"],
        "answer_facts": [["120", "một trăm hai mươi"], ["Hòa Bình"]],
        "answerable": True,
        "reference_answer": "Xã Hòa Bình muốn có 120 hộ trồng lúa.",
    }
    record.update(overrides)
    return record


def _write(path: Path, lines: list) -> Path:
    path.write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines) + "\n",
        encoding="utf-8",
    )
    return path


# ------------------------------------------------------------------ loader (synthetic)

@pytest.mark.synthetic
def test_round_trip_and_nfc(tmp_path):
    decomposed = unicodedata.normalize("NFD", "Ủy ban nhân dân xã Hòa Bình")
    records = [
        _record(1),
        _record(2, category="unanswerable", answerable=False, answer_facts=[], expected_sources=[]),
        _record(3, category="validity", as_of="2024-06-01", question=decomposed),
    ]
    path = _write(tmp_path / "set.jsonl", [records[0], "", records[1], records[2]])
    items = load_dataset(path)
    assert [i.id for i in items] == ["t-001", "t-002", "t-003"]
    assert items[0].answer_facts == (("120", "một trăm hai mươi"), ("Hòa Bình",))
    assert items[0].expected_sources == ("docs/a.txt",) and items[0].as_of is None
    assert items[2].question == unicodedata.normalize("NFC", decomposed)
    records[2]["question"] = items[2].question
    assert [to_dict(i) for i in items] == records
    assert category_counts(items)["fact"] == 1 and list(category_counts(items)) == list(CATEGORIES)
    with pytest.raises(AttributeError):
        items[0].question = "changed"  # frozen


@pytest.mark.synthetic
@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ('{"id": "t-002", "question": ', "line"),
        ("[1, 2, 3]", "line"),
        ({k: v for k, v in _record(2).items() if k != "question"}, "question"),
        (_record(2, source="x"), "source"),
        (_record(1), "id"),  # duplicate of line 1
        (_record(2, category="trivia"), "category"),
        (_record(2, answer_facts=[]), "answer_facts"),
        (_record(2, expected_sources=[]), "expected_sources"),
        (_record(2, answer_facts=[[]]), "answer_facts"),
        (_record(2, answer_facts=["120"]), "answer_facts"),
        (_record(2, answerable="yes"), "answerable"),
        (_record(2, answerable=False, category="unanswerable"), "answer_facts"),
        (_record(2, as_of="1/6/2024"), "as_of"),
    ],
)
def test_malformed_line_names_line_and_field(tmp_path, bad, field):
    path = _write(tmp_path / "bad.jsonl", [_record(1), bad])
    with pytest.raises(DatasetError) as err:
        load_dataset(path)
    assert err.value.line == 2 and err.value.field == field
    assert ":2:" in str(err.value) and field in str(err.value)
    assert isinstance(err.value, ValueError)


# ------------------------------------------------------------------ validator (synthetic corpus)

def _item(facts, sources=("docs/a.txt",)) -> QAItem:
    return QAItem("t-001", "Câu hỏi?", "fact", tuple(sources), tuple(tuple(f) for f in facts), True, "Trả lời.")


@pytest.mark.synthetic
def test_validator_finds_missing_fact_and_file_and_accepts_alternatives(tmp_path):
    (tmp_path / "docs").mkdir()
    # decomposed accents, odd case and a line break inside the phrase: all must still match
    text = "Năm 2030, xã phấn đấu có 120 hộ\n  trồng lúa theo " + unicodedata.normalize("NFD", "Quyết định 12/QĐ-UBND")
    (tmp_path / "docs" / "a.txt").write_text(text, encoding="utf-8")
    assert validate_dataset([_item([["một trăm hai mươi", "120"], ["HỘ TRỒNG LÚA"], ["12/qđ-ubnd"]])], tmp_path) == []

    problems = validate_dataset([_item([["120"], ["250", "hai trăm năm mươi"]])], tmp_path)
    assert len(problems) == 1 and "t-001" in problems[0] and "250" in problems[0]

    problems = validate_dataset([_item([["120"]], sources=("docs/a.txt", "docs/missing.txt"))], tmp_path)
    assert len(problems) == 1 and "docs/missing.txt" in problems[0] and "does not exist" in problems[0]


@pytest.mark.synthetic
def test_command_line_reports_counts_and_problems(tmp_path, capsys):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("Xã Hòa Bình có 120 hộ trồng lúa.", encoding="utf-8")
    good = _write(tmp_path / "good.jsonl", [_record(1)])
    assert main([str(good), "--corpus", str(tmp_path)]) == 0
    assert "fact" in capsys.readouterr().out
    bad = _write(tmp_path / "bad.jsonl", [_record(1, answer_facts=[["999"]])])
    assert main([str(bad), "--corpus", str(tmp_path)]) == 1
    assert "999" in capsys.readouterr().out


# ------------------------------------------------------------------ the real dev set

@pytest.fixture(scope="module")
def dev_items():
    return load_dataset(DEV_SET)


@pytest.mark.shared
def test_dev_set_validates_against_corpus(shared_dir, dev_items):
    assert validate_dataset(dev_items, shared_dir / "corpus") == []


@pytest.mark.shared
def test_dev_set_size_mix_and_acceptance_questions(shared_dir, dev_items):
    assert len(dev_items) >= 100
    assert sum(not i.answerable for i in dev_items) / len(dev_items) >= 0.15
    counts = category_counts(dev_items)
    assert all(counts[c] > 0 for c in CATEGORIES if c != "metadata"), counts  # metadata came with the second set
    assert [i.id for i in dev_items] == [f"dev-{n:03d}" for n in range(1, len(dev_items) + 1)]
    by_question = {i.question: i for i in dev_items}
    for question, (category, sources, fact) in ACCEPTANCE.items():
        item = by_question[question]
        assert item.category == category and list(item.expected_sources) == sources
        assert item.answerable == (fact is not None)
        if fact:
            assert any(fact in alternatives for alternatives in item.answer_facts)
    for item in dev_items:
        if item.category == "no_diacritics":
            assert item.question.isascii(), item.id
        assert item.answerable == (item.category != "unanswerable"), item.id
    # every seed article and every main legal text is the expected source of some item
    covered = {s for i in dev_items for s in i.expected_sources}
    corpus = shared_dir / "corpus"
    wanted = {str(p.relative_to(corpus)) for d in ("seeds", "ntm") for p in (corpus / d).glob("*.*") if p.name != "INDEX.md"}
    assert wanted <= covered, sorted(wanted - covered)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", unicodedata.normalize("NFC", text).casefold())


@pytest.mark.shared
def test_dev_set_does_not_copy_runs_of_the_sources(shared_dir, dev_items):
    corpus = shared_dir / "corpus"
    windows: dict[str, set[str]] = {}
    copied = []
    for item in dev_items:
        for source in item.expected_sources:
            if source not in windows:
                w = _words((corpus / source).read_text(encoding="utf-8"))
                windows[source] = {" ".join(w[i:i + WINDOW]) for i in range(len(w) - WINDOW + 1)}
        for field in ("question", "reference_answer"):
            w = _words(getattr(item, field))
            for i in range(len(w) - WINDOW + 1):
                run = " ".join(w[i:i + WINDOW])
                if any(run in windows[s] for s in item.expected_sources):
                    copied.append(f"{item.id} {field}: {run}")
    assert copied == []


OFFICER_SET = REPO / "eval" / "datasets" / "ntm_officer.jsonl"


@pytest.mark.shared
def test_officer_set_validates_is_written_as_officers_type_and_keeps_its_frozen_test_part(shared_dir):
    items = load_dataset(OFFICER_SET)
    assert validate_dataset(items, shared_dir / "corpus") == []
    n = len(items)
    share = lambda tag: sum(tag in i.tags for i in items) / n  # noqa: E731
    assert n >= 150 and share("multi_ask") >= 0.35 and share("no_diacritics") >= 0.15 and share("typo") >= 0.10
    assert sum(not i.answerable for i in items) / n >= 0.15
    assert all(i.split in ("dev", "test") for i in items)
    # the split recorded in the file is the one eval.split drew (seed 11), so it was never edited by hand
    from eval.split import assign_splits
    assert [i.split for i in items] == assign_splits(n)


UNITS_CRITERIA_SET = REPO / "eval" / "datasets" / "ntm_units_criteria.jsonl"


@pytest.mark.shared
def test_units_and_criteria_set_validates_and_keeps_its_frozen_test_part(shared_dir):
    items = load_dataset(UNITS_CRITERIA_SET)
    assert validate_dataset(items, shared_dir / "corpus") == []
    assert sum("admin_units" in i.tags for i in items) >= 20 and sum("criteria" in i.tags for i in items) >= 20
    assert any("threshold_absent" in i.tags and not i.answerable for i in items)
    from eval.split import assign_splits
    assert [i.split for i in items] == assign_splits(len(items))
