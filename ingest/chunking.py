"""Structure-aware chunking: one chunk per unit that fits, small sub-units of one parent packed
together, oversized units split at sentence (or table row) boundaries with a whole-sentence overlap.

Choices, for retrieval:
- Text before the first heading (letterhead, title, căn cứ; a news lead) gets path "".
- Containers (root, Phần, Chương, Mục, Phụ lục) are never one chunk: each Điều / plan section /
  news heading stays its own chunk so a hit can be cited precisely. A unit's heading lines that
  end up alone ride along at the start of its first child's first chunk when they fit.
- Only Khoản, Điểm and numbered plan items (and the intro text of their parent) are packed with
  siblings; a packed chunk is labelled with its parent path plus a range ("Điều 4 > Khoản 2-3").
- An oversized unit is cut at the best boundary in the back half of the budget: paragraph or list
  item, then line end after punctuation, then sentence end (". ", ";"); only a sentence longer than
  max_chars is cut between words. Cuts inside a paragraph carry up to `overlap` chars of whole
  sentences into the next chunk.
- Tables are split between rows; every piece after the first repeats the header row(s) in `text`
  (headers longer than max_chars/3 are not repeated: such a table is split like text). Rows are
  sized so that `text`, repeated header included, never exceeds max_chars.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ingest.structure import Heading, Table, find_headings, find_tables
from ingest.types import ChunkSpan, LoadedDocument

CONTAINERS = frozenset({"root", "phan", "chuong", "muc", "phuluc"})
PACKABLE = frozenset({"num", "sub", "letter"})
# Candidate cut points: blank line, any newline, or spaces after sentence punctuation.
_CUT = re.compile(r"\n[ \t]*\n\s*|\n|(?<=[.!?…;”\"’)\]])[ \t]+")
_CLOSERS = re.compile(r"(?:\[\d+\]|[\s*_”\"’)\]])+$")  # quotes, brackets, [12] refs after a full stop
_ITEM = re.compile(r"[ \t*_]*(?:[-+•–]\s|\(\d+\)|\d{1,3}[.)]\s|[a-zđ][).]\s|[“\"]?(?:Điều|Khoản|Điểm)\s)")
# "Điều 6." / "1." / "II." at a line start number a unit; the dot there does not end a sentence.
_MARKER = re.compile(
    r"[\W_]*(?:(?:Điều|Khoản|Điểm|Mục|Chương|Phần|Phụ lục)\s+)?(?:\d{1,3}|[IVXLC]+|[a-zđ])(?:\.\d{1,2})*\.", re.I)
_ABBREV = ("TP.", "Tp.", "TS.", "ThS.", "PGS.", "GS.", "v.v.", "St.", "Th.")
_ENDERS = ".;:!?…"


class Unit(NamedTuple):
    """A heading's span [start, end) with its nested units; kind "root" for the whole text."""

    start: int
    end: int
    kind: str
    path: str
    children: tuple[Unit, ...]


class Piece(NamedTuple):
    """A chunk before whitespace trimming."""

    start: int
    end: int
    path: str
    header: str = ""  # table header repeated in front of the text


class Atom(NamedTuple):
    """The smallest span the packer moves: a sentence, a wrapped line, a word run or a table row."""

    start: int
    end: int
    strength: int  # how good a cut after this atom is: -1 never (table header), 0 wrap .. 3 paragraph
    table: int  # index of the table it belongs to, -1 for text
    header: bool = False


def _tree(headings: list[Heading], n: int) -> Unit:
    """Nest headings by rank; a unit runs to the next heading of the same or a higher level."""
    def build(i: int, end: int, rank: int) -> tuple[list[Unit], int]:
        units: list[Unit] = []
        while i < len(headings) and headings[i].start < end and headings[i].rank > rank:
            h = headings[i]
            stop = next((g.start for g in headings[i + 1:] if g.rank <= h.rank), end)
            kids, i = build(i + 1, min(stop, end), h.rank)
            units.append(Unit(h.start, min(stop, end), h.kind, h.path, tuple(kids)))
        return units, i
    top, _ = build(0, n, -1)
    return Unit(0, n, "root", "", tuple(top))


def _size(text: str, start: int, end: int) -> int:
    return len(text[start:end].strip())


