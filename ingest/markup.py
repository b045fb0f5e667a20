"""DOCX and HTML loaders: body text one block per line, tables as "cell | cell" rows, a title hint."""

from __future__ import annotations

import io
import re

from ingest import errors
from ingest.decoding import decode_text, remove_controls
from ingest.errors import IngestError
from ingest.textnorm import strip_controls
from ingest.types import LoadedDocument
from knowledge.text import nfc


def load_docx(data: bytes, source: str) -> LoadedDocument:
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
            tag = child.tag.rsplit("}", 1)[-1] if isinstance(child.tag, str) else ""  # comments have no tag name
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
                    if isinstance(content.tag, str) and content.tag.endswith("}sdtContent"):
                        walk(content)

    # Opening checks only the package: broken styles, table grids or properties fail while reading.
    try:
        walk(document.element.body)
        title = (document.core_properties.title or "").strip() or heading
    except RecursionError:
        raise IngestError(source, errors.CORRUPT, "Word file is nested too deeply to read") from None
    except Exception as exc:
        raise IngestError(source, errors.CORRUPT, f"Word file content is damaged ({type(exc).__name__}: {exc}); "
                          "re-save it from Word or LibreOffice") from None
    warnings: list[str] = []
    text = remove_controls(nfc(re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()), source, warnings).strip()
    if not text:
        raise IngestError(source, errors.EMPTY, "Word file contains no text")
    return LoadedDocument(source=source, media_type="docx", text=text, title_hint=_clean_title(title),
                          warnings=tuple(warnings))


def _row_line(cells) -> str:
    """One table row as "cell | cell"; a cell spanning several columns is written once."""
    parts, last = [], None
    for cell in cells:
        if cell._tc is not last:
            parts.append(" ".join(cell.text.split()))
        last = cell._tc
    return " | ".join(parts) if any(parts) else ""


def _clean_title(title: str) -> str:
    """A title hint on one line: NFC, no control characters, single spaces."""
    return " ".join(strip_controls(nfc(title))[0].split())


_DROP_TAGS = ("script", "style", "nav", "header", "footer", "noscript", "template", "svg", "iframe", "form")
_BLOCK_TAGS = {"p", "div", "section", "article", "main", "aside", "li", "dt", "dd", "pre", "blockquote",
               "h1", "h2", "h3", "h4", "h5", "h6", "caption", "figcaption", "address", "ul", "ol", "dl", "br", "hr"}


def load_html(data: bytes, source: str) -> LoadedDocument:
    """HTML: visible headings, paragraphs, list items and table rows, one per line; chrome dropped."""
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
            markup, warnings = decode_text(data, source)
    # Controls are dropped before parsing (the parser may choke on or keep them); entities such
    # as "&#1;" can still produce some, so the text is cleaned again below.
    markup = remove_controls(markup, source, warnings)
    try:
        lines, title = _html_lines(markup)
    except RecursionError:
        raise IngestError(source, errors.CORRUPT, "HTML is nested too deeply to read") from None
    except Exception as exc:  # the parser's own errors on malformed markup (e.g. ParserRejectedMarkup)
        raise IngestError(source, errors.CORRUPT, f"HTML cannot be parsed ({type(exc).__name__}: {exc}); "
                          "save the page again") from None
    text = remove_controls(nfc("\n".join(lines)), source, warnings)
    if not text.strip():
        raise IngestError(source, errors.EMPTY, "HTML page has no visible text")
    return LoadedDocument(source=source, media_type="html", text=text, title_hint=_clean_title(title),
                          warnings=tuple(warnings))


def _html_lines(markup: str) -> tuple[list[str], str]:
    """Visible text lines of an HTML page and its title (the h1 when <title> only adds a site name)."""
    from bs4 import BeautifulSoup, NavigableString

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

    walk(soup.body or soup)
    flush()
    title, h1 = (" ".join(tag.get_text(" ").split()) if tag else "" for tag in (soup.find("title"), soup.find("h1")))
    # "<title>Headline - Site name</title>" with the headline in <h1>: the h1 is the cleaner title.
    if h1 and h1 in title:
        title = h1
    return lines, title or h1
