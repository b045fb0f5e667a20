"""Metadata from corpus headers and from the text of decisions, official letters and news."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from ingest import metadata
from ingest.loaders import load_file
from ingest.metadata import extract_metadata, extract_metadata_strict, find_mentions, normalise_number, parse_date
from ingest.types import DocMeta, LoadedDocument, Mention


def _doc(text: str, header: tuple[tuple[str, str], ...] = ()) -> LoadedDocument:
    return LoadedDocument(source="t", media_type="text", text=text, header=header)


# synthetic fixture: a Prime Minister decision without a corpus header
DECISION = """THỦ TƯỚNG CHÍNH PHỦ
-------
Số: 77/2030/QĐ-TTg

CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
---------------

Hà Nội, ngày 18 tháng 11 năm 2030

QUYẾT ĐỊNH
Ban hành Bộ tiêu chí thử nghiệm về thôn thông minh
giai đoạn 2031 - 2035

THỦ TƯỚNG CHÍNH PHỦ

Căn cứ Nghị quyết số 901/2030/QH16 ngày 02/7/2030 của Quốc hội;
Căn cứ Nghị định 27/2022/NĐ-CP ngày 19/4/2022;
Xét Tờ trình số 55/TTr-BNNMT của bộ chuyên ngành;

QUYẾT ĐỊNH:
Điều 1. Nay ban hành Bộ tiêu chí thử nghiệm về thôn thông minh.
Điều 2. Quyết định này có hiệu lực thi hành từ ngày 01 tháng 01 năm 2031. Bãi bỏ
Quyết định số 77/2030/QĐ-TTg bản dự thảo và thay thế Quyết định số 318/QĐ-TTg ngày 8/3/2022.
"""

# synthetic fixture: a provincial official letter (công văn) with a V/v subject
LETTER = """ỦY BAN NHÂN DÂN
TỈNH AN LẠC
-------
Số: 687/UBND-NN
V/v đôn đốc hoàn thiện hồ sơ
xét công nhận xã đạt chuẩn nông thôn mới năm 2031

CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM

An Lạc, ngày 03 tháng 3 năm 2031

Kính gửi: Ủy ban nhân dân các huyện

Thực hiện Kế hoạch số 1320/KH-UBND ngày 10-3-2030 và Công văn số 267/BNN-VPĐP ngày 09/01/2024,
Ủy ban nhân dân tỉnh đề nghị các huyện hoàn thiện hồ sơ theo Kế hoạch số 1320/KH-UBND.
"""

# synthetic fixture: a news article citing several documents
NEWS = """Huyện Sông Xanh tăng tốc về đích nông thôn mới

Thứ Hai, 27/03/2031 - 09:19