def _chunk_unit(u: Unit, text: str, tables: list[Table], max_chars: int, overlap: int) -> list[Piece]:
    """Pieces for one unit: whole if it fits, else its intro and children, packing small siblings."""
    if u.kind not in CONTAINERS and _size(text, u.start, u.end) <= max_chars:
        return [Piece(u.start, u.end, u.path)]
    if not u.children:
        return split_span(text, u.start, u.end, u.path, tables, max_chars, overlap)
    parts: list[Unit] = []
    if _size(text, u.start, u.children[0].start):
        parts.append(Unit(u.start, u.children[0].start, "head", u.path, ()))
    parts.extend(u.children)
    out: list[Piece] = []
    group: list[Unit] = []

    def flush() -> None:
        if group:
            kids = [p for p in group if p.kind != "head"]
            out.append(Piece(group[0].start, group[-1].end, _group_path(u.path, kids)))
            group.clear()

    for idx, p in enumerate(parts):
        fits = _size(text, p.start, p.end) <= max_chars
        # Root level packs nothing: the preamble and top-level items each keep their own path.
        packable = u.kind != "root" and (p.kind == "head" or p.kind in PACKABLE)
        if packable and fits and (not group or _size(text, group[0].start, p.end) <= max_chars):
            group.append(p)
            continue
        flush()
        if packable and fits:
            group.append(p)
            continue
        if p.kind == "head":
            out.extend(split_span(text, p.start, p.end, u.path, tables, max_chars, overlap))
            continue
        pieces = _chunk_unit(p, text, tables, max_chars, overlap)
        # A container's heading lines alone make a useless chunk: glue them onto the first child.
        if idx == 1 and len(out) == 1 and parts[0].kind == "head" and out[0].end == p.start and u.kind != "root" \
                and not pieces[0].header \
                and _size(text, out[0].start, pieces[0].end) <= max_chars:
            pieces[0] = Piece(out.pop().start, pieces[0].end, pieces[0].path)
        out.extend(pieces)
    flush()
    return out


def _group_path(parent: str, kids: list[Unit]) -> str:
    """One child: its own path; several Khoản/Điểm: parent plus a range; otherwise the parent."""
    if len(kids) == 1:
        return kids[0].path
    if not kids:
        return parent
    first, last = kids[0].path.rsplit(" > ", 1)[-1], kids[-1].path.rsplit(" > ", 1)[-1]
    word = first.split(" ")[0]
    if word in ("Khoản", "Điểm") and last.startswith(word + " "):
        rng = f"{word} {first.split(' ')[1]}-{last.split(' ')[1]}"
        return f"{parent} > {rng}" if parent else rng
    return parent


