"""Turn files (PDF, DOCX, HTML, TXT, MD) into NFC LoadedDocuments, with operator-readable errors."""

from __future__ import annotations

import codecs
import io
import os
import re
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from ingest import errors
from ingest.errors import IngestError
from ingest.pdf import load_pdf
from ingest.textnorm import decode_tcvn3, looks_vietnamese, nfc
from ingest.types import LoadedDocument

SUPPORTED = {".pdf", ".docx", ".html", ".htm", ".txt", ".md"}
_KIND_BY_SUFFIX = {".pdf": "pdf", ".docx": "docx", ".html": "html", ".htm": "html", ".txt": "text", ".md": "text"}
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .doc/.xls, and password-protected .docx
_HEADER_LINE = re.compile(r"^([^\s:=][^:]{0,80}?):(?:\s+(.*))?$")
_HEADER_END = re.compile(r"^={10,}\s*$")


def _human(size: int) -> str:
    """A byte count for people: "812 bytes", "3.4 MB"."""
    return f"{size} bytes" if size < 1024 * 1024 else f"{size / (1024 * 1024):.1f} MB"


def _sniff(data: bytes, suffix: str) -> str | None:
    """What the bytes really are: "pdf", "docx", "zip", "ole", "html", or None (plain text or unknown)."""
    # PDF readers accept junk before the header; only trust that for files named .pdf
    if data.startswith(b"%PDF-") or (suffix == ".pdf" and b"%PDF-" in data[:1024]):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except zipfile.BadZipFile:
            return "zip"
        return "docx" if "word/document.xml" in names else "zip"
    if data.startswith(_OLE_MAGIC):
        return "ole"
    head = data[:512].lstrip(codecs.BOM_UTF8 + b" \t\r\n").lower()
    return "html" if head.startswith((b"<!doctype html", b"<html")) else None


def load_file(path: Path, source: str, *, max_bytes: int = 50 * 1024 * 1024, ocr: str = "auto") -> LoadedDocument:
    """Load one file by its suffix and content; raises IngestError with a reason an operator can act on."""
    path = Path(path)
    if not path.exists():
        broken = " (broken symbolic link)" if path.is_symlink() else ""
        raise IngestError(source, errors.NOT_FOUND, f"path does not exist{broken}")
    if path.is_dir():
        raise IngestError(source, errors.UNSUPPORTED, "is a directory, not a file; give the folder to ingest "
                          "(it walks folders) instead of loading it as one file")
    if not path.is_file():
        raise IngestError(source, errors.UNSUPPORTED, "is not a regular file (device, socket or pipe)")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        office = suffix in (".doc", ".xls", ".xlsx", ".ppt", ".pptx", ".odt", ".rtf")
        hint = f"; save it as {'.docx' if suffix == '.doc' else '.pdf or .docx'}" if office else ""
        raise IngestError(source, errors.UNSUPPORTED, f"unsupported file type {suffix or '(no suffix)'!r}; "
                          f"supported: {', '.join(sorted(SUPPORTED))}{hint}")
    size = path.stat().st_size  # before reading: a huge file must not be read into memory
    if size > max_bytes:
        raise IngestError(source, errors.TOO_LARGE, f"file is {_human(size)}, over the {_human(max_bytes)} limit; "
                          "raise NTM_MAX_FILE_MB to ingest it")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(source, errors.NOT_FOUND, f"cannot be read ({exc.strerror or exc})") from None
    if not data.strip():
        raise IngestError(source, errors.EMPTY, "file is empty" if not data else "file contains only whitespace")
    return _dispatch(path, data, source, suffix, ocr)


def _dispatch(path: Path, data: bytes, source: str, suffix: str, ocr: str) -> LoadedDocument:
    """Pick the loader from the real content first, then from the suffix."""
    kind, expected = _sniff(data, suffix), _KIND_BY_SUFFIX[suffix]
    mismatch = kind in ("pdf", "docx", "html") and kind != expected
    note = [f"content is {kind.upper()} despite the {suffix} name"] if mismatch else []
    if kind == "pdf":
        doc = load_pdf(path, data, source, ocr)
    elif kind == "docx":
        doc = _load_docx(data, source)
    elif expected == "pdf":
        what = " (it is HTML: an error page saved as .pdf?)" if kind == "html" else ""
        raise IngestError(source, errors.CORRUPT, f"not a PDF: no %PDF header{what}; download or export it again")
    elif expected == "docx":
        if kind == "ole" and "EncryptedPackage".encode("utf-16-le") in data:
            raise IngestError(source, errors.ENCRYPTED, "Word file is password-protected; save a copy without one")
        if kind == "ole":
            raise IngestError(source, errors.CORRUPT, "an old binary Word .doc named .docx; re-save it as .docx")
        raise IngestError(source, errors.CORRUPT, "not a readable .docx package (damaged or truncated zip, or "
                          "not a Word file); re-save it from Word or LibreOffice")
    elif kind in ("zip", "ole"):
        raise IngestError(source, errors.ENCODING, f"binary content ({kind.upper()} container), not text")
    elif expected == "html" or kind == "html":
        doc = _load_html(data, source)
    else:
        doc = _load_text(data, source)
    return LoadedDocument(doc.source, doc.media_type, doc.text, doc.pages, doc.header, doc.title_hint,
                          tuple(note) + doc.warnings) if note else doc


