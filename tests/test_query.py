"""Query understanding: what officers type (abbreviations, numbers in any spelling, no diacritics, time words)."""

from __future__ import annotations

import unicodedata
from datetime import date
from pathlib import Path

import pytest

from knowledge.catalogue import DEFAULT_PATH, load_catalogue
from knowledge.abbreviations import load_abbreviations
from retrieval.query import understand
from retrieval.sparse import folded_query_terms, query_vector, term_id, tokenize

TODAY = date(2026, 11, 21)
ENTRIES = load_catalogue(DEFAULT_PATH)
ABBREVIATIONS = load_abbreviations(Path(DEFAULT_PATH).parent / "abbreviations.yaml")


def plan(question: str, **kw):
    return understand(question, ENTRIES, ABBREVIATIONS, today=TODAY, **kw)


def test_decomposed_input_is_normalised_to_nfc():
    decomposed = unicodedata.normalize("NFD", "Tiêu chí thu nhập   xã nông thôn mới")
    p = plan(decomposed)
    assert p.text == "Tiêu chí thu nhập xã nông thôn mới"
    assert unicodedata.is_normalized("NFC", p.search_text)
    assert p.original == decomposed  # kept for display


@pytest.mark.parametrize("typed, number", [
    ("cv 267", "267/BNN-VPĐP"), ("CV267 nói gì", "267/BNN-VPĐP"), ("267/BNN-VPDP áp dụng cho ai", "267/BNN-VPĐP"),
    ("QĐ 318 có mấy tiêu chí", "318/QĐ-TTg"), ("quyết định số 318", "318/QĐ-TTg"),
    ("Quyết định 18/2022 nói gì về thu hồi", "18/2022/QĐ-TTg"), ("nghi dinh 27 ve co che quan ly", "27/2022/NĐ-CP"),
    ("51/2025/QĐ-TTg có hiệu lực khi nào", "51/2025/QĐ-TTg"),
])
def test_document_numbers_in_any_spelling_resolve_to_the_document(typed, number):
    assert plan(typed).numbers == (number,)
    assert number in plan(typed).search_text


def test_an_unknown_number_is_not_invented():
    assert plan("công văn 98765 hướng dẫn gì").numbers == ()


@pytest.mark.parametrize("typed, n, name", [
    ("TC17 yêu cầu gì", 17, "Môi trường và an toàn thực phẩm"), ("tiêu chí số 10 là gì", 10, "Thu nhập"),
    ("tieu chi so 2 giao thong", 2, "Giao thông"), ("TC 5 trường học", 5, "Trường học"),
    ("xã đạt tiêu chí giao thông cần gì", 2, "Giao thông"),
])
def test_criterion_numbers_and_names_resolve_to_the_2021_2025_set(typed, n, name):
    c = plan(typed).criterion
    assert (c.number, c.name, c.decision) == (n, name, "318/QĐ-TTg")
    assert name.lower() in plan(typed).search_text.lower()


def test_criterion_in_the_2026_2030_set_when_the_question_says_so():
    c = plan("tiêu chí số 7 giai đoạn 2026-2030").criterion
    assert c.decision == "51/2025/QĐ-TTg" and c.name == "Khoa học công nghệ và chuyển đổi số"
    assert plan("tiêu chí số 40").criterion is None  # no such criterion: nothing made up


@pytest.mark.parametrize("typed, expansion", [
    ("NTMNC là gì", "nông thôn mới nâng cao"), ("vai trò của BCĐ", "Ban Chỉ đạo"),
    ("VPĐP tỉnh làm gì", "Văn phòng Điều phối"), ("ĐVHC sau sắp xếp", "đơn vị hành chính"),
    ("UBND xã", "Ủy ban nhân dân"), ("HDND tinh", "Hội đồng nhân dân"), ("sản phẩm OCOP", "Mỗi xã một sản phẩm"),
    ("Bộ NN&PTNT hướng dẫn", "Nông nghiệp và Phát triển nông thôn"),
    ("vốn CTMTQG", "chương trình mục tiêu quốc gia"), ("vung DBSCL", "Đồng bằng sông Cửu Long"),
])
def test_abbreviations_are_expanded_next_to_the_original(typed, expansion):
    p = plan(typed)
    assert expansion in p.search_text and p.search_text.startswith(p.text)


def test_lower_case_words_that_look_like_codes_are_left_alone():
    assert "Thông tư" not in plan("tt xã có mấy thôn").search_text


