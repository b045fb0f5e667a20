"""Messages with several asks: each ask answered on its own, partial answers, asks about a document answered from the
catalogue card, units that are never answers, and citations that earn their place. Texts are synthetic."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from knowledge.abbreviations import load_abbreviations
from knowledge.cards import card_id, entry_text
from knowledge.catalogue import DEFAULT_PATH, find_entry, load_catalogue
from retrieval.asks import MAX_ASKS, split_asks
from retrieval.extractive import extractive_answer
from retrieval.query import understand, vocabulary_of
from retrieval.search import SearchResult

pytestmark = pytest.mark.synthetic

TODAY = date(2026, 11, 21)
ENTRIES = load_catalogue(DEFAULT_PATH)
ABBREVIATIONS = load_abbreviations(Path(DEFAULT_PATH).parent / "abbreviations.yaml")

# synthetic fixture: made-up provinces and plans, not from any real document
HOA_BINH_XANH = ("Năm 2031, tỉnh Hòa Bình Xanh phấn đấu công nhận thêm 12 xã đạt chuẩn nông thôn mới, trong đó "
                 "4 xã đạt chuẩn nông thôn mới nâng cao. Các sở phối hợp tổ chức hội nghị sơ kết.")
SON_LAM = "Năm 2031, tỉnh Sơn Lâm phấn đấu công nhận thêm 9 xã đạt chuẩn nông thôn mới."
PREAMBLE = ("Căn cứ Nghị quyết về xã đạt chuẩn nông thôn mới năm 2031 của tỉnh Đồi Mây. "
            "Xem thêm tại https://example.vn/xa-dat-chuan-nong-thon-moi-2031-doi-may.")


def chunk(text, number=None, title="Tin tức", doc_id=None, kind="document", doc_type=None, score=0.5):
    return SearchResult(score, doc_id or f"doc-{abs(hash(text)) % 10_000}", number, title, "", None,
                        f"docs/{doc_id or 'a'}.txt", text, None, f"chunk-{abs(hash(text)) % 10_000}", kind, doc_type)


def card(number):
    entry = find_entry(ENTRIES, number)
    return chunk(entry_text(entry, ENTRIES), number=entry.number, title=entry.title, doc_id=card_id(entry),
                 kind="catalogue", doc_type=entry.type)


def answer(question, results, cards=None):
    plan = understand(question, ENTRIES, ABBREVIATIONS, today=TODAY)
    return extractive_answer(plan, results, ENTRIES, cards=cards)


def by_card(entry):
    return [card(entry.number)]


def test_a_message_is_split_into_its_asks_each_with_the_kind_of_answer_it_expects():
    asks = split_asks("ad ơi cho em hỏi Hòa Bình Xanh năm 2031 phấn đấu bao nhiêu xã đạt chuẩn, "
                      "trong đó bao nhiêu xã nâng cao ạ? QĐ 318 ai ký?")
    assert [a.kind for a in asks] == ["figure", "figure", "person"]
    assert asks[0].text.startswith("Hòa Bình Xanh")  # the greeting is not part of the ask
    assert "Hòa Bình Xanh" in asks[1].search_text  # "trong đó …" leans on the ask before


def test_words_joined_by_va_inside_one_ask_stay_one_ask():
    asks = split_asks("Bộ tiêu chí xã NTM và xã NTM nâng cao giai đoạn 2021-2025 có bao nhiêu tiêu chí?")
    assert len(asks) == 1 and asks[0].kind == "figure"


def test_a_typo_is_corrected_against_the_domain_vocabulary_and_an_ask_repeated_is_kept_once():
    vocabulary = vocabulary_of(ENTRIES)
    asks = split_asks("bo tieu chi xa nong thon moi co bao nhiu tieu chi? bo tieu chi xa nong thon moi co bao nhiu "
                      "tieu chi?", vocabulary)
    assert len(asks) == 1 and asks[0].kind == "figure" and "bao nhieu" in asks[0].search_text


def test_two_asks_are_answered_from_two_documents_in_their_order():
    results = [chunk(HOA_BINH_XANH, title="Hòa Bình Xanh: kế hoạch 2031"), chunk(SON_LAM, title="Sơn Lâm 2031")]
    a = answer("Tỉnh Hòa Bình Xanh năm 2031 phấn đấu bao nhiêu xã đạt chuẩn NTM? còn tỉnh Sơn Lâm thì sao?", results)
    assert a.answered
    first, second = a.text.split("\n")[:2]
    assert first.startswith("• Tỉnh Hòa Bình Xanh") and "12 xã" in first
    assert second.startswith("• còn tỉnh Sơn Lâm") and "9 xã" in second
    assert [c.quote for c in a.citations] == [HOA_BINH_XANH.split(" Các")[0], SON_LAM]


def test_an_ask_the_documents_do_not_answer_is_named_and_the_others_are_still_answered():
    results = [chunk(HOA_BINH_XANH, title="Hòa Bình Xanh: kế hoạch 2031")]
    a = answer("Hòa Bình Xanh năm 2031 phấn đấu bao nhiêu xã đạt chuẩn NTM, và bao nhiêu tỷ đồng vốn ngân sách?",
               results)
    assert a.answered and "12 xã" in a.text
    assert "• và bao nhiêu tỷ đồng vốn ngân sách: Tài liệu hiện có chưa nêu" in a.text
    assert len(a.citations) == 1


def test_one_quote_answering_two_asks_is_quoted_once():
    a = answer("Hòa Bình Xanh năm 2031 phấn đấu bao nhiêu xã đạt chuẩn NTM, trong đó bao nhiêu xã nâng cao?",
               [chunk(HOA_BINH_XANH, title="Hòa Bình Xanh: kế hoạch 2031")])
    assert a.text.count("“") == 1 and "xem trích dẫn [1]" in a.text and len(a.citations) == 1


def test_asks_about_a_document_are_answered_from_its_catalogue_card():
    a = answer("QĐ 318 ai ký? còn hiệu lực không, bị sửa bởi văn bản nào?", [chunk(HOA_BINH_XANH)], cards=by_card)
    assert a.answered
    entry = find_entry(ENTRIES, "318/QĐ-TTg")
    assert entry.signer.split(" (")[0] in a.text
    assert "211/QĐ-TTg" in a.text and "51/2025/QĐ-TTg" in a.text and "Tính đến ngày 21/11/2026" in a.text
    assert all(c.document_id == card_id(entry) and "hệ thống tóm tắt" in c.location for c in a.citations)
    assert len(a.citations) == 1  # one card, cited once for both asks


def test_a_field_the_catalogue_leaves_empty_is_said_to_be_unrecorded_not_guessed():
    a = answer("QĐ 1980 ai ký?", [chunk(HOA_BINH_XANH)], cards=by_card)
    assert not a.answered and "chưa ghi người ký" in a.text
    b = answer("QĐ 1980 ký ngày nào?", [chunk(HOA_BINH_XANH)], cards=by_card)
    assert not b.answered and "chưa có ngày cụ thể" in b.text


def test_a_preamble_or_a_web_address_is_never_the_answer():
    a = answer("Nghị quyết về xã đạt chuẩn nông thôn mới năm 2031 của tỉnh Đồi Mây là gì?", [chunk(PREAMBLE)])
    assert not a.answered and "Tài liệu hiện có chưa nêu" in a.text


def test_a_second_document_is_cited_only_when_it_adds_to_the_answer():
    same = chunk("Tỉnh Hòa Bình Xanh năm 2031 phấn đấu có thêm 12 xã đạt chuẩn nông thôn mới.", title="Tin khác",
                 doc_id="tin-khac")
    a = answer("Tỉnh Hòa Bình Xanh năm 2031 phấn đấu bao nhiêu xã đạt chuẩn NTM?",
               [chunk(HOA_BINH_XANH, title="Hòa Bình Xanh: kế hoạch 2031", doc_id="kh"), same])
    assert a.answered and len(a.citations) == 1


def test_more_asks_than_answered_are_named_for_sending_separately():
    question = "? ".join(f"Năm {2030 + i} tỉnh Hòa Bình Xanh có bao nhiêu xã đạt chuẩn" for i in range(MAX_ASKS + 2))
    plan = understand(question, ENTRIES, ABBREVIATIONS, today=TODAY)
    assert len(plan.asks) == MAX_ASKS and len(plan.extra_asks) == 2
    a = extractive_answer(plan, [chunk(HOA_BINH_XANH)], ENTRIES)
    assert "vui lòng gửi riêng" in a.text and "Năm 2036" in a.text


def test_a_trailing_remark_is_not_an_ask_and_names_in_a_list_are_not_split():
    asks = split_asks("Xã Đan Trường, Quang Thọ, Bùi La Nhân được công nhận theo QĐ nào? (em cần gấp)")
    assert len(asks) == 1 and asks[0].kind == "document"
    plan = understand("Xã Đan Trường, Quang Thọ được công nhận theo QĐ nào?", ENTRIES, ABBREVIATIONS, today=TODAY)
    assert ("Đan Trường",) in plan.entities and ("Quang Thọ",) in plan.entities


def test_an_ask_for_a_date_is_answered_by_the_unit_with_the_date_though_worded_otherwise():
    text = ("Kế hoạch sắp xếp của tỉnh Đồi Mây. Trước ngày 30/5/2031, Sở Nội vụ thẩm định, lập hồ sơ trình "
            "Hội đồng nhân dân tỉnh. Các xã tổ chức lấy ý kiến cử tri.")
    a = answer("Tỉnh Đồi Mây: hồ sơ đề án phải được Sở Nội vụ thẩm định xong khi nào?", [chunk(text, title="Đồi Mây")])
    assert a.answered and "30/5/2031" in a.citations[0].quote


def test_card_lines_on_status_and_relations_are_not_quoted_as_content():
    a = answer("QĐ 318 tiếp nối văn bản trước nào cùng chủ đề?", [card("318/QĐ-TTg")])
    assert all(not c.quote.startswith(("Tiếp nối", "Đã được sửa đổi", "Đã bị thay thế")) for c in a.citations)


def test_a_list_item_answers_with_the_lead_in_it_continues_and_negation_does_not_split_an_ask():
    text = ("Trong năm 2031, Hòa Bình Xanh hướng tới thêm tối thiểu 12 xã về đích NTM; 3 thôn kiểu mẫu mới; "
            "1 huyện về đích được công nhận; không còn xã dưới 15 tiêu chí.")
    a = answer("Năm 2031 Hòa Bình Xanh có bao nhiêu huyện về đích được công nhận?", [chunk(text, title="Kế hoạch")])
    assert a.answered and a.citations[0].quote == "1 huyện về đích được công nhận;"
    assert len(split_asks("Mục tiêu 2031: không còn xã dưới bao nhiêu tiêu chí?")) == 1


def test_a_sentence_wrapped_over_lines_is_one_unit_and_a_reused_quote_needs_two_figures_for_two_figure_asks():
    wrapped = ("Với hạng mục xã đứng tên chủ đầu tư, phần vốn huyện cũ còn thiếu về đối\n"
               "ứng thì thành phố Đồi Mây xem xét hỗ trợ có mục tiêu.\nKhoản 2")
    a = answer("Ở thành phố Đồi Mây, hạng mục xã đứng tên chủ đầu tư mà vốn huyện cũ còn thiếu về đối ứng thì "
               "xử lý thế nào?", [chunk(wrapped, title="Đồi Mây")])
    assert a.answered and a.citations[0].quote.endswith("xem xét hỗ trợ có mục tiêu.")
    one_figure = "Năm 2031, tỉnh Hòa Bình Xanh phấn đấu công nhận thêm 12 xã đạt chuẩn nông thôn mới."
    b = answer("Hòa Bình Xanh năm 2031 phấn đấu bao nhiêu xã đạt chuẩn, trong đó bao nhiêu xã nâng cao?",
               [chunk(one_figure, title="Hòa Bình Xanh")])
    assert "xem trích dẫn [1]" not in b.text


def test_a_place_name_is_not_read_as_a_question_word_and_capitals_still_ask():
    assert [a.kind for a in split_asks("Ở thành phố Đồi Mây, huyện cũ chưa bố trí đủ vốn thì xử lý thế nào?")] \
        == ["steps"]  # "Mây" folds to "may" (mấy), but it is part of a name
    assert split_asks("BỘ TIÊU CHÍ XÃ NTM CÓ BAO NHIÊU TIÊU CHÍ")[0].kind == "figure"


def test_a_document_named_as_van_ban_and_its_signer_asked_with_ki_are_understood():
    a = answer("van ban 5424 ki ngay nao, co quan nao ban hanh", [chunk(HOA_BINH_XANH)], cards=by_card)
    entry = find_entry(ENTRIES, "5424/BNN-VPĐP")
    assert a.answered and "09/08/2023" in a.text and entry.issuer in a.text


def test_a_list_ask_needs_a_unit_that_lists_and_a_lead_in_whose_list_is_missing_is_no_answer():
    heading = chunk("Đề án đặc sản Hòa Bình Xanh chia hàng hóa thành 06 nhóm sản phẩm chủ lực.",
                    title="Đặc sản Hòa Bình Xanh")
    assert not answer("Đề án đặc sản Hòa Bình Xanh có 06 nhóm sản phẩm gồm những nhóm nào?", [heading]).answered
    cut = chunk("Tỉnh Hòa Bình Xanh chỉ ban hành một bộ tiêu chí xã nông thôn mới là do: Thực [...]", title="Tin")
    assert not answer("Vì sao tỉnh Hòa Bình Xanh chỉ ban hành một bộ tiêu chí xã nông thôn mới?", [cut]).answered


def test_a_condition_and_its_consequence_or_a_statute_noun_do_not_make_two_asks():
    assert len(split_asks("Người nào thả trên 40 con trâu vào rừng phòng hộ, thì bị xử phạt từ bao nhiêu đến bao nhiêu?")) == 1
    assert len(split_asks("Chợ tạm được họp trong bao nhiêu tháng, kể từ ngày xã ra thông báo?")) == 1
    assert len(split_asks("Hồ sơ đề nghị công nhận gồm những gì, nộp cho cơ quan nào?")) == 2


def test_a_table_laid_out_one_cell_per_line_is_quoted_row_by_row_with_its_header():
    # synthetic table in the layout of collected web pages: one cell per line between "|" lines
    table = ("Tỷ lệ vốn đối ứng của tỉnh Đồi Mây theo Bảng sau:\n|\n**TT**\n|\n**Địa phương**\n|\n**Tỉnh (%)**\n|\n"
             "**Xã (%)**\n|\n|\n1\n|\nXã Suối Ngọc\n|\n40\n|\n60\n|\n|\n2\n|\nXã Đồng Sương\n|\n70\n|\n30\n|\n|\n")
    a = answer("Ở Đồi Mây, xã Đồng Sương tỷ lệ vốn đối ứng giữa tỉnh và xã là bao nhiêu?", [chunk(table, title="Đồi Mây")])
    assert a.answered
    assert a.citations[0].quote == "TT | Địa phương | Tỉnh (%) | Xã (%) … 2 | Xã Đồng Sương | 70 | 30"


def test_a_message_that_only_names_a_document_gets_what_the_document_is_and_its_status():
    for message in ("QĐ 18/2022?", "cv 267", "Quyết định 318 là gì?"):
        a = answer(message, [chunk(HOA_BINH_XANH)], cards=by_card)
        number = understand(message, ENTRIES, ABBREVIATIONS, today=TODAY).numbers[0]
        entry = find_entry(ENTRIES, number)
        assert a.answered and entry.title in a.text and "Tính đến ngày 21/11/2026" in a.text, message
        assert len(a.citations) == 1 and a.citations[0].document_id == card_id(entry)


def test_an_ask_is_shown_without_the_greeting_however_anh_chi_is_written():
    asks = split_asks("a/c cho e hỏi Hòa Bình Xanh năm 2031 có bao nhiêu xã đạt chuẩn? anh/chị ơi QĐ 318 ai ký?")
    assert [a.text for a in asks] == ["Hòa Bình Xanh năm 2031 có bao nhiêu xã đạt chuẩn", "QĐ 318 ai ký"]
