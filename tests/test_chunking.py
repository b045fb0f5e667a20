"""Structure-aware chunking of Vietnamese legal texts, plans, news and tables: paths, offsets, limits."""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
from pathlib import Path

import pytest

from ingest.chunking import chunk_document
from ingest.types import ChunkSpan, LoadedDocument, PageSpan

SHARED = Path(__file__).resolve().parents[2] / "shared"

# synthetic fixture: a provincial decision with chapters, articles, clauses and points
DECISION = """ỦY BAN NHÂN DÂN
TỈNH AN LẠC
Số: 45/2024/QĐ-UBND

An Lạc, ngày 5 tháng 6 năm 2024

QUYẾT ĐỊNH
Ban hành Quy định hỗ trợ làm đường giao thông nông thôn

Chương I
QUY ĐỊNH CHUNG

Điều 1. Phạm vi điều chỉnh
Quy định này quy định mức hỗ trợ làm đường giao thông nông thôn trên địa bàn tỉnh.

Điều 2. Đối tượng áp dụng
1. Các xã đăng ký đạt chuẩn nông thôn mới trong năm.
2. Các thôn có đề án xây dựng thôn kiểu mẫu, gồm:
a) Thôn thuộc xã khu vực III;
b) Thôn có trên 50% hộ đồng bào dân tộc thiểu số;
c) Thôn bị ảnh hưởng nặng bởi thiên tai trong hai năm gần nhất.

Chương II
MỨC HỖ TRỢ

Điều 3. Mức hỗ trợ
1. Ngân sách tỉnh hỗ trợ 70% chi phí xi măng cho đường trục thôn.
2. Ngân sách xã bố trí phần còn lại từ nguồn thu tiền sử dụng đất.
"""

# synthetic fixture: a district plan with I./1./a)/- numbering
PLAN = """KẾ HOẠCH
Thực hiện Chương trình xây dựng nông thôn mới năm 2025

I. MỤC ĐÍCH, YÊU CẦU
1. Mục đích
Huy động các nguồn lực để hoàn thành kế hoạch đạt chuẩn của ba xã.
2. Yêu cầu
Các phòng, ban bám sát địa bàn, báo cáo kết quả hằng quý.

II. NHIỆM VỤ
1. Tuyên truyền
a) Nội dung tuyên truyền
- Phổ biến các tiêu chí mới về môi trường và cảnh quan nông thôn đến từng hộ gia đình.
- Giới thiệu các mô hình sản xuất hiệu quả của nông dân trong huyện trên đài truyền thanh xã.
b) Hình thức tuyên truyền
- Tổ chức hội nghị ở thôn, phát tờ rơi và đăng tin trên trang thông tin điện tử của huyện.
2. Phát triển sản xuất
a) Xây dựng vùng nguyên liệu tập trung cho cây dược liệu với diện tích tối thiểu 50 ha.
b) Hỗ trợ hợp tác xã xây dựng nhãn hiệu cho sản phẩm OCOP đạt từ 3 sao trở lên.

III. TỔ CHỨC THỰC HIỆN
Phòng Nông nghiệp chủ trì, theo dõi và tổng hợp kết quả thực hiện.
"""

# synthetic fixture: a news article with two sub-headings and blank-line paragraphs
_P = ("Người dân xã Hòa Bình đã hiến {n} mét vuông đất để mở rộng đường liên thôn. "
      "Các hộ tự tháo dỡ tường rào và cổng ngõ mà không đòi bồi thường. "
      "Chính quyền xã công khai mọi khoản đóng góp tại nhà văn hóa thôn. "
      "Nhờ vậy, công trình hoàn thành sớm hơn kế hoạch hai tháng.")
NEWS = ("Xã Hòa Bình về đích nông thôn mới nâng cao\n\n12/05/2024 08:30\n\n"
        "Sau ba năm nỗ lực, xã Hòa Bình đã đạt đủ các tiêu chí nông thôn mới nâng cao.\n\n"
        "Huy động sức dân\n\n" + "\n\n".join(_P.format(n=n) for n in (100, 200, 300))
        + "\n\nNhững việc cần làm tiếp\n\n" + _P.format(n=400) + "\n")


def _doc(text: str, pages: tuple[PageSpan, ...] = ()) -> LoadedDocument:
    return LoadedDocument(source="t", media_type="pdf" if pages else "text", text=text, pages=pages)


