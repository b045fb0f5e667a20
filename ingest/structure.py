"""Find tables and structural headings (Phần, Chương, Mục, Điều, Khoản, Điểm, Phụ lục, plan sections,
news headings) in Vietnamese legal and administrative text, each with its structural path."""

from __future__ import annotations

import re
from typing import NamedTuple

# Ranks: a heading closes every open heading of the same or a lower level (higher rank number).
RANKS = {"rule": 0, "phuluc": 0, "phan": 0, "chuong": 1, "muc": 2, "dieu": 3, "roman": 4, "title": 4,
         "num": 5, "sub": 6, "letter": 7}
# Headings that end an amendment quote or a cell-per-line table: they are never inside either.
MAJOR = frozenset({"phuluc", "phan", "chuong", "muc", "dieu", "roman"})

_LEAD = re.compile(r"^[\s*_>]+")
_MD = re.compile(r"^#{1,6}\s+(\S.*)$")
_PHAN = re.compile(r"(?:PHẦN|Phần)\s+(THỨ\s+\w+|thứ\s+\w+|[IVXLC]+\b|\d+\b)(.*)$")
_CHUONG = re.compile(r"(?:CHƯƠNG|Chương)\s+([IVXLC]+|\d+)\b(.*)$")
_MUC = re.compile(r"(?:MỤC|Mục)\s+([IVXLC]+|\d+)\b(.*)$")
_DIEU = re.compile(r"(?:Điều|ĐIỀU)\s+(\d+[a-z]?)\s*[.:]")
_PHULUC = re.compile(r"(PHỤ\s+LỤC|Phụ\s+lục)(?:\s+(?:số\s+|SỐ\s+)?([IVXLC]+|\d+[a-z]?|[A-Z])\b)?(.*)$")
_ROMAN = re.compile(r"([IVXLC]{1,5})\s*\.\s*(\S.*)$")
_SUB = re.compile(r"(\d{1,2})\.(\d{1,2})\.?\s+(\S.*)$")
_NUM = re.compile(r"(\d{1,3})\.\s+(\S.*)$")
_LETTER = re.compile(r"([a-zđ])\s*[).]\s+(\S.*)$")
_STRUCTURED = re.compile(
    r"^[\s*_>#]*(?:(?:Điều|ĐIỀU)\s+\d+[a-z]?\s*[.:]|(?:CHƯƠNG|Chương)\s+[IVXLC\d]+|PHỤ\s+LỤC|I\.\s*\S)", re.M)
_RULE = re.compile(r"^={10,}$")  # a "=====" line separates independent parts (e.g. appended summaries)
_SEP_ROW = re.compile(r"^\|?[\s:|-]*-{3,}[\s:|-]*$")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
_LETTERS_VI = "abcdđeghiklmnopqrstuvxy"
_LETTERS_EN = "abcdefghijklmnopqrstuvwxyz"
_TABLE_GAP = 8  # cell-per-line tables: most non-pipe lines between two lone "|" lines


class Heading(NamedTuple):
    """A heading line: where it starts, its kind and rank, and the full path it opens."""

    start: int
    kind: str
    rank: int
    path: str


class Table(NamedTuple):
    """A table block: header is text[start:header_end]; rows are (start, end) spans after it."""

    start: int
    end: int
    header_end: int
    rows: tuple[tuple[int, int], ...]


def _lines(text: str) -> list[tuple[int, str]]:
    """(offset, line without its newline) for every line."""
    out, pos = [], 0
    for raw in text.splitlines(keepends=True):
        out.append((pos, raw.rstrip("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")))
        pos += len(raw)
    return out


def _roman(s: str) -> int:
    vals = [_ROMAN_VALUES[c] for c in s]
    return sum(-v if i + 1 < len(vals) and v < vals[i + 1] else v for i, v in enumerate(vals))


def short_label(text: str, limit: int = 48) -> str:
    """Heading text squeezed to one line, cut at a word boundary, without trailing punctuation."""
    text = " ".join(text.replace("*", " ").replace("_", " ").split())
    if len(text) > limit:  # shown to officers as the location of a quote: say that it is cut
        text = (text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]).rstrip(" .,;:–-") + " …"
    return text.rstrip(" .,;:–-")


def _title_ok(rest: str) -> bool:
    """A Phần/Chương/Mục/Phụ lục number must end the line or be followed by a title, not prose."""
    rest = rest.strip(" *_")
    if not rest or rest[0] in ".:–—-":
        return True
    return any(c.isalpha() for c in rest) and rest == rest.upper()


