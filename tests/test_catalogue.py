"""Tests for the document catalogue (knowledge/catalogue.yaml) and the knowledge package."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from knowledge.cards import entry_text
from knowledge.catalogue import (
    DEFAULT_PATH, INVERSE, RELATIONS, CatalogueError, find_entry, load_catalogue, number_key,
)
from knowledge.status import STATUS_LABELS, status_on

SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPUS = SHARED / "corpus"
# Document numbers as written in Vietnamese texts: 318/QĐ-TTg, 51/2025/QĐ-TTg, 09-NQ/TU, 257/2025/QH15 ...
NUMBER_RE = re.compile(r"(?<![\w/])\d{1,5}(?:[-/](?:\d{4}|[A-ZĐ]{1,10}))*/[A-ZĐ][A-Za-zĐđ0-9]*(?:-[A-Za-zĐđ0-9]+)*")


@pytest.fixture(scope="module")
def entries():
    return load_catalogue(DEFAULT_PATH)


def by_number(entries, number):
    return next(e for e in entries if e.number == number)


def assert_covered(entries, numbers, source):
    missing = [n for n in sorted(numbers)
               if not any(number_key(n) == number_key(e.number) for e in entries)]
    assert not missing, f"numbers in {source} missing from the catalogue: {missing}"


def test_real_catalogue_loads(entries):
    assert len(entries) >= 24
    assert all(e.status_as_of == "2026-11-21" for e in entries)


def test_relations_are_symmetric(entries):
    numbers = {e.number: e for e in entries}
    problems = []
    for e in entries:
        for field in RELATIONS:
            for n in getattr(e, field):
                other = numbers.get(n)
                if other is not None and e.number not in getattr(other, INVERSE[field]):
                    problems.append(f"{e.number} {field} {n}, but {n} lacks {INVERSE[field]} {e.number}")
    assert not problems, "\n".join(problems)


def test_stored_status_matches_status_on(entries):
    wrong = [(e.id, e.status, status_on(e, date.fromisoformat(e.status_as_of), entries)[0])
             for e in entries if status_on(e, date.fromisoformat(e.status_as_of), entries)[0] != e.status]
    assert not wrong


@pytest.mark.shared
def test_index_numbers_are_catalogued(entries):
    index = CORPUS / "ntm" / "INDEX.md"
    if not index.exists():
        pytest.skip("shared corpus INDEX.md is absent")
    numbers = set(NUMBER_RE.findall(index.read_text(encoding="utf-8")))
    assert len(numbers) >= 17
    assert_covered(entries, numbers, "INDEX.md")


@pytest.mark.shared
def test_seed_article_numbers_are_catalogued(entries):
    seeds = CORPUS / "seeds"
    if not seeds.is_dir():
        pytest.skip("shared corpus seeds are absent")
    numbers = {n for p in seeds.iterdir() if p.is_file()
               for n in NUMBER_RE.findall(p.read_text(encoding="utf-8", errors="replace"))}
    assert {"1320/KH-UBND", "687/UBND-NN", "19/KH-BCĐ", "09-NQ/TU", "31/2022/NQ-HĐND"} <= numbers
    assert_covered(entries, numbers, "seed articles")


@pytest.mark.shared
def test_corpus_files_exist(entries):
    if not CORPUS.is_dir():
        pytest.skip("shared corpus is absent")
    missing = [(e.id, e.corpus_file) for e in entries if e.corpus_file and not (CORPUS / e.corpus_file).is_file()]
    assert not missing


@pytest.mark.parametrize("query, number", [
    ("QĐ 318", "318/QĐ-TTg"), ("qd318", "318/QĐ-TTg"), ("318/QD-TTg", "318/QĐ-TTg"),
    ("Quyết định số 318/QĐ-TTg", "318/QĐ-TTg"), ("quyet dinh 318", "318/QĐ-TTg"), ("QĐ 318/2022", "318/QĐ-TTg"),
    ("cv 267", "267/BNN-VPĐP"), ("CV267", "267/BNN-VPĐP"), ("267/BNN-VPDP", "267/BNN-VPĐP"),
    ("Công văn số 267", "267/BNN-VPĐP"), ("văn bản 5424", "5424/BNN-VPĐP"), ("51/2025/qd-ttg", "51/2025/QĐ-TTg"),
    ("QĐ 51/2025", "51/2025/QĐ-TTg"), ("nq 257", "257/2025/QH15"), (" 18/2022/qđ-ttg ", "18/2022/QĐ-TTg"),
    ("NĐ 27/2022", "27/2022/NĐ-CP"), ("Nghị định 38", "38/2023/NĐ-CP"), ("09-nq/tu", "09-NQ/TU"),
    ("19/KH-BCD", "19/KH-BCĐ"), ("Kế hoạch 687", "687/UBND-NN"), ("luật hợp tác xã 2012", "23/2012/QH13"),
])
def test_find_entry_spelling_variants(entries, query, number):
    found = find_entry(entries, query)
    assert found is not None and found.number == number


@pytest.mark.parametrize("query", ["QĐ 99999", "", "không có số", "Nghị quyết 3"])
def test_find_entry_unknown_or_ambiguous(entries, query):
    assert find_entry(entries, query) is None


def test_status_on_around_amendment_and_replacement(entries):
    qd318 = by_number(entries, "318/QĐ-TTg")
    assert status_on(qd318, date(2023, 1, 1), entries) == ("in_force", [])
    assert status_on(qd318, date(2025, 1, 1), entries) == ("amended", ["211/QĐ-TTg"])
    assert status_on(qd318, date(2026, 1, 10), entries)[0] == "amended"  # 51/2025 not yet in effect
    assert status_on(qd318, date(2026, 3, 1), entries) == ("replaced", ["51/2025/QĐ-TTg"])
    qd51 = by_number(entries, "51/2025/QĐ-TTg")
    status, instead = status_on(qd51, date(2026, 1, 1), entries)
    assert status == "not_yet_in_force" and "318/QĐ-TTg" in instead
    assert status_on(qd51, date(2026, 2, 15), entries) == ("in_force", [])


def test_status_on_plans_guidance_and_expiry(entries):
    plan = by_number(entries, "1320/KH-UBND")
    assert status_on(plan, date(2023, 6, 1), entries) == ("local_plan", [])
    assert status_on(plan, date(2024, 1, 1), entries) == ("expired", [])
    cv5424 = by_number(entries, "5424/BNN-VPĐP")
    assert status_on(cv5424, date(2023, 10, 1), entries) == ("guidance", [])
    assert status_on(cv5424, date(2024, 6, 1), entries) == ("guidance", ["267/BNN-VPĐP"])
    qd263 = by_number(entries, "263/QĐ-TTg")
    assert status_on(qd263, date(2026, 6, 1), entries) == ("expired", ["257/2025/QH15"])


def test_entry_text_card(entries):
    text = entry_text(by_number(entries, "318/QĐ-TTg"), entries)
    assert "318/QĐ-TTg" in text and "Quyết định" in text
    assert STATUS_LABELS["replaced"] in text and "21/11/2026" in text
    assert "Đã bị thay thế bởi: 51/2025/QĐ-TTg" in text and "15/02/2026" in text
    assert "tiêu chí số 10: Thu nhập" in text and "211/QĐ-TTg" in text
    card = entry_text(by_number(entries, "267/BNN-VPĐP"))
    assert "sau sắp xếp" in card and "5424/BNN-VPĐP" in card


GOOD_ENTRY = """
  - id: qd-1-2020-ttg
    number: 1/QĐ-TTg
    type: Quyết định
    title: Văn bản thử
    issuer: Thủ tướng Chính phủ
    signed: 2020-01-02
    status: in_force
    status_as_of: 2026-11-21
    scope: thử
    summary: thử
    completeness_note: "none: thử"