def _load_docx(data: bytes, source: str) -> LoadedDocument:
    """DOCX: paragraphs and tables in body order; a table row is one line of cells joined by " | "."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:
        raise IngestError(source, errors.CORRUPT, f"Word file cannot be opened ({type(exc).__name__}: {exc}); "
                          "re-save it from Word or LibreOffice") from None
    lines: list[str] = []
    heading = ""

    def walk(parent) -> None:
        nonlocal heading
        for child in parent.iterchildren():
            tag = child.tag.rsplit("}", 1)[-1]
            if tag == "p":
                para = Paragraph(child, document._body)
                text = para.text.strip()
                if text and not heading and (para.style.name or "").startswith(("Title", "Heading")):
                    heading = text
                lines.extend(line.strip() for line in text.split("\n") if line.strip())  # headings too
            elif tag == "tbl":
                rows = [_row_line(row.cells) for row in Table(child, document._body).rows]
                lines.extend(["", *[r for r in rows if r], ""])  # blank lines mark the table's edges
            elif tag == "sdt":  # content controls wrap ordinary paragraphs and tables
                for content in child.iterchildren():
                    if content.tag.endswith("}sdtContent"):
                        walk(content)

    walk(document.element.body)
    text = nfc(re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip())
    if not text:
        raise IngestError(source, errors.EMPTY, "Word file contains no text")
    title = (document.core_properties.title or "").strip() or heading
    return LoadedDocument(source=source, media_type="docx", text=text, title_hint=nfc(title))


def _row_line(cells) -> str:
    """One table row as "cell | cell"; a cell spanning several columns is written once."""
    parts, last = [], None
    for cell in cells:
        if cell._tc is not last:
            parts.append(" ".join(cell.text.split()))
        last = cell._tc
    return " | ".join(parts) if any(parts) else ""


_DROP_TAGS = ("script", "style", "nav", "header", "footer", "noscript", "template", "svg", "iframe", "form")
_BLOCK_TAGS = {"p", "div", "section", "article", "main", "aside", "li", "dt", "dd", "pre", "blockquote",
               "h1", "h2", "h3", "h4", "h5", "h6", "caption", "figcaption", "address", "ul", "ol", "dl", "br", "hr"}


def _load_html(data: bytes, source: str) -> LoadedDocument:
    """HTML: visible headings, paragraphs, list items and table rows, one per line; chrome dropped."""
    from bs4 import BeautifulSoup, NavigableString
    from bs4.dammit import EncodingDetector

    warnings: list[str] = []
    try:  # valid UTF-8 wins over a (often wrong) declared charset
        markup = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        declared = EncodingDetector.find_declared_encoding(data, is_html=True)
        try:
            markup = data.decode(declared) if declared else None
        except (LookupError, UnicodeDecodeError):
            markup = None
        if markup is None:
            markup, warnings = _decode_text(data, source)
    soup = BeautifulSoup(markup, "lxml")
    for tag in soup(_DROP_TAGS):
        tag.decompose()
    lines: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        line = " ".join("".join(buf).split())
        if line:
            lines.append(line)
        buf.clear()

    def walk(node) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if type(child) is NavigableString:  # not a comment, doctype or CDATA
                    buf.append(str(child))
            elif child.name == "table":
                flush()
                for row in child.find_all("tr"):
                    if row.find_parent("table") is child:  # nested tables are read with their own rows
                        cells = [" ".join(c.get_text(" ").split())
                                 for c in row.find_all(("td", "th"), recursive=False)]
                        if any(cells):
                            lines.append(" | ".join(cells))
            elif child.name in _BLOCK_TAGS:
                flush()
                walk(child)
                flush()
            else:
                walk(child)

    try:
        walk(soup.body or soup)
    except RecursionError:
        raise IngestError(source, errors.CORRUPT, "HTML is nested too deeply to read") from None
    flush()
    text = nfc("\n".join(lines))
    if not text.strip():
        raise IngestError(source, errors.EMPTY, "HTML page has no visible text")
    found = [" ".join(tag.get_text(" ").split()) for tag in (soup.find("title"), soup.find("h1")) if tag]
    title = next((t for t in found if t), "")
    return LoadedDocument(source=source, media_type="html", text=text, title_hint=nfc(title),
                          warnings=tuple(warnings))


def _decode_text(data: bytes, source: str) -> tuple[str, list[str]]:
    """Bytes to text: UTF-8 (BOM or not), UTF-16/32 with BOM, else a legacy encoding that reads as Vietnamese."""
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                       (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode("utf-8-sig" if codec == "utf-8" else codec), []
            except UnicodeDecodeError as exc:
                raise IngestError(source, errors.ENCODING, f"has a {codec.upper()} byte-order mark but invalid "
                                  f"{codec.upper()} at byte {exc.start}; re-save it as UTF-8") from None
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    if b"\x00" in data:
        raise IngestError(source, errors.ENCODING, "binary data (NUL bytes), not text; if it is text, "
                          "re-save it as UTF-8")
    # cp1258 stores tones as combining marks; NFC (in looks_vietnamese and later) composes them.
    candidates = [("cp1258", lambda: data.decode("cp1258")), ("TCVN3 (ABC)", lambda: decode_tcvn3(data))]
    for name, decode in candidates:
        try:
            text = nfc(decode())
        except UnicodeDecodeError:
            continue
        if looks_vietnamese(text):
            return text, [f"decoded as {name}"]
    bad = data.decode("utf-8", errors="replace").count("\ufffd")
    if bad <= max(2, len(data) // 2000):  # a stray byte in a UTF-8 file: keep the rest
        return data.decode("utf-8", errors="replace"), [f"{bad} invalid UTF-8 byte(s) replaced"]
    from charset_normalizer import from_bytes

    for match in list(from_bytes(data))[:5]:
        text = nfc(str(match))
        if looks_vietnamese(text):
            return text, [f"decoded as {match.encoding}"]
    raise IngestError(source, errors.ENCODING, f"is not UTF-8 (invalid byte at {first_bad}) and does not read as "
                      "Vietnamese in Windows-1258, TCVN3 (ABC) or other legacy encodings; re-save it as UTF-8")


def parse_header(text: str) -> tuple[tuple[tuple[str, str], ...], str]:
    """Split the corpus header (`key: value` lines, then a line of "="s) from the body; no block = no header."""
    lines = text.split("\n")
    if not lines or not _HEADER_LINE.match(lines[0]):
        return (), text
    pairs: list[list[str]] = []
    for index, line in enumerate(lines[:200]):
        if _HEADER_END.match(line):
            header = tuple((k, nfc(v.strip())) for k, v in pairs)
            return header, "\n".join(lines[index + 1:])
        if not line.strip():
            return (), text  # a blank line before any "=====": ordinary text, not a header block
        match = _HEADER_LINE.match(line)
        if match:
            pairs.append([nfc(match.group(1).strip()), match.group(2) or ""])
        else:
            pairs[-1][1] += ("\n" if pairs[-1][1] else "") + line.strip()  # continuation of the value
    return (), text


def _load_text(data: bytes, source: str) -> LoadedDocument:
    """TXT/MD: decoded, NFC, with the corpus header block parsed off the top."""
    raw, warnings = _decode_text(data, source)
    text = nfc(raw.replace("\r\n", "\n").replace("\r", "\n")).lstrip("\ufeff")
    header, body = parse_header(text)
    body = body.strip("\n").rstrip()
    if not body.strip():
        what = "only a header block and no body text" if header else "only whitespace"
        raise IngestError(source, errors.EMPTY, f"text file contains {what}")
    first = next((line.strip().lstrip("#").strip() for line in body.split("\n") if line.strip()), "")
    title = dict(header).get("Tiêu đề") or (first if len(first) <= 200 else "")
    return LoadedDocument(source=source, media_type="text", text=body, header=header, title_hint=title,
                          warnings=tuple(warnings))


def iter_input_files(paths: Sequence[str]) -> Iterator[tuple[Path, str]]:
    """Yield (path, source) for given files and, sorted and recursively, the non-hidden files in given folders."""
    for given in paths:
        if not os.path.exists(given):
            raise IngestError(given, errors.NOT_FOUND, "path does not exist")
        if not os.path.isdir(given):
            yield Path(given), given
            continue
        found: list[tuple[str, ...]] = []
        for root, dirs, files in os.walk(given):  # symlinked folders are not followed: no cycles
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            rel = os.path.relpath(root, given)
            prefix = () if rel == "." else tuple(Path(rel).parts)
            found.extend(prefix + (name,) for name in files if not name.startswith("."))
        for parts in sorted(found):
            source = os.path.join(given, *parts)
            yield Path(source), source
