"""ALQAC-format retrieval sets: load corpus and queries, and index a corpus into a VectorStore.

Format (e.g. ../shared/bench/alqac2022/): `corpus.jsonl` has one article per line (`doc_id` =
"law_id::article_id", `law_id`, `article_id`, `text`), `queries.jsonl` one question per line (`qid`,
`question`, `relevant` = gold doc_ids, `answer`, ...). The index holds one point per article (long
articles are split into pieces that all carry the article's doc_id) and one registry row per article,
so that `retrieval.search.Searcher` searches it like the product's own index.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ingest.pipeline import Indexer, embed_text_for
from ingest.types import Chunk, ChunkSpan, DocMeta
from knowledge.text import nfc
from retrieval.store import DocRecord

# Bump when splitting, embedding text or payload layout changes. 2: the embedded text names the law and the article.
ALQAC_INDEX_VERSION = "2"
MAX_PIECE_CHARS = 1500
POINT_NS = uuid.UUID("0d5c8e0e-3f4e-5b8a-9f65-a1c2d3e4f5a6")


@dataclass(frozen=True)
class AlqacArticle:
    """One article of the corpus."""

    doc_id: str
    law_id: str
    article_id: str
    text: str


@dataclass(frozen=True)
class AlqacQuery:
    """One question with its gold article ids."""

    qid: str
    question: str
    relevant: tuple[str, ...]
    answer: str | None = None
    question_type: str | None = None


def _jsonl(path: Path) -> Iterable[tuple[int, dict]]:
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if line.strip():
                try:
                    yield lineno, json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{lineno}: not JSON ({exc})") from exc


def _file(path: Path, name: str) -> Path:
    path = Path(path)
    return path / name if path.is_dir() else path


def load_corpus(path: Path) -> list[AlqacArticle]:
    """Articles of `corpus.jsonl` (a file, or the folder holding it); text NFC-normalised."""
    file = _file(path, "corpus.jsonl")
    articles, seen = [], set()
    for lineno, row in _jsonl(file):
        try:
            doc_id, text = str(row["doc_id"]), str(row["text"])
        except KeyError as exc:
            raise ValueError(f"{file}:{lineno}: missing field {exc}") from None
        law_id, _, article_id = doc_id.partition("::")
        if doc_id in seen:
            raise ValueError(f"{file}:{lineno}: duplicate doc_id {doc_id!r}")
        seen.add(doc_id)
        articles.append(AlqacArticle(doc_id, str(row.get("law_id") or law_id), str(row.get("article_id") or article_id),
                                     nfc(text)))
    return articles


def load_queries(path: Path) -> list[AlqacQuery]:
    """Questions of `queries.jsonl` (a file, or the folder holding it)."""
    file = _file(path, "queries.jsonl")
    queries = []
    for lineno, row in _jsonl(file):
        try:
            qid, question, relevant = str(row["qid"]), str(row["question"]), row["relevant"]
        except KeyError as exc:
            raise ValueError(f"{file}:{lineno}: missing field {exc}") from None
        answer = row.get("answer")
        queries.append(AlqacQuery(qid, nfc(question), tuple(str(r) for r in relevant),
                                  None if answer is None else str(answer), row.get("question_type")))
    return queries


def _hard_split(text: str, max_chars: int) -> list[str]:
    """Cut an over-long paragraph at sentence ends, then at spaces, into pieces of at most max_chars."""
    units = [u for u in re.split(r"(?<=[.;:!?])\s+", text) if u]
    out: list[str] = []
    for unit in units:
        while len(unit) > max_chars:
            cut = unit.rfind(" ", 0, max_chars)
            cut = cut if cut > max_chars // 2 else max_chars
            out.append(unit[:cut].strip())
            unit = unit[cut:].strip()
        out.append(unit)
    return _pack(out, max_chars, " ")


def _pack(units: Sequence[str], max_chars: int, sep: str) -> list[str]:
    pieces: list[str] = []
    current = ""
    for unit in units:
        if current and len(current) + len(sep) + len(unit) > max_chars:
            pieces.append(current)
            current = unit
        else:
            current = f"{current}{sep}{unit}" if current else unit
    if current:
        pieces.append(current)
    return pieces


def split_article(text: str, max_chars: int = MAX_PIECE_CHARS) -> list[str]:
    """The article whole if short, else paragraph-packed pieces of at most max_chars characters."""
    text = text.strip()
    if len(text) <= max_chars:
        return [text] if text else []
    paragraphs: list[str] = []
    for para in (p.strip() for p in re.split(r"\n\s*\n|\n", text)):
        if para:
            paragraphs.extend(_hard_split(para, max_chars) if len(para) > max_chars else [para])
    return _pack(paragraphs, max_chars, "\n\n")


def article_version(article: AlqacArticle, embedder_name: str, max_chars: int = MAX_PIECE_CHARS) -> str:
    """Registry version of an article: its doc_id plus a hash of text and index settings."""
    h = hashlib.sha256(f"alqac|{ALQAC_INDEX_VERSION}|{embedder_name}|{max_chars}|{article.doc_id}|".encode())
    h.update(article.text.encode("utf-8"))
    return f"{article.doc_id}:{h.hexdigest()[:16]}"


def point_id(doc_id: str, position: int, version: str) -> str:
    """Deterministic point id (uuid5) of one piece of an article version."""
    return str(uuid.uuid5(POINT_NS, f"{doc_id}|{position}|{version}"))


def _chunks(article: AlqacArticle, version: str, max_chars: int, source: str, written_at: float) -> list[Chunk]:
    """The article's pieces as chunks for the Indexer: the text shown, the text embedded, the payload."""
    heading = article.text.strip().split("\n", 1)[0].strip()  # the article's title line
    path = f"Điều {article.article_id}"
    chunks = []
    for pos, piece in enumerate(split_article(article.text, max_chars)):
        # Later pieces lose the title line; repeat it so each piece says what the article is about.
        embed = piece if pos == 0 or not heading or len(heading) > 200 else f"{heading}\n{piece}"
        # Embedded the way the product embeds its own chunks (ingest.pipeline.embed_text_for): the document's
        # number, the structural path ("Điều 15"), then the text, so "theo Điều 15 ..." can find the article.
        embed = embed_text_for(DocMeta(number=article.law_id), path, embed)
        payload = {"doc_id": article.doc_id, "doc_version": version, "text": piece, "title": article.law_id,
                   "path": path, "source": f"{source}#{article.doc_id}", "number": article.law_id,
                   "article_id": article.article_id, "position": pos, "page": None, "status": None,
                   "kind": "alqac", "written_at": written_at}
        chunks.append(Chunk(point_id(article.doc_id, pos, version), article.doc_id, pos,
                            ChunkSpan(path, 0, len(piece), piece), embed, payload))
    return chunks


def index_alqac(indexer: Indexer, articles: Sequence[AlqacArticle], *, source: str = "corpus.jsonl",
                max_chars: int = MAX_PIECE_CHARS, progress: Callable[[int], None] | None = None) -> dict:
    """Index articles through the Indexer's write path (dense + BM25 vectors, one registry row per article);
    returns counts. `progress(n)` after each batch of n pieces."""
    written_at = time.time()
    versions = []
    for article in articles:
        version = article_version(article, indexer.embedder.name, max_chars)
        chunks = _chunks(article, version, max_chars, source, written_at)
        if chunks:
            record = DocRecord(article.doc_id, version, f"{source}#{article.doc_id}", len(chunks),
                               {"kind": "alqac", "number": article.law_id, "title": article.law_id})
            versions.append((record, chunks))
    indexer.write_versions(versions, progress=progress)
    return {"articles": len(versions), "points": sum(len(chunks) for _, chunks in versions)}


def count_pieces(articles: Sequence[AlqacArticle], max_chars: int = MAX_PIECE_CHARS) -> int:
    """How many points indexing these articles writes (for a progress bar total)."""
    return sum(len(split_article(a.text, max_chars)) for a in articles)