Thực hiện Nghị quyết số 09-NQ/TU ngày 6-12-2030 của Tỉnh ủy, huyện đã ban hành Kế hoạch
số 19/KH-BCĐ về xây dựng nông thôn mới. Theo Quyết định 51/2025/QD-TTg, bộ tiêu chí mới có 10 tiêu chí.
Sau đó huyện tiếp tục triển khai Kế hoạch số 19/KH-BCĐ ngày 15/4/2031.
"""


def test_header_fields_take_precedence() -> None:
    header = (("Tiêu đề", "Quyết định về bộ tiêu chí nông thôn mới cho giai đoạn 2026 - 2030"),
              ("Số hiệu", "51/2025/QĐ-TTg"),
              ("Ngày ký", "29/12/2025"),
              ("Cơ quan ban hành", "Thủ tướng Chính phủ (Phó Thủ tướng ký)"),
              ("Ngày hiệu lực", "15/02/2026 (theo báo chí)"))
    meta = extract_metadata(_doc("Nội dung tóm tắt theo Nghị định 27/2022/NĐ-CP.", header))
    assert meta == DocMeta(
        number="51/2025/QĐ-TTg", doc_type="Quyết định", issuer="Thủ tướng Chính phủ",
        signed_date="2025-12-29", effective_date="2026-02-15",
        title="Quyết định về bộ tiêu chí nông thôn mới cho giai đoạn 2026 - 2030",
        mentions=(Mention("27/2022/NĐ-CP", None),))
    assert meta.year == 2025


def test_header_without_dates_or_type_falls_back_to_the_text() -> None:
    header = (("Số hiệu", "34/2025/NQ-HĐND"), ("Ngày thông qua", "18/11/2025"), ("Ngày hiệu lực", "—"))
    meta = extract_metadata(_doc("**NGHỊ QUYẾT**\nVỀ VỐN ĐỐI ỨNG\n*Căn cứ Luật số 72/2025/QH15;*", header))
    assert (meta.doc_type, meta.signed_date, meta.effective_date) == ("Nghị quyết", "2025-11-18", None)
    assert meta.title == "VỀ VỐN ĐỐI ỨNG" and meta.issuer == "Hội đồng nhân dân"


def test_decision_text_gives_number_type_issuer_dates_title_and_mentions() -> None:
    meta = extract_metadata(_doc(DECISION))
    assert meta.number == "77/2030/QĐ-TTg"
    assert meta.doc_type == "Quyết định"
    assert meta.issuer == "Thủ tướng Chính phủ"
    assert meta.signed_date == "2030-11-18"
    assert meta.effective_date == "2031-01-01"
    assert meta.title == "Ban hành Bộ tiêu chí thử nghiệm về thôn thông minh giai đoạn 2031 - 2035"
    assert meta.mentions == (
        Mention("901/2030/QH16", "2030-07-02"),
        Mention("27/2022/NĐ-CP", "2022-04-19"),
        Mention("55/TTr-BNNMT", None),
        Mention("318/QĐ-TTg", "2022-03-08"),
    ), "own number excluded, dates taken from next to each number"


def test_official_letter_is_a_cong_van_from_the_provincial_committee() -> None:
    meta = extract_metadata(_doc(LETTER))
    assert meta.number == "687/UBND-NN"
    assert meta.doc_type == "Công văn"
    assert meta.issuer == "Ủy ban nhân dân tỉnh An Lạc"
    assert meta.signed_date == "2031-03-03"
    assert meta.effective_date is None
    assert meta.title == "Về việc đôn đốc hoàn thiện hồ sơ xét công nhận xã đạt chuẩn nông thôn mới năm 2031"
    assert meta.mentions == (Mention("1320/KH-UBND", "2030-03-10"), Mention("267/BNN-VPĐP", "2024-01-09"))


def test_news_article_uses_headline_publication_date_and_all_numbers() -> None:
    meta = extract_metadata(_doc(NEWS))
    assert meta.doc_type == "Bài báo"
    assert (meta.number, meta.issuer, meta.effective_date) == (None, None, None)
    assert meta.title == "Huyện Sông Xanh tăng tốc về đích nông thôn mới"
    assert meta.signed_date == "2031-03-27"
    # The later "ngày 15/4/2031" fills the date the first mention of 19/KH-BCĐ lacked.
    assert meta.mentions == (Mention("09-NQ/TU", "2030-12-06"), Mention("19/KH-BCĐ", "2031-04-15"),
                             Mention("51/2025/QĐ-TTg", None))


@pytest.mark.parametrize(("raw", "expected"), [
    ("318/QĐ-TTg", "318/QĐ-TTg"),
    ("318/QD-TTg", "318/QĐ-TTg"),
    ("318 / qd - ttg", "318/QĐ-TTg"),
    ("51/2025/QD-TTG", "51/2025/QĐ-TTg"),
    ("267/BNN-VPDP", "267/BNN-VPĐP"),
    ("19/KH-BCD", "19/KH-BCĐ"),
    ("27/2022/ND-CP", "27/2022/NĐ-CP"),
    ("34/2025/NQ-HDND", "34/2025/NQ-HĐND"),
    ("257/2025/qh15", "257/2025/QH15"),
    ("631/TB-VPCP.", "631/TB-VPCP"),
    ("09-NQ/TU", "09-NQ/TU"),
    ("2251/BTNMT-KSONMT", "2251/BTNMT-KSONMT"),
    ("16487/ttr-ubnd", "16487/TTr-UBND"),
    ("15/HD-BCD", "15/HD-BCĐ"),  # HD (hướng dẫn) has no Đ in its code
])
def test_normalise_number(raw: str, expected: str) -> None:
    assert normalise_number(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("ngày 18 tháng 11 năm 2025", "2025-11-18"),
    ("Hà Nội, ngày 09 tháng 4 năm 2024", "2024-04-09"),
    ("18/11/2025", "2025-11-18"),
    ("ngày 10-3-2023", "2023-03-10"),
    ("02.8.2022", "2022-08-02"),
    ("31/02/2025", None),
    ("không có ngày", None),
    ("", None),
])
def test_parse_date(raw: str, expected: str | None) -> None:
    assert parse_date(raw) == expected


def test_mentions_deduplicate_in_order_and_skip_own_number_in_any_spelling() -> None:
    text = ("Theo Kế hoạch số 1320/KH-UBND ngày 10-3-2023, Quyết định 318/QD-TTg, "
            "Quyết định 318/QĐ-TTg ngày 08/3/2022 và Kế hoạch 1320/KH-UBND.")
    assert find_mentions(text, own="1320/kh-ubnd") == (Mention("318/QĐ-TTg", "2022-03-08"),)
    assert find_mentions(text) == (Mention("1320/KH-UBND", "2023-03-10"), Mention("318/QĐ-TTg", "2022-03-08"))


def test_dates_and_plain_numbers_are_not_mistaken_for_document_numbers() -> None:
    text = "Ngày 10/3/2023, tỷ lệ đạt 24/7 và 2/3 số xã; giai đoạn 2021-2025 có 1.000 hộ."
    assert find_mentions(text) == ()


@pytest.mark.parametrize("text", ["", "\n\n", "Số:", "Số: ///", "QUYẾT ĐỊNH", "V/v", "ngày 99 tháng 99 năm 9999",
                                  "|", "**", "Ngày 31-02-2024", "22:11 | 99/99/2024", "Đăng lúc:", "RSS\nHotline:"])
def test_odd_text_never_raises(text: str) -> None:
    # The unguarded function: a bug on odd input must fail here, not vanish into an empty DocMeta.
    meta = extract_metadata_strict(_doc(text))
    assert isinstance(meta, DocMeta) and meta.number is None and meta.signed_date is None


def test_guard_logs_the_exception_and_returns_empty_metadata(monkeypatch, caplog) -> None:
    def broken(text: str):
        raise RuntimeError("synthetic bug")

    monkeypatch.setattr(metadata, "news_fields", broken)
    with caplog.at_level(logging.ERROR, logger="ingest.metadata"):
        meta = extract_metadata(LoadedDocument(source="tin/bai.txt", media_type="text", text=NEWS))
    assert meta == DocMeta()
    [record] = [r for r in caplog.records if r.name == "ingest.metadata"]
    assert "tin/bai.txt" in record.getMessage() and record.exc_info and record.exc_info[0] is RuntimeError


# synthetic fixtures: saved news pages whose first lines are website chrome, one per date style
SITE_HEADER_NEWS = """Thứ ba 14/05/2031 08:05 24h qua English RSS
Hotline: 012 345 6789