def find_tables(text: str) -> list[Table]:
    """Pipe-row tables ("| a | b |" or "a | b" lines) and cell-per-line tables (lone "|" lines)."""
    lines, tables, i = _lines(text), [], 0
    while i < len(lines):
        s = lines[i][1].strip()
        is_row = (s.startswith("|") and s.count("|") >= 2) or (" | " in s and not s.startswith("|"))
        if is_row:
            j = i
            while j + 1 < len(lines):
                n = lines[j + 1][1].strip()
                if not ((n.startswith("|") and n.count("|") >= 2) or (" | " in n)):
                    break
                j += 1
            if j > i:
                h = i + 1
                while h <= j and _SEP_ROW.match(lines[h][1].strip()):
                    h += 1
                end_of = lambda k: lines[k][0] + len(lines[k][1])  # noqa: E731
                header_end = end_of(h - 1)
                rows = tuple((lines[k][0], end_of(k)) for k in range(h, j + 1))
                tables.append(Table(lines[i][0], end_of(j), header_end, rows))
                i = j + 1
                continue
        if s == "|":
            j = _cell_table_end(lines, i)
            if j > i:
                tables.append(_cell_table(lines, i, j))
                i = j + 1
                continue
        i += 1
    return tables


def _cell_table_end(lines: list[tuple[int, str]], i: int) -> int:
    """Index of the last lone "|" line of a cell-per-line table starting at line i."""
    last, k = i, i + 1
    while k < len(lines) and k - last <= _TABLE_GAP:
        s = lines[k][1].strip()
        if s == "|":
            last = k
        elif _major_kind(_LEAD.sub("", s)):
            break
        k += 1
    return last


def _cell_table(lines: list[tuple[int, str]], i: int, j: int) -> Table:
    """Rows of a cell-per-line table start at the second of two consecutive lone "|" lines, or at
    a whole "| a | b |" line when such rows are mixed with lone pipes."""
    def row_start(k: int) -> bool:
        cur, prev = lines[k][1].strip(), lines[k - 1][1].strip()
        return (cur == "|" and prev == "|") or (cur.startswith("|") and cur.count("|") >= 2)
    starts = [k for k in range(i + 1, j + 1) if row_start(k)]
    bounds = [i] + starts + [j + 1]
    spans = []
    for a, b in zip(bounds, bounds[1:]):
        content = any(lines[k][1].strip() not in ("", "|") for k in range(a, b))
        end = lines[b - 1][0] + len(lines[b - 1][1])
        if spans and not content:  # an empty row (only pipes) sticks to the previous one
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((lines[a][0], end))
    return Table(spans[0][0], spans[-1][1], spans[0][1], tuple(spans[1:]))


def _major_kind(clean: str) -> str | None:
    """Kind of a Phần/Chương/Mục/Điều/Phụ lục heading line, else None."""
    if (m := _PHULUC.match(clean)) and (m.group(1).isupper() or _title_ok(m.group(3)) and m.group(2)):
        return "phuluc"
    for kind, rx in (("phan", _PHAN), ("chuong", _CHUONG), ("muc", _MUC)):
        if (m := rx.match(clean)) and _title_ok(m.group(2)):
            return kind
    return "dieu" if _DIEU.match(clean) else None


def _next_ok(value: int, last: object) -> bool:
    """Numbered items must run in sequence, which filters out wrapped lines that begin with "3."."""
    return value == 1 or (isinstance(last, int) and value == last + 1)


def _letter_ok(letter: str, last: object) -> bool:
    """Điểm letters run a, b, c, d, đ, e… (Vietnamese order) or a, b, c, d, e, f…."""
    if letter == "a":
        return True
    return isinstance(last, str) and any(
        last in seq and seq.index(last) + 1 < len(seq) and seq[seq.index(last) + 1] == letter
        for seq in (_LETTERS_VI, _LETTERS_EN))


def _news_title(lines: list[tuple[int, str]], i: int, first: int) -> str | None:
    """A short standalone line between blank lines, followed by a paragraph, is a news heading."""
    s = lines[i][1].strip().strip("*_ ")
    if i <= first or not 8 <= len(s) <= 100 or len(s.split()) < 2 or s[-1] in ".,;:!?…":
        return None
    if s[0].isdigit() or s[0] in "-+•([“\"|" or lines[i - 1][1].strip():
        return None
    if i + 1 >= len(lines) or lines[i + 1][1].strip():
        return None
    nxt = next((ln.strip() for _, ln in lines[i + 2:] if ln.strip()), "")
    return s if len(nxt) >= 60 else None


