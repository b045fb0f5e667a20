"""File loaders: PDF/DOCX/HTML/TXT/MD to NFC text, corpus headers, encodings, and every bad input."""

from __future__ import annotations

import io
import os
import re
import unicodedata
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from ingest import errors, pdf
from ingest.errors import IngestError
from ingest.loaders import SUPPORTED, iter_input_files, load_file

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
PAGE1 = "Điều 1. Phạm vi điều chỉnh\nQuyết định này quy định Bộ tiêu chí quốc gia về xã nông thôn mới."
PAGE2 = "Điều 2. Đối tượng áp dụng\nỦy ban nhân dân các cấp và người dân."
PAGE3 = "Điều 3. Hiệu lực thi hành\nnông thôn mới"


def _pdf_bytes(pages: list[str], split_last: bool = False) -> bytes:
    """synthetic fixture: a Vietnamese PDF; with split_last the last page is drawn in pieces."""
    fpdf = pytest.importorskip("fpdf")
    if not FONT.is_file():
        pytest.skip("DejaVuSans.ttf not installed")
    doc = fpdf.FPDF()
    doc.add_font("DejaVu", "", str(FONT))
    doc.set_font("DejaVu", size=12)
    for text in pages:
        doc.add_page()
        doc.multi_cell(0, 10, text)
    if split_last:
        # gaps inside words, as PDF producers that place glyphs one by one leave them
        doc.add_page()
        doc.set_xy(10, 20)
        for piece, gap in (("Đi", 3), ("ều 3. Hiệu lực thi hành", 0)):
            doc.cell(text=piece)
            doc.set_x(doc.get_x() + gap)
        doc.set_xy(10, 35)
        for piece, gap in (("nông thôn m", 2), ("ới", 0)):
            doc.cell(text=piece)
            doc.set_x(doc.get_x() + gap)
    return bytes(doc.output())


def _write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def _error(path: Path, **kwargs) -> IngestError:
    with pytest.raises(IngestError) as info:
        load_file(path, str(path), **kwargs)
    return info.value


def test_pdf_pages_offsets_and_split_word_repair(tmp_path):
    path = _write(tmp_path, "qd.pdf", _pdf_bytes([PAGE1, PAGE2], split_last=True))
    doc = load_file(path, "docs/qd.pdf")
    assert doc.source == "docs/qd.pdf" and doc.media_type == "pdf"
    assert doc.text == "\n\n".join([PAGE1, PAGE2, PAGE3])  # "Đi ều", "m ới" repaired
    assert [s.page for s in doc.pages] == [1, 2, 3]
    assert [doc.text[s.start:s.end] for s in doc.pages] == [PAGE1, PAGE2, PAGE3]
    assert doc.page_at(doc.text.index("Ủy ban")) == 2
    assert doc.page_at(doc.text.index("Hiệu lực")) == 3
    assert doc.text == unicodedata.normalize("NFC", doc.text)


def test_docx_paragraphs_headings_and_tables_in_order(tmp_path):
    docx = pytest.importorskip("docx")
    document = docx.Document()  # synthetic fixture
    document.add_heading("Điều 1. Phạm vi điều chỉnh", level=1)
    document.add_paragraph("Quyết định này áp dụng cho các xã.")
    table = document.add_table(rows=3, cols=3)
    for row, values in zip(table.rows, [("STT", "Tiêu chí", "Chỉ tiêu"), ("1", "Giao thông", "100%")]):
        for cell, value in zip(row.cells, values):
            cell.text = value
    table.cell(2, 0).text = "2"
    table.cell(2, 1).merge(table.cell(2, 2)).text = "Thủy lợi: đạt"  # one cell over two columns
    document.add_paragraph("Điều 2. Hiệu lực thi hành")
    path = tmp_path / "qd.docx"
    document.save(str(path))
    doc = load_file(path, "qd.docx")
    assert doc.media_type == "docx"
    assert doc.text == ("Điều 1. Phạm vi điều chỉnh\nQuyết định này áp dụng cho các xã.\n\n"
                        "STT | Tiêu chí | Chỉ tiêu\n1 | Giao thông | 100%\n2 | Thủy lợi: đạt\n\n"
                        "Điều 2. Hiệu lực thi hành")
    assert doc.title_hint == "Điều 1. Phạm vi điều chỉnh"