Xã Hòa Lộc hoàn thành bộ tiêu chí nông thôn mới kiểu mẫu sớm một năm

21:40 | 03/02/2031

(Tin địa phương) – Sau ba năm triển khai, xã Hòa Lộc đã về đích sớm.
"""
SLOGAN_NEWS = """TOÀN DÂN CHUNG SỨC XÂY DỰNG QUÊ HƯƠNG GIÀU ĐẸP, VĂN MINH!

Hội nghị sơ kết chương trình nông thôn mới của huyện Đồng Xanh

Đăng lúc: 09:05:17 12/06/2031 (GMT+7)
100%

Sáng 11/6, huyện Đồng Xanh tổ chức hội nghị sơ kết.
"""
TEMPLATE_NEWS = """xem chi tiet tin - Cổng thông tin nông thôn mới tỉnh An Lạc



Tỉnh An Lạc đặt mục tiêu thêm năm xã đạt chuẩn nông thôn mới năm 2031.

Ngày 07-07-2031

Ngày 30 tháng 6 năm 2031, Ban chỉ đạo tỉnh đã ban hành kế hoạch mới.
"""
DASH_TIME_NEWS = """Trang chủ » Tin tức » Nông thôn mới
Đăng nhập

Thôn Bắc Sơn làm đường bê tông liên thôn bằng vốn nhân dân đóng góp