def _label(kind: str, m: re.Match[str], stack: list[tuple[str, int, str]]) -> str:
    """Path component for a heading: legal units by number, plan sections by their shortened text."""
    if kind == "phuluc":
        return f"Phụ lục {m.group(2)}" if m.group(2) else "Phụ lục"
    if kind == "phan":
        ident = m.group(1)
        return "Phần " + (ident.lower() if ident.upper().startswith("THỨ") else ident)
    if kind in ("chuong", "muc", "dieu"):
        return {"chuong": "Chương", "muc": "Mục", "dieu": "Điều"}[kind] + " " + m.group(1)
    parent = next((s for s in reversed(stack) if s[1] < RANKS[kind]), None)
    legal = parent is not None and (parent[0] == "dieu" or parent[2].startswith("Khoản "))
    if kind == "num":
        return f"Khoản {m.group(1)}" if legal else short_label(f"{m.group(1)}. {m.group(2)}")
    if kind == "letter":
        return f"Điểm {m.group(1)}" if legal else short_label(f"{m.group(1)}) {m.group(2)}")
    if kind == "sub":
        return short_label(f"{m.group(1)}.{m.group(2)}. {m.group(3)}")
    return short_label(f"{m.group(1)}. {m.group(2)}")  # roman


def _classify(clean: str, stack: list[tuple[str, int, str]], scoped: dict[str, object],
              plan_last: dict[str, int]) -> tuple[str, str, object] | None:
    """(kind, label, sequence value) when the cleaned line opens a unit, else None."""
    kind = _major_kind(clean)
    if kind:
        rx = {"phuluc": _PHULUC, "phan": _PHAN, "chuong": _CHUONG, "muc": _MUC, "dieu": _DIEU}[kind]
        m = rx.match(clean)
        assert m is not None  # _major_kind matched this pattern
        return kind, _label(kind, m, stack), None
    if (m := _ROMAN.match(clean)) and _next_ok(_roman(m.group(1)), scoped.get("roman")):
        return "roman", _label("roman", m, stack), _roman(m.group(1))
    if (m := _SUB.match(clean)) and _next_ok(int(m.group(2)), scoped.get("sub")):
        return "sub", _label("sub", m, stack), int(m.group(2))
    if m := _NUM.match(clean):
        value = int(m.group(1))
        in_dieu = any(s[0] == "dieu" for s in stack)
        # Plans may number sections straight through several "I./II." parts; Khoản restart per Điều.
        if _next_ok(value, scoped.get("num")) or (not in_dieu and _next_ok(value, plan_last.get("num"))):
            return "num", _label("num", m, stack), value
    if (m := _LETTER.match(clean)) and _letter_ok(m.group(1), scoped.get("letter")):
        return "letter", _label("letter", m, stack), m.group(1)
    return None


def find_headings(text: str, tables: list[Table] | None = None) -> list[Heading]:
    """Every heading line outside tables, in order, with the structural path it opens."""
    tables = find_tables(text) if tables is None else tables
    lines = _lines(text)
    news = not _STRUCTURED.search(text)
    first = next((i for i, (_, ln) in enumerate(lines) if ln.strip()), 0)
    stack: list[tuple[str, int, str]] = []
    scoped: dict[str, object] = {}
    plan_last: dict[str, int] = {}
    out: list[Heading] = []
    depth, t = 0, 0  # depth: open “ of a quoted amendment, whose headings belong to the amended text
    for i, (pos, line) in enumerate(lines):
        while t < len(tables) and tables[t].end <= pos:
            t += 1
        if t < len(tables) and tables[t].start <= pos:
            continue
        clean = _LEAD.sub("", line).rstrip(" *_")
        if not clean:
            continue
        if md := _MD.match(clean):
            clean = md.group(1).strip(" *_")
        quoted = clean[0] in "“\""
        if depth > 0 and (quoted or not (_major_kind(clean) or _ROMAN.match(clean))):
            depth = max(0, depth + line.count("“") - line.count("”"))
            continue
        depth = 0
        if quoted:
            body = clean.lstrip("“\"").lstrip(" *_")
            if _major_kind(body) or _NUM.match(body) or _LETTER.match(body):
                depth = max(0, line.count("“") - line.count("”"))
            continue
        found = _classify(clean, stack, scoped, plan_last)
        if found is None and _RULE.match(clean):
            nxt = next((ln.strip(" *_#") for _, ln in lines[i + 1:] if ln.strip(" *_#")), "")
            if not nxt or _major_kind(nxt):
                continue
            found = ("rule", short_label(nxt), None)
        if found is None and md:
            found = ("title", short_label(clean), None)
        if found is None and news and (title := _news_title(lines, i, first)):
            found = ("title", short_label(title), None)
        if found is None:
            continue
        kind, label, value = found
        rank = RANKS[kind]
        while stack and stack[-1][1] >= rank:
            stack.pop()
        stack.append((kind, rank, label))
        for k in [k for k in scoped if RANKS[k] >= rank]:
            del scoped[k]
        if value is not None:
            scoped[kind] = value
            if isinstance(value, int):
                plan_last[kind] = value
        out.append(Heading(pos, kind, rank, " > ".join(s[2] for s in stack)))
    return out
