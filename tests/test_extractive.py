"""Extractive answers: quote the answering sentence, cite it, refuse honestly, warn about replaced documents."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from knowledge.cards import entry_text
from knowledge.catalogue import DEFAULT_PATH, load_catalogue
from retrieval.evidence import split_sentences, stated_numbers, unsupported_numbers
from retrieval.extractive import extractive_answer
from knowledge.abbreviations import load_abbreviations
from retrieval.query import understand
from retrieval.search import SearchResult

pytestmark = pytest.mark.synthetic

TODAY = date(2026, 11, 21)
ENTRIES = load_catalogue(DEFAULT_PATH)
ABBREVIATIONS = load_abbreviations(Path(DEFAULT_PATH).parent / "abbreviations.yaml")
CATALOGUE_TEXTS = [entry_text(e, ENTRIES) for e in ENTRIES]


def chunk(text, number=None, title="Tin tức", path="", doc_id=None, kind="document", doc_type=None, score=0.5):
    return SearchResult(score, doc_id or f"doc-{abs(hash(text)) % 10_000}", number, title, path, None,
                        f"docs/{doc_id or 'a'}.txt", text, None, f"chunk-{abs(hash(text)) % 10_000}", kind, doc_type)


# synthetic fixture: made-up plan texts, not from any real document
PLAN_TEXT = ("Kế hoạch năm 2031 của tỉnh Hòa Bình Xanh. Năm 2031, tỉnh phấn đấu công nhận thêm 12 xã đạt chuẩn "
             "nông thôn mới và 4 xã nông thôn mới nâng cao. Các sở phối hợp tổ chức hội nghị sơ kết.")
OTHER_PROVINCE = "Năm 2031, tỉnh Sơn Lâm phấn đấu công nhận thêm 9 xã đạt chuẩn nông thôn mới."
CRITERIA_TEXT = ("Bộ tiêu chí gồm 19 tiêu chí; trong mỗi tiêu chí có chỉ tiêu chung và chỉ tiêu theo vùng. "
                 "Xã đặc biệt khó khăn áp dụng mức của vùng Trung du miền núi phía Bắc.")


def ask(question, results, **kw):
    plan = understand(question, ENTRIES, ABBREVIATIONS, today=TODAY, **kw)
    return extractive_answer(plan, results, ENTRIES)


def no_invented_numbers(answer):
    support = [c.quote for c in answer.citations] + [c.title for c in answer.citations]
    support += [c.number or "" for c in answer.citations] + CATALOGUE_TEXTS
    return unsupported_numbers(answer.text, support) == set()


def test_the_answer_quotes_the_sentence_with_the_figure_and_cites_it():
    results = [chunk(PLAN_TEXT, title="Hòa Bình Xanh: kế hoạch 2031", path="I. Mục tiêu"), chunk(OTHER_PROVINCE)]
    a = ask("Tỉnh Hòa Bình Xanh năm 2031 phấn đấu bao nhiêu xã đạt chuẩn NTM?", results)
    assert a.answered
    assert "12 xã" in a.text and "9 xã" not in a.text
    first = a.citations[0]
    assert first.n == 1 and "12 xã" in first.quote and first.quote in PLAN_TEXT
    assert first.location == "I. Mục tiêu" and "[1]" in a.text and "Căn cứ:" in a.text
    assert len(a.text) < 1500 and no_invented_numbers(a)


def test_a_page_saved_as_markdown_is_quoted_without_its_marks():
    # synthetic fixture: a made-up news page in Markdown, as tvpl pages and .md notes are stored
    page = ("# **Hòa Bình Xanh:** kết quả 2031\n\n**Tỉnh Hòa Bình Xanh** đã có ***12 xã*** đạt chuẩn nông thôn mới "
            "trong năm 2031, *vượt kế hoạch*. Ghi chú (*) theo biểu số 2*3.")
    a = ask("Năm 2031 Hòa Bình Xanh có bao nhiêu xã đạt chuẩn NTM?",
            [chunk(page, title="**Hòa Bình Xanh:** kết quả 2031")])
    assert a.answered and "12 xã" in a.text
    assert "**" not in a.text and "# " not in a.text and "*vượt" not in a.text
    assert "Tỉnh Hòa Bình Xanh đã có 12 xã đạt chuẩn" in a.citations[0].quote
    assert a.citations[0].title == "Hòa Bình Xanh: kết quả 2031" and no_invented_numbers(a)


def test_a_sentence_without_a_year_is_dated_by_its_document_title():
    # synthetic fixture: a made-up summary of a past period; its figures name no year, its title does
    summary = chunk("Tính đến hết tháng 6, toàn tỉnh có 70% số xã đạt chuẩn nông thôn mới.",
                    title="Kết quả Chương trình nông thôn mới tỉnh Hòa Bình Xanh giai đoạn 2031-2035")
    later = ask("Giai đoạn 2036-2040 tỉnh Hòa Bình Xanh cần tối thiểu bao nhiêu % xã đạt chuẩn NTM?", [summary])
    assert not later.answered and "70%" not in later.text.split("Tài liệu gần nhất")[0]
    same = ask("Giai đoạn 2031-2035 tỉnh Hòa Bình Xanh có bao nhiêu % xã đạt chuẩn NTM?", [summary])
    assert same.answered and "70%" in same.text


@pytest.mark.parametrize("title,number", [
    ("Nghị quyết 12/2032/NQ-HĐND năm 2032 về hỗ trợ sản phẩm OCOP", None),  # the act's own number and year
    ("Hội nghị tổng kết của tỉnh Hòa Bình Xanh ngày 15/01/2032", None),  # when the page was published
    ("Quy định mức hỗ trợ sản phẩm OCOP giai đoạn 2031-2032", "12/2032/NQ-HĐND"),  # an act: its validity decides
])
def test_when_a_text_was_issued_does_not_date_its_figures(title, number):
    # synthetic fixture: a made-up support level that names no year
    rule = chunk("Mỗi sản phẩm OCOP đạt 3 sao được hỗ trợ 30 triệu đồng.", number=number, title=title)
    answer = ask("Năm 2034 mỗi sản phẩm OCOP 3 sao được hỗ trợ bao nhiêu tiền?", [rule])
    assert answer.answered and "30 triệu đồng" in answer.text


def test_a_figure_for_another_place_is_not_given_as_the_answer():
    a = ask("Tỉnh Hòa Bình Xanh năm 2031 phấn đấu bao nhiêu xã đạt chuẩn NTM?", [chunk(OTHER_PROVINCE)])
    assert not a.answered and "9 xã" not in a.text.split("Tài liệu gần nhất")[0]
    assert a.text.startswith("Tài liệu hiện có chưa nêu")


# synthetic fixture: a made-up national target, a made-up encyclopedia page on a province that states counts of
# other things, and a made-up programme report with the province's rate
NATIONAL_TARGET = "Mục tiêu đến năm 2035, phấn đấu cả nước có ít nhất 85% số xã đạt chuẩn NTM."
PROVINCE_PAGE = ("Năm 2030, tỉnh Hòa Bình Xanh cũ có khoảng 435.000 khách hàng tham gia dịch vụ thanh toán di động, "
                 "với trên 9.300 điểm chấp nhận thanh toán.[293] Đến hết năm 2031, tổng vốn huy động của các ngân hàng "
                 "tại tỉnh đạt 16.600 tỷ đồng.[294] Tính đến hết năm 2031, tỷ lệ bao phủ bảo hiểm xã hội trên địa bàn "
                 "tỉnh Hòa Bình Xanh cũ đạt trên 42% lực lượng lao động.[295]")
RATE_REPORT = "Đến hết năm 2030, tỉnh Hòa Bình Xanh có 118/126 xã đạt chuẩn NTM, đạt tỷ lệ 93,7%."
RATE_QUESTION = "Mục tiêu đến 2035 cả nước ít nhất bao nhiêu % xã đạt chuẩn NTM, mà Hòa Bình Xanh hết 2030 đã đạt tỷ lệ bao nhiêu rồi?"


def test_a_rate_is_answered_with_a_percentage_not_another_figure_of_the_page():
    target, page = chunk(NATIONAL_TARGET, title="Kết quả NTM"), chunk(PROVINCE_PAGE, title="Hòa Bình Xanh", score=0.9)
    a = ask(RATE_QUESTION, [target, page, chunk(RATE_REPORT, title="Báo cáo NTM", score=0.3)])
    assert "85%" in a.text and "93,7%" in a.text and "435.000" not in a.text
    without = ask(RATE_QUESTION, [target, page])  # the page alone has no rate: that ask is said to be unanswered
    assert "85%" in without.text and "435.000" not in without.text
    assert "42%" not in without.text  # a rate of another year: the page's reference marks end its sentences


def test_a_rate_may_be_a_percent_column_or_a_ratio_and_a_rate_asked_before_binds_only_its_own_ask():
    report = chunk("Năm 2031, tỷ lệ hộ nghèo của xã Hòa Bình Xanh là 2,1%. Thu nhập bình quân đầu người của xã "
                   "Hòa Bình Xanh đạt 62 triệu đồng/người/năm.", title="Báo cáo xã Hòa Bình Xanh")
    a = ask("Năm 2031 tỷ lệ hộ nghèo của xã Hòa Bình Xanh là bao nhiêu? Thu nhập bình quân đầu người thì bao nhiêu?",
            [report])
    assert "2,1%" in a.text and "62 triệu" in a.text
    row = chunk("| Chỉ tiêu | Đơn vị | Năm 2031 |\n| Tỷ lệ hộ nghèo xã Hòa Bình Xanh | % | 2,1 |", title="Phụ lục")
    assert "2,1" in ask("Tỷ lệ hộ nghèo xã Hòa Bình Xanh năm 2031 là bao nhiêu?", [row]).text.split("Căn cứ")[0]
    ratio = chunk("Tỷ lệ vốn đối ứng giữa tỉnh và xã Hòa Bình Xanh là 7:3.", title="Hòa Bình Xanh")
    assert "7:3" in ask("Tỷ lệ vốn đối ứng giữa tỉnh và xã Hòa Bình Xanh là bao nhiêu?", [ratio]).text.split("Căn cứ")[0]


def test_a_question_for_a_figure_the_evidence_lacks_is_refused_and_the_governing_decision_named():
    results = [chunk(CRITERIA_TEXT, number="318/QĐ-TTg", doc_type="Quyết định", title="Bộ tiêu chí xã")]
    a = ask("thu nhap binh quan dau nguoi de dat chuan NTM vung DBSCL la bao nhieu", results)
    assert not a.answered
    assert a.text.startswith("Tài liệu hiện có chưa nêu con số")
    assert "318/QĐ-TTg" in a.text and "51/2025/QĐ-TTg" in a.text  # the decision, and what replaced it
    assert a.citations and a.citations[0].number == "318/QĐ-TTg"  # the closest document is listed
    assert no_invented_numbers(a)


def test_figures_from_a_long_superseded_criteria_set_are_not_the_answer():
    old = chunk("Theo QĐ 1980/QĐ-TTg, thu nhập bình quân đầu người vùng Đồng bằng sông Cửu Long tối thiểu là "
                "50 triệu đồng/người.", title="Bộ tiêu chí cũ")
    a = ask("thu nhập bình quân đầu người để đạt chuẩn NTM vùng ĐBSCL hiện nay là bao nhiêu", [old])
    assert not a.answered and "50 triệu" not in a.text


def test_a_replaced_document_is_answered_with_a_note_naming_what_applies_instead():
    card = chunk("tiêu chí số 17: Môi trường và an toàn thực phẩm;", number="318/QĐ-TTg", doc_type="Quyết định",
                 title="Bộ tiêu chí xã", kind="catalogue")
    a = ask("TC17 là tiêu chí gì", [card])
    assert a.answered and "Môi trường và an toàn thực phẩm" in a.text
    assert any("318/QĐ-TTg đã được thay thế bởi 51/2025/QĐ-TTg" in n for n in a.notes)
    assert "15/02/2026" in a.text and no_invented_numbers(a)


def test_the_note_depends_on_the_date_asked_about():
    card = chunk("tiêu chí số 17: Môi trường và an toàn thực phẩm;", number="318/QĐ-TTg", doc_type="Quyết định",
                 title="Bộ tiêu chí xã", kind="catalogue")
    a = ask("năm 2024 TC17 là tiêu chí gì", [card])
    assert a.answered and any("sửa đổi, bổ sung bởi 211/QĐ-TTg" in n for n in a.notes)
    assert not any("thay thế" in n for n in a.notes)


def test_a_news_quote_naming_a_letter_also_cites_the_letter():
    news = chunk("Các huyện rà soát xã sáp nhập, thực hiện theo Công văn số 267/BNN-VPĐP của Văn phòng Điều phối "
                 "về triển khai nông thôn mới với xã hình thành sau sắp xếp.", title="Tin tỉnh")
    letter = chunk("Hướng dẫn xã, huyện hình thành sau sắp xếp đơn vị hành chính.", number="267/BNN-VPĐP",
                   doc_type="Công văn", title="Hướng dẫn với ĐVHC sau sắp xếp", doc_id="cv267")
    plan = understand("Công văn nào hướng dẫn triển khai NTM cho xã hình thành sau sắp xếp?", ENTRIES,
                      ABBREVIATIONS, today=TODAY)
    a = extractive_answer(plan, [news], ENTRIES, fetch=lambda number: [letter] if number == "267/BNN-VPĐP" else [])
    assert a.answered and [c.number for c in a.citations] == [None, "267/BNN-VPĐP"]
    assert "267/BNN-VPĐP" in a.text


def test_questions_in_the_evidence_are_not_taken_as_answers():
    faq = chunk("Thẩm quyền công nhận xã đạt chuẩn nông thôn mới thuộc về ai?")
    assert not ask("Ai có thẩm quyền công nhận xã đạt chuẩn nông thôn mới?", [faq]).answered


def test_no_evidence_at_all_is_an_honest_refusal():
    a = ask("Tiêu chí về chợ nông thôn quy định thế nào?", [])
    assert not a.answered and a.citations == () and a.text.startswith("Tài liệu hiện có chưa nêu")


def test_stated_numbers_are_canonical_and_the_check_catches_an_invented_one():
    assert stated_numbers("ngày 08/3/2022 theo 318/QĐ-TTg, đạt 1.234,5 triệu, 90%, 07 năm [2]") == {
        "2022-03-08", "318/qdttg", "1234.5", "90", "7"}
    evidence = ["Năm 2023 phấn đấu thêm 15 xã, ký ngày 8-3-2022 (QĐ 318/QĐ-TTg)."]
    assert unsupported_numbers("Theo [1]: 15 xã, năm 2023, ngày 08/03/2022, 318/qd-ttg.", evidence) == set()
    assert unsupported_numbers("Có 16 xã [1].", evidence) == {"16"}


def test_sentences_keep_list_markers_and_criteria_items_whole():
    text = "Điều 1. Phạm vi: áp dụng cho xã.\n2. Mục hai; tiêu chí số 17: Môi trường; tiêu chí số 18: Hệ thống"
    parts = [text[s:e] for s, e in split_sentences(text)]
    assert parts == ["Điều 1. Phạm vi: áp dụng cho xã.", "2. Mục hai;", "tiêu chí số 17: Môi trường;",
                     "tiêu chí số 18: Hệ thống"]


def test_markdown_bold_around_a_sentence_does_not_hide_its_end():
    # synthetic, in the layout of pages stored as Markdown: a year in bold opens each sentence
    text = "Năm 2030 đạt 70%. **Năm 2031** đạt 80%. **Năm 2032 đạt 85%.** Giá trị 2*3 giữ nguyên."
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "Năm 2030 đạt 70%.", "**Năm 2031** đạt 80%.", "**Năm 2032 đạt 85%.**", "Giá trị 2*3 giữ nguyên."]


def test_reference_marks_after_a_full_stop_end_the_sentence():
    # synthetic, in the layout of encyclopedia pages: marks numbered, stacked, lettered or a note
    text = ("Tỉnh có 120 xã đạt chuẩn.[14][15] Năm 2031 có 5 huyện.[a] Tỉnh có 10 phường.[ cần dẫn nguồn] "
            "Năm 2030 có 435.000 khách hàng.[293] Đến hết năm 2031, tỷ lệ đạt 42%.")
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "Tỉnh có 120 xã đạt chuẩn.[14][15]", "Năm 2031 có 5 huyện.[a]", "Tỉnh có 10 phường.[ cần dẫn nguồn]",
        "Năm 2030 có 435.000 khách hàng.[293]", "Đến hết năm 2031, tỷ lệ đạt 42%."]