def _check_invariants(doc: LoadedDocument, chunks: list[ChunkSpan], max_chars: int) -> None:
    """Non-empty, in order, own text at the offsets, every non-space char covered, and no chunk,
    even one that repeats a table header, longer than max_chars."""
    text = doc.text
    assert chunks, "a non-empty document gives chunks"
    covered = bytearray(len(text))
    for c in chunks:
        own = text[c.start:c.end]
        assert own.strip() and own == own.strip()
        assert c.text == own or c.text.endswith("\n" + own), "text is the span, or a header plus it"
        assert len(c.text) <= max_chars, (c.path, len(c.text))
        covered[c.start:c.end] = b"\x01" * (c.end - c.start)
    missing = [i for i, ch in enumerate(text) if not ch.isspace() and not covered[i]]
    assert not missing, text[missing[0]:missing[0] + 40]
    assert all(a.start < b.start and a.end <= b.end for a, b in zip(chunks, chunks[1:]))


def test_decision_paths_and_offsets_follow_the_legal_hierarchy() -> None:
    doc = _doc(DECISION)
    chunks = chunk_document(doc, max_chars=150, overlap=0)
    _check_invariants(doc, chunks, 150)
    assert [c.path for c in chunks] == [
        "",
        "Chương I > Điều 1",
        "Chương I > Điều 2 > Khoản 1",
        "Chương I > Điều 2 > Khoản 2 > Điểm a-b",
        "Chương I > Điều 2 > Khoản 2 > Điểm c",
        "Chương II > Điều 3 > Khoản 1",
        "Chương II > Điều 3 > Khoản 2",
    ]
    preamble, art1, k1, k2ab, k2c, art3, art3k2 = chunks
    assert (preamble.start, preamble.end) == (0, DECISION.index("\n\nChương I\n"))
    # A chapter's title lines travel with its first article instead of forming a chunk of their own.
    assert art1.start == DECISION.index("Chương I\n") and art1.text.endswith("trên địa bàn tỉnh.")
    assert k1.start == DECISION.index("Điều 2.") and k1.text.endswith("nông thôn mới trong năm.")
    assert k2ab.start == DECISION.index("2. Các thôn") and k2ab.text.endswith("dân tộc thiểu số;")
    assert k2c.text == "c) Thôn bị ảnh hưởng nặng bởi thiên tai trong hai năm gần nhất."
    assert art3.start == DECISION.index("Chương II") and art3.text.endswith("đường trục thôn.")
    assert art3k2.text.startswith("2. Ngân sách xã") and art3k2.end == len(DECISION.rstrip())
    assert all(c.page is None for c in chunks)


def test_article_that_fits_is_one_chunk_and_articles_are_never_merged() -> None:
    chunks = chunk_document(_doc(DECISION), max_chars=1200)
    assert [c.path for c in chunks] == ["", "Chương I > Điều 1", "Chương I > Điều 2", "Chương II > Điều 3"]
    assert chunks[2].text.startswith("Điều 2. Đối tượng áp dụng") and "c) Thôn bị" in chunks[2].text


def _appendix(rows: int) -> str:
    body = "\n".join(f"| {i} | Xã Tân Phú {i} | {10 + i % 9} | Đăng ký đạt chuẩn năm {2025 + i % 2} |"
                     for i in range(1, rows + 1))
    return ("Điều 4. Hiệu lực\nQuyết định này có hiệu lực kể từ ngày ký.\n\n"
            "PHỤ LỤC I\nDANH MỤC XÃ ĐĂNG KÝ ĐẠT CHUẨN\n\n"
            "| TT | Tên xã | Số tiêu chí đạt | Ghi chú |\n|---|---|---|---|\n" + body + "\n")


def test_split_table_repeats_its_header_and_never_orphans_a_row() -> None:
    text = _appendix(40)  # synthetic fixture
    doc = _doc(text)
    header = "| TT | Tên xã | Số tiêu chí đạt | Ghi chú |\n|---|---|---|---|"
    chunks = chunk_document(doc, max_chars=500, overlap=100)
    _check_invariants(doc, chunks, 500)
    table_chunks = [c for c in chunks if c.path == "Phụ lục I"]
    assert len(table_chunks) >= 4
    assert table_chunks[0].text.startswith("PHỤ LỤC I") and header in table_chunks[0].text
    for c in table_chunks[1:]:
        assert c.text.startswith(header + "\n| "), "each later piece starts with the header row"
        assert text[c.start:c.end].startswith("| ") and header not in text[c.start:c.end]
        assert len(c.text) <= 500
    rows = [ln for ln in text.splitlines() if re.match(r"\| \d+ \|", ln)]
    seen = [ln for c in table_chunks for ln in c.text.splitlines() if re.match(r"\| \d+ \|", ln)]
    assert seen == rows, "every row exactly once, whole, in order (no overlap inside tables)"