HTML = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Bộ tiêu chí xã nông thôn mới</title>
<style>p { color: red }</style><script>var x = "không lấy";</script></head>
<body><header>Trang chủ | Liên hệ</header><nav><a href="/">Danh mục</a></nav>
<h1>Quyết định 318/QĐ-TTg</h1>
<p>Ban hành <b>Bộ tiêu chí</b>
   quốc gia.</p><!-- ghi chú ẩn -->
<ul><li>Quy hoạch</li><li>Giao thông</li></ul>
<table><tr><th>STT</th><th>Tiêu chí</th></tr><tr><td>1</td><td>Quy hoạch</td></tr></table>
<footer>Bản quyền</footer></body></html>"""


def test_html_keeps_content_and_drops_chrome(tmp_path):
    doc = load_file(_write(tmp_path, "page.html", HTML), "page.html")  # synthetic fixture
    assert doc.media_type == "html"
    assert doc.text == ("Quyết định 318/QĐ-TTg\nBan hành Bộ tiêu chí quốc gia.\nQuy hoạch\nGiao thông\n"
                        "STT | Tiêu chí\n1 | Quy hoạch")
    assert doc.title_hint == "Bộ tiêu chí xã nông thôn mới"


def test_html_with_declared_legacy_charset(tmp_path, cp1258):
    html = '<html><head><meta charset="windows-1258"></head><body><p>Xã đạt chuẩn</p></body></html>'
    doc = load_file(_write(tmp_path, "old.htm", cp1258(html)), "old.htm")  # synthetic fixture
    assert doc.text == "Xã đạt chuẩn"


HEADER_FILE = """Tiêu đề: Quyết định mẫu về tiêu chí nông thôn mới
Số hiệu: 99/2099/QĐ-TTg
Nguồn: https://example.invalid/van-ban/99 (bản tóm tắt)
       https://example.invalid/ban-dich
Ghi chú (không chính thức):
  - dòng một
======================================================================