19/09/2031 - 15:45

A A

Người dân thôn Bắc Sơn đã hiến đất làm đường.
"""


@pytest.mark.parametrize(("text", "date", "title"), [
    (SITE_HEADER_NEWS, "2031-02-03", "Xã Hòa Lộc hoàn thành bộ tiêu chí nông thôn mới kiểu mẫu sớm một năm"),
    (SLOGAN_NEWS, "2031-06-12", "Hội nghị sơ kết chương trình nông thôn mới của huyện Đồng Xanh"),
    (TEMPLATE_NEWS, "2031-07-07", "Tỉnh An Lạc đặt mục tiêu thêm năm xã đạt chuẩn nông thôn mới năm 2031."),
    (DASH_TIME_NEWS, "2031-09-19", "Thôn Bắc Sơn làm đường bê tông liên thôn bằng vốn nhân dân đóng góp"),
])
def test_news_date_and_headline_skip_site_chrome(text: str, date: str, title: str) -> None:
    # title_hint as the text loader sets it: the first line, here chrome
    doc = LoadedDocument(source="t", media_type="text", text=text, title_hint=text.splitlines()[0])
    meta = extract_metadata_strict(doc)
    assert (meta.doc_type, meta.number, meta.signed_date, meta.title) == ("Bài báo", None, date, title)


def test_site_render_date_alone_is_not_the_publication_date() -> None:
    # synthetic fixture: a bare render date above the headline, the article's date below it
    text = "Thứ Tư, 01/10/2031\n\nHợp tác xã Tân Phú mở rộng vùng trồng lúa hữu cơ\n\n15/08/2031 07:30\n\nNội dung."
    meta = extract_metadata_strict(_doc(text))
    assert meta.signed_date == "2031-08-15" and meta.title == "Hợp tác xã Tân Phú mở rộng vùng trồng lúa hữu cơ"


# synthetic fixture: a saved news page without a date line; <title> is the only clean headline
HTML_NEWS = """<!DOCTYPE html><html><head><meta charset="utf-8">
<title>Xã Bình An đón bằng công nhận nông thôn mới nâng cao</title></head>
<body><div>Giới thiệu</div><p>Chiều qua, xã Bình An tổ chức lễ đón bằng công nhận. Hàng trăm người dân đã
đến dự và chúc mừng thành quả sau nhiều năm chung sức xây dựng quê hương, với đường sá, trường học và nhà văn
hóa được nâng cấp; thu nhập bình quân đầu người tăng gần gấp đôi so với năm đầu tiên của giai đoạn.</p>
</body></html>"""


def test_title_falls_back_to_the_html_title_hint(tmp_path: Path) -> None:
    path = tmp_path / "tin.html"
    path.write_text(HTML_NEWS, encoding="utf-8")
    doc = load_file(path, "tin.html")
    assert doc.text.startswith("Giới thiệu\n")
    assert extract_metadata_strict(doc).title == "Xã Bình An đón bằng công nhận nông thôn mới nâng cao"


def test_chrome_title_hint_is_not_used(tmp_path: Path) -> None:
    path = tmp_path / "tin.html"
    path.write_text(HTML_NEWS.replace("<title>Xã Bình An đón", "<title>xem chi tiet tin - Xã Bình An đón"),
                    encoding="utf-8")
    doc = load_file(path, "tin.html")
    assert doc.title_hint.startswith("xem chi tiet tin")
    title = extract_metadata_strict(doc).title
    assert title and not title.startswith("xem chi tiet")