def test_cell_per_line_table_is_split_with_its_header_cells() -> None:
    # synthetic fixture: a table exported one cell per line, rows separated by two "|" lines
    cells = "".join(f"|\n{i}\n|\nXã Đồng Tâm {i}\n|\n{40 + i}\n|\n" for i in range(1, 30))
    text = "3. Tỷ lệ vốn đối ứng theo Bảng sau:\n|\n**TT**\n|\n**Địa phương**\n|\n**Tỷ lệ (%)**\n|\n" + cells
    doc = _doc(text)
    chunks = chunk_document(doc, max_chars=300, overlap=50)
    _check_invariants(doc, chunks, 300)
    assert len(chunks) > 3
    for c in chunks[1:]:
        assert c.text.startswith("|\n**TT**\n|\n**Địa phương**"), c.text[:40]
    joined = "\n".join(c.text for c in chunks)
    assert all(f"Xã Đồng Tâm {i}\n" in joined for i in range(1, 30))


def test_plan_paths_use_shortened_section_headings() -> None:
    doc = _doc(PLAN)
    chunks = chunk_document(doc, max_chars=400, overlap=0)
    _check_invariants(doc, chunks, 400)
    paths = [c.path for c in chunks]
    assert paths == [
        "",
        "I. MỤC ĐÍCH, YÊU CẦU",
        "II. NHIỆM VỤ > 1. Tuyên truyền",
        "II. NHIỆM VỤ > 2. Phát triển sản xuất",
        "III. TỔ CHỨC THỰC HIỆN",
    ]
    assert chunks[2].text.startswith("II. NHIỆM VỤ\n1. Tuyên truyền") and chunks[2].text.endswith("của huyện.")


def test_plan_item_split_keeps_bullets_whole_under_their_point() -> None:
    chunks = chunk_document(_doc(PLAN), max_chars=200, overlap=0)
    by_path = {c.path: c.text for c in chunks}
    assert by_path["II. NHIỆM VỤ > 1. Tuyên truyền > a) Nội dung tuyên truyền"].endswith("đài truyền thanh xã.")
    assert by_path["II. NHIỆM VỤ > 1. Tuyên truyền > b) Hình thức tuyên truyền"].startswith("b) Hình thức")
    for c in chunks:
        assert all(not ln.startswith("- ") or ln.endswith(".") for ln in c.text.splitlines())


def test_news_paragraphs_are_packed_under_their_heading() -> None:
    doc = _doc(NEWS)
    chunks = chunk_document(doc, max_chars=600, overlap=150)
    _check_invariants(doc, chunks, 600)
    assert [c.path for c in chunks] == ["", "Huy động sức dân", "Huy động sức dân", "Những việc cần làm tiếp"]
    assert chunks[0].text.startswith("Xã Hòa Bình về đích") and "12/05/2024" in chunks[0].text
    first, second = chunks[1], chunks[2]
    assert first.text.startswith("Huy động sức dân\n\n") and first.text.count("Người dân xã") == 2
    assert first.text.endswith("hai tháng."), "a packed chunk ends at a paragraph end"
    assert second.text == _P.format(n=300), "the next paragraph starts the next chunk, whole"


def test_oversized_clause_splits_at_sentences_with_overlap() -> None:
    sentences = [f"Xã thứ {i} phải hoàn thành tiêu chí số {i} trước ngày 30 tháng 6 của năm đánh giá."
                 for i in range(1, 16)]
    text = "Điều 5. Lộ trình\n1. " + " ".join(sentences) + "\n2. Báo cáo kết quả hằng năm.\n"  # synthetic fixture
    doc = _doc(text)
    chunks = chunk_document(doc, max_chars=300, overlap=120)
    _check_invariants(doc, chunks, 300)
    pieces = [c for c in chunks if c.path.startswith("Điều 5 > Khoản 1")]
    assert len(pieces) >= 4
    for c in pieces:
        assert c.text.endswith("năm đánh giá."), "never cut mid-sentence"
        assert c.text.startswith(("Điều 5.", "Xã thứ"))
    for a, b in zip(pieces, pieces[1:]):
        carried = text[b.start:a.end]
        assert b.start < a.end and 0 < len(carried) <= 120, "whole sentences carried over"
        assert carried.startswith("Xã thứ") and carried.endswith("năm đánh giá.")