def _text_atoms(text: str, s: int, e: int, limit: int) -> list[Atom]:
    """Sentence-sized atoms of text[s:e]; wrapped lines and words only where a sentence is too long."""
    cuts: list[tuple[int, int]] = []
    for m in _CUT.finditer(text, s, e):
        g, at = m.group(), m.start()
        if at <= s:
            continue
        if g.count("\n") >= 2:
            strength = 3
        else:
            prev = _CLOSERS.sub("", text[max(s, at - 40):at])[-1:]
            if "\n" in g:
                strength = 3 if _ITEM.match(text, m.end(), e) else 2 if prev and prev in _ENDERS else 0
            else:
                nxt = text[m.end():m.end() + 1]
                if not prev or prev not in _ENDERS.replace(":", ""):
                    continue
                if prev == "." and (text[max(s, at - 5):at].endswith(_ABBREV)
                                    or _MARKER.fullmatch(text, text.rfind("\n", s, at) + 1 or s, at)
                                    or not (nxt.isupper() or nxt.isdigit() or nxt in "“\"([")):
                    continue
                strength = 1
        cuts.append((at, strength))
    cuts.append((e, 3))
    atoms: list[Atom] = []
    a = s
    for b, strength in cuts:
        if text[a:b].strip():
            # A sentence longer than the limit becomes word-bounded slivers the packer can fill with.
            parts = _words(text, a, b, max(limit // 8, 20)) if _size(text, a, b) > limit else [(a, b)]
            for ws, we in parts:
                atoms.append(Atom(ws, we, strength if we == b else 0, -1))
            a = b
    return atoms


def _words(text: str, s: int, e: int, limit: int) -> list[tuple[int, int]]:
    """Cut text[s:e] at spaces into parts of at most `limit` chars (hard cut inside a giant word)."""
    # Positions only: measuring the stripped remainder on each step copied it and made a long
    # unpunctuated line quadratic (minutes for a few million characters).
    out = []
    hi = e
    while hi > s and text[hi - 1].isspace():
        hi -= 1
    while True:
        p = s
        while p < hi and text[p].isspace():
            p += 1
        if hi - p <= limit:
            return out + [(s, e)]
        s = p
        cut = text.rfind(" ", s + 1, s + limit + 1)
        cut = cut if cut > s else s + limit
        out.append((s, cut))
        s = cut


def _atoms(text: str, s: int, e: int, tables: list[Table], max_chars: int) -> list[Atom]:
    """Atoms of a span: sentences of its text, and header/rows of the tables wholly inside it."""
    atoms: list[Atom] = []
    pos = s
    for ti, t in enumerate(tables):
        head_len = _size(text, t.start, t.header_end)
        # A header-only block is plain text, and so is a table whose "header" is too long to repeat
        # (malformed exports); a table never straddles a unit boundary.
        if not t.rows or t.start < s or t.end > e or head_len > max_chars // 3:
            continue
        atoms += _text_atoms(text, pos, t.start, max_chars)
        budget = max_chars - head_len - 1
        atoms.append(Atom(t.start, t.header_end, -1, ti, True))
        for rs, re_ in t.rows:
            atoms += [Atom(a.start, a.end, a.strength, ti) for a in _text_atoms(text, rs, re_, budget)]
        pos = t.end
    return atoms + _text_atoms(text, pos, e, max_chars)


def split_span(text: str, s: int, e: int, path: str, tables: list[Table],
               max_chars: int, overlap: int) -> list[Piece]:
    """Pack atoms of text[s:e] greedily into pieces of at most max_chars, best boundary last."""
    atoms = _atoms(text, s, e, tables, max_chars)
    n = len(atoms)

    def header(m: int) -> str:
        a = atoms[m]
        t = tables[a.table] if a.table >= 0 and not a.header else None
        return text[t.start:t.header_end].strip() if t else ""

    def size(m: int, x: int) -> int:
        h = header(m)
        return _size(text, atoms[m].start, atoms[x].end) + (len(h) + 1 if h else 0)

    def choose(m: int, i: int) -> int:
        j = i
        while j < n and size(m, j) <= max_chars:
            j += 1
        if j == i:
            j = i + 1  # defensive: atoms are sized to fit, so one always makes progress
        if atoms[j - 1].header:  # a header row never ends a piece: cut before it, or take one row
            j = j - 1 if j - 1 > i else min(j + 1, n)
        if j == n:
            return n - 1
        best, best_x = -2.0, j - 1
        for x in range(i, j):
            st = atoms[x].strength
            score = -2.0 if st < 0 else 0.0 if st == 0 else st if size(m, x) >= max_chars / 2 else 0.5
            if score >= best:
                best, best_x = score, x
        return best_x

    pieces: list[Piece] = []
    i, m = 0, 0
    while i < n:
        if m < i and size(m, i) > max_chars:
            m = i  # no room for the carried sentences next to the first new one
        k = choose(m, i)
        if m < i and atoms[k].strength == 0 and k < n - 1:
            m = i  # the carried overlap would force a mid-sentence cut: drop it
            k = choose(m, i)
        pieces.append(Piece(atoms[m].start, atoms[k].end, path, header(m)))
        first, i, m = m, k + 1, k + 1
        # Carry trailing whole sentences when the cut falls inside a paragraph; not after a forced
        # mid-sentence cut, not across paragraphs or list items, not into a table (its header repeats).
        if i < n and atoms[k].strength in (1, 2) and not (atoms[i].table >= 0 and not atoms[i].header):
            for x in range(k, first, -1):
                if atoms[x].table >= 0 or _size(text, atoms[x].start, atoms[k].end) > overlap:
                    break
                if atoms[x - 1].strength >= 1:
                    m = x  # whole sentences only
    return pieces


def chunk_document(doc: LoadedDocument, *, max_chars: int = 1200, overlap: int = 150) -> list[ChunkSpan]:
    """Cut a document into structure-aware chunks, in document order, covering all its text."""
    text = doc.text
    if not text.strip():
        return []
    max_chars = max(max_chars, 50)  # below this a table header or a heading line cannot fit
    overlap = max(0, min(overlap, max_chars // 2))
    tables = find_tables(text)
    root = _tree(find_headings(text, tables), len(text))
    out: list[ChunkSpan] = []
    for p in _chunk_unit(root, text, tables, max_chars, overlap):
        s, e = p.start, p.end
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s < e:
            body = text[s:e]
            out.append(ChunkSpan(p.path, s, e, f"{p.header}\n{body}" if p.header else body, doc.page_at(s)))
    return out