@pytest.mark.parametrize("typed, as_of, source", [
    ("hiện nay áp dụng bộ tiêu chí nào", TODAY, "question"),
    ("năm 2024 áp dụng bộ tiêu chí nào", date(2024, 12, 31), "question"),
    ("tiêu chí áp dụng ngày 01/3/2024", date(2024, 3, 1), "question"),
    ("ngay 15 thang 2 nam 2026 ap dung gi", date(2026, 2, 15), "question"),
    ("tháng 6/2025 áp dụng gì", date(2025, 6, 30), "question"),
    ("giai đoạn 2021-2025 xã cần đạt mấy tiêu chí", date(2025, 12, 31), "period"),
    ("giai đoạn 2026-2030 có gì mới", TODAY, "period"),
    ("tiêu chí thu nhập", TODAY, "today"),
])
def test_time_words_become_an_as_of_date(typed, as_of, source):
    p = plan(typed)
    assert (p.as_of, p.as_of_source) == (as_of, source)


def test_period_is_kept_and_an_explicit_as_of_wins():
    assert plan("giai đoạn 2026-2030 có gì mới").period == "2026-2030"
    p = plan("năm 2024 áp dụng gì", as_of=date(2023, 1, 1))
    assert p.as_of == date(2023, 1, 1) and p.as_of_source == "request"


def test_questions_asking_for_a_figure_are_flagged():
    assert plan("Bến Tre phấn đấu bao nhiêu xã").wants_quantity
    assert plan("thu nhap toi thieu la bao nhieu").wants_quantity
    assert not plan("công văn nào hướng dẫn xã sau sắp xếp").wants_quantity


def test_places_named_in_the_question_are_required_entities():
    assert plan("Bến Tre năm 2023 phấn đấu gì").entities == (("Bến Tre",),)
    assert plan("vốn của thành phố Huế").entities == (("Huế",),)
    assert plan("thu nhap vung DBSCL").entities == (("DBSCL", "Đồng bằng sông Cửu Long"),)
    assert plan("Thủ tướng Chính phủ ký quyết định nào").entities == ()


def test_unaccented_questions_use_folded_terms_that_match_accented_text():
    p = plan("tieu chi thu nhap xa nong thon moi")
    assert p.unaccented and not plan("tiêu chí thu nhập").unaccented
    query = set(query_vector(p.search_text, folded=True).indices)
    # the document side carries folded copies of its words and compounds
    from retrieval.sparse import document_vector

    doc = set(document_vector("Tiêu chí thu nhập của xã nông thôn mới").indices)
    assert {term_id("~thu_nhap"), term_id("~nong_thon"), term_id("~tieu")} <= query & doc
    assert "~nhap_xa" in folded_query_terms("thu nhap xa") and term_id("~nhap_xa") not in doc


def test_document_numbers_match_with_or_without_d_stroke():
    assert "267/bnn-vpdp" in tokenize("Công văn 267/BNN-VPĐP") and "267/bnn-vpdp" in tokenize("cv 267/BNN-VPDP")


@pytest.mark.parametrize("typed", ["Năm 2023 tỉnh đạt bao nhiêu xã", "hết 2023 tỉnh đạt bao nhiêu xã",
                                   "tinh dat bao nhieu xa tinh den cuoi 2023", "cuối 2023 có bao nhiêu xã đạt chuẩn"])
def test_a_year_typed_as_officers_do_dates_the_question(typed):
    plan = understand(typed, ENTRIES, ABBREVIATIONS, today=TODAY)
    assert (plan.year, plan.as_of) == (2023, date(2023, 12, 31))


def test_a_year_in_a_later_ask_does_not_date_the_asks_before_it():
    plan = understand("Mục tiêu đến 2025 cả nước bao nhiêu % xã đạt chuẩn, còn Thái Nguyên hết 2023 đạt tỷ lệ bao nhiêu?",
                      ENTRIES, ABBREVIATIONS, today=TODAY)
    (_, first), (_, second) = plan.asks
    assert (first.year, first.as_of) == (None, TODAY) and (second.year, second.as_of) == (2023, date(2023, 12, 31))
    later = understand("Năm 2023 tỉnh có bao nhiêu xã đạt chuẩn, bao nhiêu thôn kiểu mẫu?", ENTRIES, ABBREVIATIONS,
                       today=TODAY)
    assert [p.year for _, p in later.asks] == [2023, 2023]  # a date stated first carries over
    last = understand("Tỉnh có bao nhiêu xã đạt chuẩn nông thôn mới, bao nhiêu xã đạt nâng cao, tính đến cuối năm "
                      "2023?", ENTRIES, ABBREVIATIONS, today=TODAY)
    assert [p.year for _, p in last.asks] == [2023, 2023]  # and so does one stated last
