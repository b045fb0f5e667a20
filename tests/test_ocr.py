"""Scanned PDFs are OCR'd for real when Tesseract with Vietnamese data is installed (skipped otherwise), and the
setup installs it when it may (root with apt-get)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from ingest.errors import IngestError
from ingest.loaders import load_file
from ingest.pdf import ocr_available

REPO = Path(__file__).resolve().parents[1]
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


def test_scanned_pdf_without_ocr_says_what_to_install(scanned_pdf, monkeypatch):
    monkeypatch.setattr("ingest.pdf.ocr_available", lambda: False)
    with pytest.raises(IngestError) as err:
        load_file(scanned_pdf, "scan.pdf")
    assert err.value.code == "needs_ocr"
    assert "tesseract-ocr-vie" in err.value.reason and "scripts/setup.sh" in err.value.reason


def _stub(folder: Path, name: str, body: str) -> None:
    (folder / name).write_text(f"#!/bin/sh\n{body}\n")
    (folder / name).chmod(0o755)


def _setup_ocr(tmp_path: Path, *, uid: str, langs: str | None) -> tuple[str, str]:
    """Run scripts/setup_ocr.sh with stand-ins for id, apt-get and tesseract; (its output, apt-get's arguments)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("dirname", "grep"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    calls = tmp_path / "apt-calls"
    _stub(bin_dir, "id", f"echo {uid}")
    _stub(bin_dir, "apt-get", f'echo "$@" >> {calls}')
    if langs is not None:
        _stub(bin_dir, "tesseract", f"printf 'List of available languages:\\n{langs}\\n'")
        _stub(bin_dir, "pdftoppm", "exit 0")
    proc = subprocess.run([shutil.which("bash"), str(REPO / "scripts" / "setup_ocr.sh")], env={"PATH": str(bin_dir)},
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout, calls.read_text() if calls.exists() else ""


def test_setup_installs_vietnamese_ocr_as_root(tmp_path):
    out, apt = _setup_ocr(tmp_path, uid="0", langs=None)
    assert "install tesseract-ocr tesseract-ocr-vie poppler-utils" in apt and "installing Tesseract" in out


def test_setup_leaves_installed_ocr_alone(tmp_path):
    assert _setup_ocr(tmp_path, uid="0", langs="eng\\nvie") == ("", "")


def test_setup_without_root_installs_nothing_and_says_so(tmp_path):
    out, apt = _setup_ocr(tmp_path, uid="1000", langs="eng")
    assert apt == "" and "scanned PDFs will be skipped" in out