def test_single_sentence_longer_than_limit_is_cut_at_word_boundaries() -> None:
    words = " ".join(f"thôn{i}" for i in range(200))  # synthetic fixture: one enormous sentence
    text = f"Điều 6. Danh sách\nCác thôn được hỗ trợ gồm {words}.\n"
    chunks = chunk_document(_doc(text), max_chars=250, overlap=60)
    _check_invariants(_doc(text), chunks, 250)
    assert len(chunks) >= 5
    for c in chunks:
        assert c.end == len(text.rstrip()) or text[c.end].isspace(), "cut between words"
        assert re.search(r"thôn\d+\.?$", c.text)


def test_giant_unpunctuated_line_chunks_in_linear_time() -> None:
    # synthetic fixture: a ~2 M-character line with spaces but no punctuation or newline
    text = ("thôn xóm nông thôn mới " * 90_000).strip()
    doc = _doc(text)
    chunks = chunk_document(doc, max_chars=1200, overlap=150)
    _check_invariants(doc, chunks, 1200)
    # Word-bounded slivers packed greedily: close to one chunk per max_chars of text.
    assert len(text) / 1200 <= len(chunks) <= len(text) / 1200 * 1.3


class _CountingStr(str):
    """A str that adds up how many characters its slices copy."""

    copied = 0

    def __getitem__(self, key):
        out = super().__getitem__(key)
        if isinstance(key, slice):
            _CountingStr.copied += len(out)
        return out


def test_long_sentence_split_copies_linear_amount_of_text() -> None:
    # synthetic fixture: 200 k characters, no sentence end; the old splitter re-sliced the whole
    # remainder for every word run (~n²/150 characters copied, here ~270 M).
    text = _CountingStr(("đường giao thông liên xã " * 8_000).strip())
    _CountingStr.copied = 0
    chunks = chunk_document(_doc(text), max_chars=1200, overlap=150)
    assert chunks[0].start == 0 and chunks[-1].end == len(text)
    assert _CountingStr.copied < 40 * len(text), _CountingStr.copied


def test_pdf_chunks_carry_the_page_of_their_start() -> None:
    page1 = "Điều 1. Mục tiêu\nNâng cao thu nhập của người dân nông thôn.\n"
    page2 = "Điều 2. Giải pháp\nPhát triển hợp tác xã kiểu mới.\n"
    page3 = "Điều 3. Tổ chức thực hiện\nGiao Sở Nông nghiệp chủ trì.\n"
    text = page1 + page2 + page3  # synthetic fixture
    a, b = len(page1), len(page1) + len(page2)
    doc = _doc(text, (PageSpan(1, 0, a), PageSpan(2, a, b), PageSpan(3, b, len(text))))
    chunks = chunk_document(doc)
    assert [(c.path, c.page) for c in chunks] == [("Điều 1", 1), ("Điều 2", 2), ("Điều 3", 3)]


def test_empty_and_structureless_text() -> None:
    assert chunk_document(_doc("  \n\n ")) == []
    chunks = chunk_document(_doc("Chỉ một câu ngắn."))
    assert [(c.path, c.text) for c in chunks] == [("", "Chỉ một câu ngắn.")]


def _strip_header(raw: str) -> str:
    """Corpus files start with `key: value` lines closed by a line of "=" signs; chunk the body."""
    head, sep, body = raw.partition("\n" + "=" * 70 + "\n")
    return body if sep else raw


def _corpus_texts() -> list[tuple[str, str]]:
    root = SHARED / "corpus"
    files = sorted(p for p in (root / "ntm").rglob("*") if p.suffix in (".txt", ".md"))
    files += sorted((root / "seeds").glob("*.txt"))
    out = [(p.name, _strip_header(unicodedata.normalize("NFC", p.read_text(encoding="utf-8")))) for p in files]
    pages = root / "tvpl-pages.jsonl.gz"
    if pages.is_file():
        with gzip.open(pages, "rt", encoding="utf-8") as fh:
            for i, line in enumerate(fh):
                if i % 25 == 0:  # a sample keeps the test fast; the full set passes too
                    row = json.loads(line)
                    out.append((row["id"], unicodedata.normalize("NFC", row["text"])))
    return out


@pytest.mark.shared
@pytest.mark.skipif(not (SHARED / "corpus").is_dir(), reason="../shared/corpus is not present")
def test_every_corpus_file_chunks_within_invariants() -> None:
    texts = _corpus_texts()
    assert len(texts) > 30
    for name, text in texts:
        if not text.strip():
            continue
        doc = _doc(text)
        try:
            _check_invariants(doc, chunk_document(doc), 1200)
        except AssertionError as exc:
            raise AssertionError(f"{name}: {exc}") from exc
