"""Scanned PDFs are OCR'd for real when Tesseract with Vietnamese data is installed (skipped otherwise)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.errors import IngestError
from ingest.loaders import load_file
from ingest.pdf import ocr_available

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
# synthetic fixture: two lines of Vietnamese rendered to an image, so the PDF has no text layer
LINES = ("Điều 1. Phạm vi điều chỉnh", "Xã đạt chuẩn nông thôn mới khi có thu nhập cao.")


@pytest.fixture
def scanned_pdf(tmp_path) -> Path:
    if not FONT.exists():
        pytest.skip("DejaVu font not installed")
    from fpdf import FPDF
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (1700, 400), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONT), 44)
    for i, line in enumerate(LINES):
        draw.text((60, 60 + 100 * i), line, fill="black", font=font)
    image.save(tmp_path / "scan.png")
    pdf = FPDF()
    pdf.add_page()
    pdf.image(str(tmp_path / "scan.png"), x=10, y=10, w=190)
    pdf.output(str(tmp_path / "scan.pdf"))
    return tmp_path / "scan.pdf"


@pytest.mark.skipif(not ocr_available(), reason="tesseract with the 'vie' language and pytesseract not installed")
def test_scanned_pdf_is_read_with_vietnamese_ocr(scanned_pdf):
    doc = load_file(scanned_pdf, "scan.pdf")
    assert "ocr" in doc.warnings
    for line in LINES:
        assert line in doc.text
    assert doc.pages[0].page == 1


def test_scanned_pdf_with_ocr_off_asks_for_ocr(scanned_pdf):
    with pytest.raises(IngestError) as err:
        load_file(scanned_pdf, "scan.pdf", ocr="off")
    assert err.value.code == "needs_ocr" and "NTM_OCR" in err.value.reason
