"""PDF loading with pypdf: per-page text, page offsets, encryption and scanned-page (OCR) handling."""

from __future__ import annotations

import importlib.util
import io
import logging
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError

from ingest import errors
from ingest.errors import IngestError
from ingest.textnorm import repair_pdf_text
from ingest.types import LoadedDocument, PageSpan
from knowledge.text import nfc

OCR_HINT = ("install OCR support (as root, bash scripts/setup.sh does it; or apt-get install tesseract-ocr "
            "tesseract-ocr-vie poppler-utils and pip install pytesseract) and keep NTM_OCR=auto")

AES_HINT = ("PDF is AES-encrypted; reading it needs the 'cryptography' package (pip install cryptography) "
            "or an unencrypted copy")


@contextmanager
def _pypdf_messages() -> Iterator[list[str]]:
    """Collect pypdf's logged warnings (e.g. a repaired xref table) instead of printing them."""
    found: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: found.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("pypdf")
    old_propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield found
    finally:
        logger.removeHandler(handler)
        logger.propagate = old_propagate


@lru_cache(maxsize=1)
def ocr_available() -> bool:
    """True when pytesseract is importable and the tesseract binary has the Vietnamese ("vie") data."""
    exe = shutil.which("tesseract")
    if importlib.util.find_spec("pytesseract") is None or exe is None:
        return False
    try:
        out = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return "vie" in (out.stdout + out.stderr).split()


def _ocr_page(path: Path, reader: PdfReader, page_no: int) -> str:
    """OCR one 1-based page: render it with pdftoppm when present, else OCR the page's embedded images."""
    import pytesseract
    from PIL import Image

    if shutil.which("pdftoppm"):
        with tempfile.TemporaryDirectory() as tmp:
            prefix = Path(tmp) / "page"
            subprocess.run(["pdftoppm", "-r", "300", "-f", str(page_no), "-l", str(page_no), "-singlefile",
                            "-png", str(path), str(prefix)], check=True, capture_output=True, timeout=300)
            with Image.open(prefix.with_suffix(".png")) as image:
                return pytesseract.image_to_string(image, lang="vie")
    texts = [pytesseract.image_to_string(img.image, lang="vie") for img in reader.pages[page_no - 1].images]
    return "\n".join(texts)


def _open(data: bytes, source: str, warnings: list[str]) -> PdfReader:
    """Open (and if needed decrypt with an empty password) a PDF, mapping failures to IngestError."""
    truncated = b"%%EOF" not in data[-2048:]
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
    except Exception as exc:
        hint = "the file looks truncated (no %EOF marker): download or export it again" if truncated \
            else "re-export or re-download it"
        raise IngestError(source, errors.CORRUPT,
                          f"PDF cannot be parsed ({type(exc).__name__}: {exc}); {hint}") from None
    if reader.is_encrypted:  # already read (and any trailer error raised) inside PdfReader()
        try:
            opened = reader.decrypt("")
        except DependencyError:
            raise IngestError(source, errors.ENCRYPTED, AES_HINT) from None
        except Exception as exc:
            raise IngestError(source, errors.ENCRYPTED, f"PDF encryption cannot be handled ({exc})") from None
        if opened == PasswordType.NOT_DECRYPTED:
            raise IngestError(source, errors.ENCRYPTED, "PDF is password-protected; ingest an unprotected copy "
                              "(e.g. qpdf --decrypt --password=... in.pdf out.pdf)")
        warnings.append("pdf: encrypted, opened with an empty password")
    return reader


def load_pdf(path: Path, data: bytes, source: str, ocr: str = "auto") -> LoadedDocument:
    """Load a PDF: repaired NFC text per page joined by blank lines, with 1-based PageSpans."""
    warnings: list[str] = []
    with _pypdf_messages() as messages:
        reader = _open(data, source, warnings)
        try:
            count = len(reader.pages)
        except Exception as exc:
            raise IngestError(source, errors.CORRUPT, f"PDF page tree is broken ({exc}); re-export it") from None
        if count == 0:
            raise IngestError(source, errors.EMPTY, "PDF has no pages")
        texts: list[str] = []
        for number in range(1, count + 1):
            try:
                raw = reader.pages[number - 1].extract_text() or ""
            except DependencyError:  # AES-128 content streams fail only here, not at decrypt("")
                raise IngestError(source, errors.ENCRYPTED, AES_HINT) from None
            except Exception as exc:
                warnings.append(f"pdf: page {number} text could not be extracted ({type(exc).__name__})")
                raw = ""
            texts.append(repair_pdf_text(nfc(raw)).strip())
        blank = [n for n, text in enumerate(texts, 1) if not any(ch.isalpha() for ch in text)]
        if blank and ocr != "off" and ocr_available():
            for number in blank:
                try:
                    texts[number - 1] = repair_pdf_text(nfc(_ocr_page(path, reader, number))).strip()
                except Exception as exc:
                    warnings.append(f"pdf: OCR of page {number} failed ({type(exc).__name__})")
            warnings.append("ocr")
            blank = [n for n in blank if not any(ch.isalpha() for ch in texts[n - 1])]
        title = _title(reader)
    if len(blank) == count:
        why = "OCR found no text either" if "ocr" in warnings else (
            "OCR is turned off (NTM_OCR=off)" if ocr == "off" else f"to read it, {OCR_HINT}")
        raise IngestError(source, errors.NEEDS_OCR, f"PDF has no text layer (a scanned image?); {why}")
    if blank:
        warnings.append(f"pdf: no text on page(s) {', '.join(map(str, blank))} (scanned?)")
    warnings.extend(f"pdf: {msg}" for msg in dict.fromkeys(messages) if msg)
    spans, start = [], 0
    for number, text in enumerate(texts, 1):
        spans.append(PageSpan(number, start, start + len(text)))
        start += len(text) + 2  # the "\n\n" between pages
    return LoadedDocument(source=source, media_type="pdf", text="\n\n".join(texts), pages=tuple(spans),
                          title_hint=title, warnings=tuple(warnings))


def _title(reader: PdfReader) -> str:
    """The PDF's metadata title when it looks like a real title (not "Microsoft Word - x.doc")."""
    try:
        title = nfc(str((reader.metadata or {}).get("/Title") or "")).strip()
    except Exception:
        return ""
    return title if len(title.split()) >= 2 and not title.lower().startswith("microsoft") else ""
