"""Corpora as JSON Lines: one document per line (`id`, `text`, optional `title` and metadata), plain or gzipped.

A bad line (not JSON, no id, no text, a repeated id, too long, not UTF-8) is reported with its line number and
skipped; the lines around it are read as usual. A gzip file cut short ends the reading with one problem.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ingest import errors
from ingest.decoding import remove_controls
from ingest.errors import IngestError
from ingest.types import LoadedDocument
from knowledge.text import nfc
from retrieval.sources import MEMBER_SEPARATOR  # "<file>#<id>": the one mark public sources are read by

JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")
# Optional fields a line may carry, as the corpus header keys extract_metadata reads.
HEADER_KEYS = {"title": "Tiêu đề", "number": "Số hiệu", "doc_type": "Loại văn bản", "issuer": "Cơ quan ban hành",
               "signed_date": "Ngày ban hành", "effective_date": "Ngày hiệu lực"}
MAX_ID_CHARS = 200  # an id is a key, not content: a longer one is a mistake in the file


@dataclass(frozen=True)
class JsonlDocument:
    """One good line: its number, its id, the raw bytes (hashed to skip unchanged lines) and the document."""

    line: int
    key: str
    raw: bytes
    doc: LoadedDocument


@dataclass(frozen=True)
class JsonlProblem:
    """One line that was skipped, and why (code as in ingest.errors)."""

    line: int
    code: str
    reason: str


def is_jsonl(path: Path | str) -> bool:
    """True for a .jsonl/.ndjson file, gzipped or not."""
    return str(path).lower().endswith(JSONL_SUFFIXES)


def member_source(source: str, key: str) -> str:
    """The source shown for the document on one line of a JSONL file."""
    return f"{source}{MEMBER_SEPARATOR}{key}"


def container_of(source: str) -> str:
    """The JSONL file a line's document came from, or `source` itself for a document that is a file."""
    head, mark, _ = source.rpartition(MEMBER_SEPARATOR)
    return head if mark and is_jsonl(head) else source


def _open(path: Path):
    with open(path, "rb") as fh:
        gzipped = fh.read(2) == b"\x1f\x8b"  # by content: a .jsonl that is really gzipped still reads
    return gzip.open(path, "rb") if gzipped else open(path, "rb")


def count_lines(path: Path) -> int:
    """Lines in the file (for a progress bar's total); 0 when it cannot be read to the end."""
    try:
        with _open(path) as fh:
            return sum(1 for _ in fh)
    except (OSError, EOFError, zlib.error):
        return 0


def read_jsonl(path: Path, source: str, max_line_bytes: int) -> Iterator[JsonlDocument | JsonlProblem]:
    """Each non-blank line as a document or a problem, in file order."""
    seen: dict[str, int] = {}
    number = 0
    try:
        with _open(path) as fh:
            for number, raw in enumerate(fh, 1):
                if not raw.strip():
                    continue
                item = _parse_line(raw, number, source, max_line_bytes)
                if isinstance(item, JsonlDocument):
                    if item.key in seen:
                        item = JsonlProblem(number, errors.DUPLICATE,
                                            f"id {item.key!r} already on line {seen[item.key]}; this line skipped")
                    else:
                        seen[item.key] = number
                yield item
    except (OSError, EOFError, zlib.error) as exc:  # truncated or damaged gzip: what was read stays indexed
        yield JsonlProblem(number + 1, errors.CORRUPT, f"the file cannot be read past line {number} "
                           f"({type(exc).__name__}: {exc}); download or export it again")


def _parse_line(raw: bytes, number: int, source: str, max_line_bytes: int) -> JsonlDocument | JsonlProblem:
    if len(raw) > max_line_bytes:
        return JsonlProblem(number, errors.TOO_LARGE, errors.too_large("line", len(raw), max_line_bytes))
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return JsonlProblem(number, errors.ENCODING, f"not UTF-8 (byte {exc.start + 1})")
    except json.JSONDecodeError as exc:
        return JsonlProblem(number, errors.MALFORMED, f"not valid JSON: {exc.msg} at column {exc.colno}")
    if not isinstance(data, dict):
        return JsonlProblem(number, errors.MALFORMED, f"a JSON {type(data).__name__}, not an object with "
                            "\"id\" and \"text\"")
    key = data.get("id")
    if isinstance(key, bool) or not isinstance(key, (str, int)) or not str(key).strip():
        return JsonlProblem(number, errors.MALFORMED, "no \"id\" (a non-empty string or number)")
    key = nfc(str(key).strip())
    if len(key) > MAX_ID_CHARS or any(c in key for c in "\n\r\t"):
        return JsonlProblem(number, errors.MALFORMED, f"\"id\" is over {MAX_ID_CHARS} characters or has "
                            "line breaks")
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        return JsonlProblem(number, errors.EMPTY, f"id {key!r}: no \"text\" (a non-empty string)")
    try:
        return JsonlDocument(number, key, raw, _document(data, key, text, source))
    except IngestError as err:  # e.g. binary data in "text"
        return JsonlProblem(number, err.code, f"id {key!r}: {err.reason}")


def _document(data: dict, key: str, text: str, source: str) -> LoadedDocument:
    where = member_source(source, key)
    warnings: list[str] = []
    body = remove_controls(nfc(text.replace("\r\n", "\n").replace("\r", "\n")), where, warnings).strip()
    header = []
    for field, header_key in HEADER_KEYS.items():
        value = data.get(field)
        if field == "title" and isinstance(value, str) and value.strip() and not any(c.isalnum() for c in value):
            # a table's rule or border scraped as the title ("|", "-------"): the title is taken from the text
            warnings.append(f"field 'title' {value.strip()[:20]!r} has no letter or digit; title taken from the text")
        elif isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value).strip():
            header.append((header_key, nfc(" ".join(str(value).split()))))
        elif value not in (None, ""):
            warnings.append(f"field {field!r} is not a string; ignored")
    title = dict(header).get(HEADER_KEYS["title"], "")
    return LoadedDocument(source=where, media_type="text", text=body, header=tuple(header), title_hint=title,
                          warnings=tuple(warnings))