"""


def write(tmp_path, text):
    path = tmp_path / "catalogue.yaml"
    path.write_text("entries:" + text, encoding="utf-8")
    return path


def test_synthetic_good_catalogue_loads(tmp_path):
    [entry] = load_catalogue(write(tmp_path, GOOD_ENTRY))
    assert entry.number == "1/QĐ-TTg" and entry.signed == "2020-01-02" and entry.replaced_by == ()


@pytest.mark.parametrize("old, new, field", [
    ("    number: 1/QĐ-TTg\n", "", "number"),
    ("signed: 2020-01-02", "signed: 2020-13-45", "signed"),
    ("signed: 2020-01-02", "signed: 02/01/2020", "signed"),
    ("status: in_force", "status: valid", "status"),
    ("status: in_force", "status: in_force\n    replaced_by: [9/QĐ-TTg]", "replaced_by"),
    ("status: in_force", "status: replaced", "replaced_by"),
    ("completeness_note: \"none: thử\"", "completeness_note: \"most\"", "completeness_note"),
    ("scope: thử", "scope: thử\n    colour: red", "colour"),
    ("scope: thử", "scope: thử\n    criteria: [{so: 2, ten: Giao thông}]", "criteria"),
    ("scope: thử", "scope: thử\n    period: 2021-25", "period"),
])
def test_bad_synthetic_catalogue_raises(tmp_path, old, new, field):
    assert old in GOOD_ENTRY
    with pytest.raises(CatalogueError) as info:
        load_catalogue(write(tmp_path, GOOD_ENTRY.replace(old, new)))
    assert info.value.field == field and info.value.entry_id == "qd-1-2020-ttg"


def test_duplicates_raise(tmp_path):
    with pytest.raises(CatalogueError) as info:
        load_catalogue(write(tmp_path, GOOD_ENTRY + GOOD_ENTRY))
    assert info.value.field == "id"
    second = GOOD_ENTRY.replace("qd-1-2020-ttg", "qd-1b").replace("1/QĐ-TTg", "1/QD-TTg")
    with pytest.raises(CatalogueError) as info:
        load_catalogue(write(tmp_path, GOOD_ENTRY + second))
    assert info.value.field == "number" and info.value.entry_id == "qd-1b"


def test_external_numbers_allowed_in_relations(tmp_path):
    text = "external: [9/QĐ-TTg]\nentries:" + GOOD_ENTRY.replace("scope: thử", "scope: thử\n    related: [9/QĐ-TTg]")
    path = tmp_path / "catalogue.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_catalogue(path)[0].related == ("9/QĐ-TTg",)
