"""Turn files (PDF, DOCX, HTML, TXT, MD) into NFC LoadedDocuments, with operator-readable errors."""

from __future__ import annotations

import codecs
import errno
import io
import os
import re
import stat
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from ingest import errors
from ingest.decoding import decode_text, remove_controls
from ingest.errors import DEFAULT_MAX_BYTES, IngestError, too_large
from ingest.markup import load_docx, load_html
from ingest.pdf import load_pdf
from ingest.types import LoadedDocument
from knowledge.text import nfc

SUPPORTED = {".pdf", ".docx", ".html", ".htm", ".txt", ".md"}
_KIND_BY_SUFFIX = {".pdf": "pdf", ".docx": "docx", ".html": "html", ".htm": "html", ".txt": "text", ".md": "text"}
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .doc/.xls, and password-protected .docx
_HEADER_LINE = re.compile(r"^([^\s:=][^:]{0,80}?):(?:\s+(.*))?$")
_HEADER_END = re.compile(r"^={10,}\s*$")
# What zipfile raises on a damaged archive: bad headers, "zip file version 15.6" (NotImplementedError),
# truncated or inconsistent directories (ValueError, EOFError, OSError).
_ZIP_ERRORS = (zipfile.BadZipFile, NotImplementedError, ValueError, EOFError, OSError, RuntimeError)

# Signed official documents are mostly scans: a PDF's bytes are page images, not text to embed, so it may be
# this many times NTM_MAX_FILE_MB (50 MB at the default 10, as before the limit was lowered). Not DOCX: zipped
# XML holds more text than its size.
SCAN_SIZE_FACTOR = 5


def _sniff(data: bytes, suffix: str) -> str | None:
    """What the bytes really are: "pdf", "docx", "zip", "ole", "html", or None (plain text or unknown)."""
    # PDF readers accept junk before the header; only trust that for files named .pdf
    if data.startswith(b"%PDF-") or (suffix == ".pdf" and b"%PDF-" in data[:1024]):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return "docx" if "word/document.xml" in _zip_listing(data)[0] else "zip"
    if data.startswith(_OLE_MAGIC):
        return "ole"
    head = data[:512].lstrip(codecs.BOM_UTF8 + b" \t\r\n").lower()
    return "html" if head.startswith((b"<!doctype html", b"<html")) else None


def _zip_listing(data: bytes) -> tuple[list[str], str]:
    """Member names of a zip archive and "", or no names and why it cannot be opened."""
    try:
        return zipfile.ZipFile(io.BytesIO(data)).namelist(), ""
    except _ZIP_ERRORS as exc:
        return [], f"{type(exc).__name__}: {exc}"


def _stat(path: Path, source: str) -> os.stat_result:
    """stat() the file behind `path`, naming broken links, link loops and unreadable paths."""
    try:
        return os.stat(path)
    except ValueError:  # an embedded NUL in the name
        raise IngestError(source, errors.NOT_FOUND, "path is not a valid file name") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise IngestError(source, errors.NOT_FOUND, "path is a symbolic link loop") from None
        if os.path.islink(path):
            raise IngestError(source, errors.NOT_FOUND, "path does not exist (broken symbolic link)") from None
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            raise IngestError(source, errors.NOT_FOUND, "path does not exist") from None
        raise IngestError(source, errors.NOT_FOUND, f"cannot be accessed ({exc.strerror or exc})") from None


def load_file(path: Path, source: str, *, max_bytes: int = DEFAULT_MAX_BYTES, ocr: str = "auto") -> LoadedDocument:
    """Load one file by its suffix and content; raises IngestError with a reason an operator can act on."""
    return parse_file(path, read_file(path, source, max_bytes=max_bytes), source, ocr=ocr)


def read_file(path: Path, source: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The bytes of a supported, regular, non-empty file under the size limit; raises IngestError otherwise."""
    path = Path(path)
    info = _stat(path, source)
    if stat.S_ISDIR(info.st_mode):
        raise IngestError(source, errors.UNSUPPORTED, "is a directory, not a file; give the folder to ingest "
                          "(it walks folders) instead of loading it as one file")
    if not stat.S_ISREG(info.st_mode):  # reading a pipe or a device could block or never end
        raise IngestError(source, errors.UNSUPPORTED, "is not a regular file (device, socket or pipe)")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        office = suffix in (".doc", ".xls", ".xlsx", ".ppt", ".pptx", ".odt", ".rtf")
        hint = f"; save it as {'.docx' if suffix == '.doc' else '.pdf or .docx'}" if office else ""
        raise IngestError(source, errors.UNSUPPORTED, f"unsupported file type {suffix or '(no suffix)'!r}; "
                          f"supported: {', '.join(sorted(SUPPORTED))}{hint}")
    size = info.st_size  # before reading: a huge file must not be read into memory
    limit = max_bytes * (SCAN_SIZE_FACTOR if suffix == ".pdf" else 1)
    if size > limit:
        raise IngestError(source, errors.TOO_LARGE, f"{too_large('file', size, limit)}; raise NTM_MAX_FILE_MB "
                          "to ingest it")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(source, errors.NOT_FOUND, f"cannot be read ({exc.strerror or exc})") from None
    if not data.strip():
        raise IngestError(source, errors.EMPTY, "file is empty" if not data else "file contains only whitespace")
    return data


def parse_file(path: Path, data: bytes, source: str, *, ocr: str = "auto") -> LoadedDocument:
    """Turn a file's bytes (from `read_file`) into a document: the loader is picked from the real content first,
    then from the suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    kind, expected = _sniff(data, suffix), _KIND_BY_SUFFIX[suffix]
    mismatch = kind in ("pdf", "docx", "html") and kind != expected
    note = [f"content is {kind.upper()} despite the {suffix} name"] if mismatch else []
    if kind == "pdf":
        doc = load_pdf(path, data, source, ocr)
    elif kind == "docx":
        doc = load_docx(data, source)
    elif expected == "pdf":
        what = " (it is HTML: an error page saved as .pdf?)" if kind == "html" else ""
        raise IngestError(source, errors.CORRUPT, f"not a PDF: no %PDF header{what}; download or export it again")
    elif expected == "docx":
        if kind == "ole" and "EncryptedPackage".encode("utf-16-le") in data:
            raise IngestError(source, errors.ENCRYPTED, "Word file is password-protected; save a copy without one")
        if kind == "ole":
            raise IngestError(source, errors.CORRUPT, "an old binary Word .doc named .docx; re-save it as .docx")
        why = _zip_listing(data)[1] if kind == "zip" else ""
        raise IngestError(source, errors.CORRUPT, "not a readable .docx package (damaged or truncated zip, or "
                          f"not a Word file{': ' + why if why else ''}); re-save it from Word or LibreOffice")
    elif kind in ("zip", "ole"):
        raise IngestError(source, errors.ENCODING, f"binary content ({kind.upper()} container), not text")
    elif expected == "html" or kind == "html":
        doc = load_html(data, source)
    else:
        doc = _load_text(data, source)
    return LoadedDocument(doc.source, doc.media_type, doc.text, doc.pages, doc.header, doc.title_hint,
                          tuple(note) + doc.warnings) if note else doc


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
    raw, warnings = decode_text(data, source)
    text = nfc(raw.replace("\r\n", "\n").replace("\r", "\n")).lstrip("\ufeff")
    text = remove_controls(text, source, warnings)  # before the header split: offsets are on the final body
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
        # A broken link or a link loop is still yielded: load_file then says what is wrong with it.
        if not os.path.lexists(given):
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
