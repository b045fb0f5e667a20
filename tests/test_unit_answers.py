"""Questions naming administrative units, end to end on a small synthetic index (real unit data package)."""

from __future__ import annotations

import pytest

from ntm.services import build_services
from retrieval.embedding import HashEmbedder
from ntm.settings import Settings

pytestmark = pytest.mark.synthetic

# synthetic fixture, written for this test: a report that names communes by their pre-2025 names
REPORT = """Tỉnh Hậu Giang: báo cáo kết quả xây dựng nông thôn mới năm 2022 (văn bản giả lập dùng cho kiểm thử)

Trong năm 2022, xã Long Trị A của thị xã Long Mỹ được công nhận đạt chuẩn nông thôn mới nâng cao.
Xã Phú Hữu của huyện Châu Thành tiếp tục giữ vững 19 tiêu chí và nâng chất các tiêu chí về môi trường.
Kinh phí hỗ trợ mỗi xã đạt chuẩn là 1,5 tỷ đồng từ ngân sách tỉnh.
"""


# synthetic fixture: a pre-2025 report of the old city of Cần Thơ, which later took in Hậu Giang and Sóc Trăng
CITY_REPORT = """Thành phố Cần Thơ: tổng kết năm 2022 (văn bản giả lập dùng cho kiểm thử)

Đến cuối năm 2022, thành phố Cần Thơ có 36 xã đạt chuẩn nông thôn mới.
"""


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("units")
    (tmp / "baocao.txt").write_text(REPORT, encoding="utf-8")
    (tmp / "cantho.txt").write_text(CITY_REPORT, encoding="utf-8")
    services = build_services(Settings(_env_file=None, data_dir=tmp / "data", qdrant_url=None), embedder=HashEmbedder())
    services.warm_up()
    services.indexer.ingest_paths([str(tmp / "baocao.txt"), str(tmp / "cantho.txt")])
    services.searcher.refresh()
    yield services
    services.close()


def ask(services, question):
    return services.asker.ask(question, mode="sparse").answer


def test_a_unit_question_is_answered_from_the_mapping_with_its_source_and_version(services):
    answer = ask(services, "xa long tri a nay thuoc xa nao vay")
    assert answer.answered
    assert "nay thuộc phường Long Mỹ, thành phố Cần Thơ" in answer.text
    assert answer.citations[0].source == "vietnamadminunits==1.0.4"
    assert "áp dụng từ 01/07/2025" in answer.text
    assert len(answer.citations) == 1 and len(answer.text) < 900  # a plain mapping stays short …
    assert "267/BNN-VPĐP (hết hiệu lực" in answer.text  # … and names the documents on merged units in one line
    with_ntm = ask(services, "xã Long Trị A sáp nhập vào đâu, danh hiệu NTM nâng cao của xã tính theo hướng dẫn nào")
    assert "nay thuộc phường Long Mỹ" in with_ntm.text
    assert "267/BNN-VPĐP" in with_ntm.text  # the catalogue's documents on merged units, with their status


def test_a_new_name_question_finds_the_passage_written_with_the_old_name(services):
    answer = ask(services, "Phường Long Mỹ (Cần Thơ) trước đây có xã nào đạt chuẩn nông thôn mới nâng cao năm 2022?")
    assert answer.answered
    assert "xã Long Trị A của thị xã Long Mỹ được công nhận" in answer.text
    assert answer.citations[0].source.endswith("baocao.txt")


def test_a_question_about_something_else_shows_both_names_of_the_unit(services):
    answer = ask(services, "xã Phú Hữu huyện Châu Thành giữ vững bao nhiêu tiêu chí")
    assert "19 tiêu chí" in answer.text
    assert "Xã Phú Hữu (huyện Châu Thành, tỉnh Hậu Giang cũ) được chia về 2 đơn vị mới" in answer.text


@pytest.mark.parametrize("question,reason", [
    ("Tân Phú sáp nhập vào đâu", "Vui lòng ghi thêm huyện cũ hoặc tỉnh"),
    ("xã Hậu Giang sáp nhập vào đâu", "không phải tên xã"),
])
def test_shared_or_wrong_level_names_get_a_reason_never_a_guess(services, question, reason):
    answer = ask(services, question)
    assert reason in answer.text


def test_how_many_provinces_and_an_unmerged_province_in_one_message(services):
    answer = ask(services, "từ 1/7/2025 cả nước còn bao nhiêu tỉnh? Điện Biên có phải nhập với tỉnh khác không")
    assert "cả nước có 34 tỉnh, thành phố (trước đó 63)" in answer.text
    assert "Tỉnh Điện Biên không hợp nhất với tỉnh khác" in answer.text


def test_every_number_of_a_unit_answer_is_in_a_quote_or_the_catalogue(services):
    from knowledge.cards import entry_text
    from retrieval.evidence import unsupported_numbers

    for question in ("xa long tri a nay thuoc xa nao vay",
                     "xã Long Trị A sáp nhập vào đâu, danh hiệu NTM của xã tính theo hướng dẫn nào"):
        answer = ask(services, question)
        support = [c.quote for c in answer.citations] + [c.location for c in answer.citations]
        support += [entry_text(e, services.catalogue) for e in services.catalogue] + [question]
        assert unsupported_numbers(answer.text, support) == set(), question


def test_a_passage_on_the_province_a_merged_one_joined_does_not_answer_for_it(services):
    answer = ask(services, "Đến cuối năm 2022 Sóc Trăng có bao nhiêu xã đạt chuẩn NTM?")
    assert "36 xã" not in answer.text.split("Tài liệu gần nhất")[0]  # Cần Thơ's figure is not Sóc Trăng's
