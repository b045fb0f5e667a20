"""Frozen value types that flow from loaders through chunking into the store."""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class PageSpan:
    """A PDF page: 1-based page number and its [start, end) offsets in the document text."""

    page: int
    start: int
    end: int


@dataclass(frozen=True)
class LoadedDocument:
    """A file turned into NFC text; `header` holds `key: value` lines of the corpus header format."""

    source: str  # path as given to ingest, joined with the file's path below it
    media_type: str  # "pdf" | "docx" | "html" | "text" | "catalogue"
    text: str  # NFC-normalised, repaired body text; chunk offsets point into it
    pages: tuple[PageSpan, ...] = ()
    header: tuple[tuple[str, str], ...] = ()
    title_hint: str = ""  # e.g. HTML <title> or first heading
    warnings: tuple[str, ...] = ()

    def header_dict(self) -> dict[str, str]:
        """Header lines as a dict (first occurrence of a key wins)."""
        out: dict[str, str] = {}
        for key, value in self.header:
            out.setdefault(key, value)
        return out

    def page_at(self, offset: int) -> int | None:
        """1-based page containing `offset`, or None for documents without pages."""
        for span in self.pages:
            if span.start <= offset < span.end:
                return span.page
        return self.pages[-1].page if self.pages and offset >= self.pages[-1].end else None


@dataclass(frozen=True)
class ChunkSpan:
    """One retrievable unit cut from a document's text, before ids and metadata are attached."""

    path: str  # structural path, e.g. "Điều 4 > Khoản 1 > Điểm a" ("" for untitled text)
    start: int  # offsets into LoadedDocument.text
    end: int
    text: str  # the chunk's own text (may repeat a table header or overlap a neighbour)
    page: int | None = None


@dataclass(frozen=True)
class Mention:
    """Another document referred to in the text: its number and, when given, its date (ISO)."""

    number: str
    date: str | None = None


@dataclass(frozen=True)
class DocMeta:
    """Metadata found in a document's text or header."""

    number: str | None = None  # e.g. "318/QĐ-TTg"
    doc_type: str | None = None  # "Quyết định", "Công văn", ..., "Bài báo"
    issuer: str | None = None
    signed_date: str | None = None  # ISO yyyy-mm-dd
    effective_date: str | None = None
    title: str | None = None  # trích yếu / headline
    mentions: tuple[Mention, ...] = ()

    @property
    def year(self) -> int | None:
        """Year of signing, from the date or the number (e.g. 51/2025/QĐ-TTg)."""
        if self.signed_date:
            return int(self.signed_date[:4])
        found = re.search(r"/((?:19|20)\d\d)/", self.number or "")
        return int(found.group(1)) if found else None


@dataclass(frozen=True)
class Chunk:
    """A chunk ready for the store: deterministic id, text to display and text to embed."""

    chunk_id: str
    doc_id: str
    position: int
    span: ChunkSpan
    embed_text: str  # chunk text with document title and structural path in front
    payload: dict = field(default_factory=dict, compare=False, hash=False)