Điều 1. Phạm vi điều chỉnh
Nội dung: áp dụng cho xã.
"""


@pytest.mark.parametrize("name", ["qd.txt", "qd.md"])
def test_corpus_header_block_is_parsed(tmp_path, name):
    # synthetic fixture, stored decomposed (NFD) to check that header and body come out NFC
    path = _write(tmp_path, name, unicodedata.normalize("NFD", HEADER_FILE))
    doc = load_file(path, name)
    assert doc.header == (
        ("Tiêu đề", "Quyết định mẫu về tiêu chí nông thôn mới"),
        ("Số hiệu", "99/2099/QĐ-TTg"),
        ("Nguồn", "https://example.invalid/van-ban/99 (bản tóm tắt)\nhttps://example.invalid/ban-dich"),
        ("Ghi chú (không chính thức)", "- dòng một"),
    )
    assert doc.text == "Điều 1. Phạm vi điều chỉnh\nNội dung: áp dụng cho xã."
    assert doc.header_dict()["Số hiệu"] == "99/2099/QĐ-TTg"
    assert doc.media_type == "text"


def test_text_without_header_block(tmp_path):
    # "key: value" on top but no "=====" line (and a blank line): ordinary text
    text = "Ghi chú: đây là bài báo\n\nNông thôn mới ở Bến Tre.\n"
    doc = load_file(_write(tmp_path, "bai.txt", text), "bai.txt")  # synthetic fixture
    assert doc.header == ()
    assert doc.text == "Ghi chú: đây là bài báo\n\nNông thôn mới ở Bến Tre."


def test_utf8_bom_and_utf16(tmp_path):
    body = "Xã nông thôn mới kiểu mẫu"  # synthetic fixture
    doc = load_file(_write(tmp_path, "bom.txt", b"\xef\xbb\xbf" + body.encode("utf-8")), "bom.txt")
    assert doc.text == body and doc.warnings == ()
    doc = load_file(_write(tmp_path, "u16.txt", body.encode("utf-16")), "u16.txt")
    assert doc.text == body


def test_cp1258_text_is_decoded_and_composed(tmp_path, cp1258):
    body = "Bộ tiêu chí quốc gia về xã nông thôn mới giai đoạn 2021 - 2025"  # synthetic fixture
    data = cp1258(body)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    doc = load_file(_write(tmp_path, "cp.txt", data), "cp.txt")
    assert doc.text == body
    assert "decoded as cp1258" in doc.warnings


def test_tcvn3_text_is_converted(tmp_path):
    # synthetic fixture: ABC/.VnTime bytes, shown here through Latin-1
    data = "Bé tiªu chÝ quèc gia vÒ x· n«ng th«n míi".encode("latin-1")
    doc = load_file(_write(tmp_path, "abc.txt", data), "abc.txt")
    assert doc.text == "Bộ tiêu chí quốc gia về xã nông thôn mới"
    assert "decoded as TCVN3 (ABC)" in doc.warnings


def test_txt_that_is_really_a_pdf(tmp_path):
    doc = load_file(_write(tmp_path, "misnamed.txt", _pdf_bytes([PAGE1])), "misnamed.txt")
    assert doc.media_type == "pdf" and doc.text == PAGE1
    assert any("PDF" in w for w in doc.warnings)


def test_missing_path_and_directory(tmp_path):
    err = _error(tmp_path / "missing.pdf")
    assert err.code == errors.NOT_FOUND and "does not exist" in err.reason
    err = _error(tmp_path)
    assert err.code == errors.UNSUPPORTED and "directory" in err.reason


@pytest.mark.parametrize("name, data, what", [
    ("empty.txt", b"", "empty"),
    ("blank.txt", b"  \n\t \r\n", "whitespace"),
    ("blank.pdf", b"\n\n", "whitespace"),
])
def test_empty_files(tmp_path, name, data, what):
    err = _error(_write(tmp_path, name, data))
    assert err.code == errors.EMPTY and what in err.reason


def test_header_only_text_file_is_empty(tmp_path):
    err = _error(_write(tmp_path, "h.txt", "Số hiệu: 1/QĐ\n" + "=" * 30 + "\n\n"))
    assert err.code == errors.EMPTY and "header" in err.reason


def test_unsupported_suffix_lists_supported(tmp_path):
    err = _error(_write(tmp_path, "bang.xlsx", b"PK\x03\x04 synthetic"))
    assert err.code == errors.UNSUPPORTED
    assert ".xlsx" in err.reason and all(s in err.reason for s in SUPPORTED)


def test_corrupt_and_truncated_pdf(tmp_path):
    err = _error(_write(tmp_path, "garbage.pdf", os.urandom(2000).replace(b"%PDF-", b"")))
    assert err.code == errors.CORRUPT and "not a PDF" in err.reason
    err = _error(_write(tmp_path, "page.pdf", "<!DOCTYPE html><html><body>404</body></html>"))
    assert err.code == errors.CORRUPT and "HTML" in err.reason
    whole = _pdf_bytes([PAGE1, PAGE2])
    err = _error(_write(tmp_path, "cut.pdf", whole[: len(whole) // 2]))
    assert err.code == errors.CORRUPT and "truncated" in err.reason
    assert "(no %EOF marker)" in err.reason and "%%" not in err.reason


def test_corrupt_docx(tmp_path):
    err = _error(_write(tmp_path, "bad.docx", b"this is not a zip file"))
    assert err.code == errors.CORRUPT and ".docx" in err.reason


def _docx_bytes(text: str = "Xã Hòa Bình đạt chuẩn nông thôn mới.") -> bytes:
    """synthetic fixture: a one-paragraph Word file."""
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_paragraph(text)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def _with_zip_version(data: bytes, version: bytes) -> bytes:
    """The archive with "version needed to extract" patched in every local and central file header."""
    out = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
    for info in infos:  # local header: signature, then the version at +4
        assert out[info.header_offset:info.header_offset + 4] == b"PK\x03\x04"
        out[info.header_offset + 4:info.header_offset + 6] = version
    central = int.from_bytes(out[-6:-2], "little")  # end-of-central-directory record (no comment)
    for _ in infos:  # central header: signature, version made by, then the version needed at +6
        assert out[central:central + 4] == b"PK\x01\x02"
        out[central + 6:central + 8] = version
        name_len, extra_len, comment_len = (int.from_bytes(out[central + k:central + k + 2], "little")
                                            for k in (28, 30, 32))
        central += 46 + name_len + extra_len + comment_len
    return bytes(out)


def test_docx_with_damaged_zip_version_is_corrupt_not_a_crash(tmp_path):
    data = _with_zip_version(_docx_bytes(), b"\x9c\x00")  # "version 15.6": zipfile raises NotImplementedError
    with pytest.raises(NotImplementedError):
        zipfile.ZipFile(io.BytesIO(data))
    err = _error(_write(tmp_path, "hong.docx", data))
    assert err.code == errors.CORRUPT and "zip file version" in err.reason and ".docx" in err.reason
    err = _error(_write(tmp_path, "hong.txt", data))  # the same bytes under a text name
    assert err.code == errors.ENCODING and "ZIP" in err.reason


def test_docx_body_with_an_xml_comment_loads(tmp_path):
    docx = pytest.importorskip("docx")
    from lxml import etree

    document = docx.Document()  # synthetic fixture
    document.add_paragraph("Điều 1. Phạm vi")
    document.element.body.insert(0, etree.Comment("ghi chú của trình soạn thảo"))
    path = tmp_path / "qd.docx"
    document.save(str(path))
    assert load_file(path, "qd.docx").text == "Điều 1. Phạm vi"


def test_docx_and_html_parser_failures_are_corrupt(tmp_path, monkeypatch):
    from ingest import markup

    def boom(*args, **kwargs):
        raise ValueError("synthetic parser failure")

    monkeypatch.setattr(markup, "_html_lines", boom)
    err = _error(_write(tmp_path, "p.html", "<html><body><p>Xã đạt chuẩn</p></body></html>"))
    assert err.code == errors.CORRUPT and "HTML cannot be parsed" in err.reason and "ValueError" in err.reason
    monkeypatch.setattr(markup, "_row_line", boom)
    docx = pytest.importorskip("docx")
    document = docx.Document()  # synthetic fixture: a table, whose rows go through _row_line
    document.add_table(rows=1, cols=2).cell(0, 0).text = "STT"
    document.save(str(tmp_path / "bang.docx"))
    err = _error(tmp_path / "bang.docx")
    assert err.code == errors.CORRUPT and "Word file content is damaged" in err.reason


@pytest.mark.parametrize("name", ["tin.txt", "tin.md"])
def test_control_characters_are_removed_from_text(tmp_path, name):
    # synthetic fixture: NUL, BEL and ESC inside the body, a form feed between two pages
    data = "Tiêu đề: Mẫu\n" + "=" * 20 + "\nXã\x00 Hòa\x07 Bình\x1b đạt chuẩn.\fTrang hai.\r\n"
    doc = load_file(_write(tmp_path, name, data), name)
    assert doc.text == "Xã Hòa Bình đạt chuẩn.\nTrang hai."
    assert doc.header == (("Tiêu đề", "Mẫu"),)
    assert "removed 3 control character(s)" in doc.warnings


def test_control_characters_are_removed_from_html(tmp_path):
    html = "<html><head><title>Tin\x00 tức</title></head><body><p>Xã\x00 Hòa&#1; Bình</p></body></html>"
    doc = load_file(_write(tmp_path, "tin.html", html), "tin.html")  # synthetic fixture
    assert doc.text == "Xã Hòa Bình" and doc.title_hint == "Tin tức"
    assert "removed 1 control character(s)" in doc.warnings  # the raw NUL in the body text
    assert "removed 1 control character(s)" in doc.warnings[1:]  # and the &#1; entity


def test_mostly_control_characters_is_binary(tmp_path):
    data = ("\x00\x01\x02\x03" * 200 + "xã").encode("utf-8")  # synthetic fixture: valid UTF-8, not text
    err = _error(_write(tmp_path, "x.txt", data))
    assert err.code == errors.ENCODING and "control characters" in err.reason


def test_html_title_prefers_the_h1_over_a_title_with_the_site_name(tmp_path):
    html = ("<html><head><title>Xã Hòa Bình về đích nông thôn mới - Báo Làng Quê</title></head>"
            "<body><h1>Xã Hòa Bình về đích nông thôn mới</h1><p>Nội dung.</p></body></html>")
    doc = load_file(_write(tmp_path, "tin.html", html), "tin.html")  # synthetic fixture
    assert doc.title_hint == "Xã Hòa Bình về đích nông thôn mới"


needs_links = pytest.mark.skipif(not hasattr(os, "symlink") or not hasattr(os, "mkfifo"),
                                 reason="needs symbolic links and named pipes")


@needs_links
def test_special_paths_are_ingest_errors(tmp_path):
    os.mkfifo(tmp_path / "pipe.txt")
    os.symlink(tmp_path / "missing.txt", tmp_path / "broken.txt")
    os.symlink(tmp_path / "loop.txt", tmp_path / "loop.txt")
    err = _error(tmp_path / "pipe.txt")  # must not block reading the pipe
    assert err.code == errors.UNSUPPORTED and "not a regular file" in err.reason
    err = _error(tmp_path / "broken.txt")
    assert err.code == errors.NOT_FOUND and "broken symbolic link" in err.reason
    err = _error(tmp_path / "loop.txt")
    assert err.code == errors.NOT_FOUND and "loop" in err.reason
    if os.path.exists("/dev/null"):
        err = _error(Path("/dev/null"))
        assert err.code == errors.UNSUPPORTED and "not a regular file" in err.reason


@needs_links
def test_iter_input_files_yields_broken_links_and_loops(tmp_path):
    root = tmp_path / "corpus"  # synthetic fixture
    root.mkdir()
    (root / "a.txt").write_text("nông thôn mới", encoding="utf-8")
    os.symlink(root / "missing.txt", root / "broken.txt")
    os.symlink(root / "loop.txt", root / "loop.txt")
    os.symlink(root, root / "self")  # a link to its own folder: not followed, so no endless walk
    found = [source for _, source in iter_input_files([str(root)])]
    assert found == [str(root / n) for n in ("a.txt", "broken.txt", "loop.txt")]
    # given directly, a broken link is yielded too, so load_file can name the problem
    assert [s for _, s in iter_input_files([str(root / "broken.txt")])] == [str(root / "broken.txt")]


def test_encrypted_pdf(tmp_path):
    from pypdf import PdfReader, PdfWriter

    source = _write(tmp_path, "plain.pdf", _pdf_bytes([PAGE1]))
    writer = PdfWriter(clone_from=PdfReader(source))
    writer.encrypt("secret")
    writer.write(tmp_path / "locked.pdf")
    err = _error(tmp_path / "locked.pdf")
    assert err.code == errors.ENCRYPTED and "password" in err.reason
    # only an owner password (restrictions, no open password): readable
    writer = PdfWriter(clone_from=PdfReader(source))
    writer.encrypt("", owner_password="owner")
    writer.write(tmp_path / "restricted.pdf")
    doc = load_file(tmp_path / "restricted.pdf", "restricted.pdf")
    assert doc.text == PAGE1 and any("encrypted" in w for w in doc.warnings)


def _scanned_pdf(tmp_path: Path) -> Path:
    """synthetic fixture: two pages with only drawn shapes, like a scan without a text layer."""
    fpdf = pytest.importorskip("fpdf")
    doc = fpdf.FPDF()
    for _ in range(2):
        doc.add_page()
        doc.rect(20, 20, 120, 60, style="F")
    return _write(tmp_path, "scan.pdf", bytes(doc.output()))


def test_scanned_pdf_needs_ocr(tmp_path, monkeypatch):
    path = _scanned_pdf(tmp_path)
    monkeypatch.setattr(pdf, "ocr_available", lambda: False)
    err = _error(path)
    assert err.code == errors.NEEDS_OCR
    assert "tesseract-ocr-vie" in err.reason and "pytesseract" in err.reason
    monkeypatch.setattr(pdf, "ocr_available", lambda: True)
    err = _error(path, ocr="off")
    assert err.code == errors.NEEDS_OCR and "NTM_OCR=off" in err.reason


def test_pdf_with_one_scanned_page_keeps_the_text_pages(tmp_path, monkeypatch):
    fpdf = pytest.importorskip("fpdf")
    if not FONT.is_file():
        pytest.skip("DejaVuSans.ttf not installed")
    doc = fpdf.FPDF()  # synthetic fixture: a text page, then a page with only a drawn shape
    doc.add_font("DejaVu", "", str(FONT))
    doc.set_font("DejaVu", size=12)
    doc.add_page()
    doc.multi_cell(0, 10, PAGE1)
    doc.add_page()
    doc.rect(20, 20, 120, 60, style="F")
    monkeypatch.setattr(pdf, "ocr_available", lambda: False)
    loaded = load_file(_write(tmp_path, "mixed.pdf", bytes(doc.output())), "mixed.pdf")
    assert loaded.text == PAGE1 + "\n\n"
    assert [(s.page, s.start, s.end) for s in loaded.pages] == [(1, 0, len(PAGE1)), (2, len(PAGE1) + 2, len(PAGE1) + 2)]
    assert any("no text on page(s) 2" in w for w in loaded.warnings)


def test_scanned_pdf_is_ocred_when_available(tmp_path, monkeypatch):
    path = _scanned_pdf(tmp_path)
    monkeypatch.setattr(pdf, "ocr_available", lambda: True)
    monkeypatch.setattr(pdf, "_ocr_page", lambda p, reader, n: f"Trang {n}: nông thôn m ới")
    doc = load_file(path, "scan.pdf")
    assert doc.text == "Trang 1: nông thôn mới\n\nTrang 2: nông thôn mới"
    assert "ocr" in doc.warnings
    assert doc.page_at(doc.text.index("Trang 2")) == 2


def test_too_large_is_refused_before_reading(tmp_path, monkeypatch):
    path = _write(tmp_path, "big.txt", "nông thôn mới " * 100)  # synthetic fixture, 1.7 kB
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("file was read"))
    err = _error(path, max_bytes=1000)
    assert err.code == errors.TOO_LARGE
    assert "0.001 MB limit" in err.reason and "NTM_MAX_FILE_MB" in err.reason


def test_a_scanned_pdf_may_be_larger_than_a_text_file(tmp_path):
    """Signed documents are scans: page images, not text to embed; a 30 MB PDF is normal, a 30 MB text is not."""
    from ingest.loaders import SCAN_SIZE_FACTOR

    for name in ("scan.pdf", "notes.txt"):
        with open(tmp_path / name, "wb") as fh:  # sparse: nothing is written
            fh.truncate(3 * 10**6)
    assert _error(tmp_path / "notes.txt", max_bytes=10**6).code == errors.TOO_LARGE
    assert _error(tmp_path / "scan.pdf", max_bytes=10**6).code != errors.TOO_LARGE  # read, then found not a PDF
    reason = _error(tmp_path / "scan.pdf", max_bytes=10**5).reason
    assert f"over the {SCAN_SIZE_FACTOR / 10} MB limit" in reason


@pytest.mark.parametrize("limit, size", [
    (50 * 2**20, 50 * 2**20 + 1024),  # 50 MiB + 1 KiB: once shown as "50.0 MB, over the 50.0 MB limit"
    (50 * 10**6, 50 * 10**6 + 1),  # one byte over
    (10 * 10**6, 52 * 10**6),
])
def test_size_over_the_limit_is_stated_in_one_unit_and_shows_the_difference(tmp_path, limit, size):
    path = tmp_path / "lon.txt"
    with open(path, "wb") as fh:  # sparse: nothing is written
        fh.truncate(size)
    reason = _error(path, max_bytes=limit).reason
    assert "(MB = 10^6 bytes)" in reason
    shown, shown_limit = re.findall(r"([\d.]+) MB", reason)
    assert shown != shown_limit
    places = len(shown.partition(".")[2])
    assert Decimal(shown) * 10**6 <= size < (Decimal(shown) + Decimal(10) ** -places) * 10**6  # truncated
    assert Decimal(shown_limit) * 10**6 == limit


@pytest.mark.parametrize("data", [
    bytes(range(256)) * 4,  # binary with NUL bytes
    "Ceci est un été très agréable à Paris, près de la Seine.".encode("latin-1"),  # not Vietnamese
])
def test_undecodable_text(tmp_path, data):
    err = _error(_write(tmp_path, "x.txt", data))
    assert err.code == errors.ENCODING and "UTF-8" in err.reason


def test_iter_input_files_sources(tmp_path, monkeypatch):
    # synthetic fixture: a small tree with hidden entries and an unsupported file
    root = tmp_path / "corpus"
    (root / "sub").mkdir(parents=True)
    (root / ".git").mkdir()
    for rel in ("b.txt", "a.pdf", "sub/c.md", "INDEX.md", "bang.xlsx", ".hidden.txt", ".git/x.txt"):
        (root / rel).write_text("nông thôn mới", encoding="utf-8")
    (tmp_path / "main").mkdir()
    monkeypatch.chdir(tmp_path / "main")  # like ../shared/corpus/seeds seen from the repo
    found = list(iter_input_files(["../corpus", "../corpus/b.txt"]))
    assert [source for _, source in found] == [
        "../corpus/INDEX.md", "../corpus/a.pdf", "../corpus/b.txt", "../corpus/bang.xlsx", "../corpus/sub/c.md",
        "../corpus/b.txt"]
    assert all(path == Path(source) for path, source in found)
    with pytest.raises(IngestError) as info:
        list(iter_input_files(["nowhere"]))
    assert info.value.code == errors.NOT_FOUND and info.value.source == "nowhere"


@pytest.mark.shared
def test_every_shared_corpus_file_loads(shared_dir: Path):
    corpus = shared_dir / "corpus"
    files = list(iter_input_files([str(corpus / "ntm"), str(corpus / "seeds")]))
    assert len(files) >= 20
    for path, source in files:
        doc = load_file(path, source)
        assert doc.text.strip() and doc.text == unicodedata.normalize("NFC", doc.text)
        is_legal = path.parent.name == "ntm" and path.name != "INDEX.md"
        if is_legal:
            assert doc.header_dict().get("Số hiệu"), source
            assert not doc.text.startswith("="), source
        if path.parent.name == "seeds":
            assert doc.header == ()
