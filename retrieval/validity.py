"""Validity of cited documents on the question's date, from the catalogue: notes, staleness, governing documents."""

from __future__ import annotations

from datetime import date
from typing import Sequence

from knowledge.catalogue import CatalogueEntry, find_entry
from knowledge.dates import vn_date
from knowledge.status import NOT_YET, status_on
from knowledge.text import folded_words

_STALE = ("replaced", "expired")
MAX_SUCCESSION = 5  # replacement chains followed at most this deep (the catalogue's are 2 long; guards a loop)
GOVERNING_MIN_PAIRS = 2  # word pairs a document's title/topics must share with the question to govern it
NAMED_BONUS = 3  # a document the question names by number outranks any word overlap
GOVERNING_MARGIN = 1  # a second governing document is named only when it scores within this of the best
GOVERNING_LIMIT = 2  # at most this many governing documents in a refusal
_GENERIC = frozenset("xa huyen tinh dat chuan ntm nong thon moi tieu chi nam giai doan xay dung chuong trinh cong "
                     "nhan nang cao kieu mau".split())


def applies_from(entries: Sequence[CatalogueEntry], number: str) -> str:
    """"{number} (áp dụng từ {date})", or the number alone when the catalogue has no date for it."""
    e = find_entry(entries, number)
    start = e and (e.effective or e.signed)
    return f"{number} (áp dụng từ {vn_date(start)})" if start else number


def staleness(entry: CatalogueEntry, as_of: date, entries: Sequence[CatalogueEntry], depth: int = 0) -> int:
    """0 valid on `as_of`; 1 replaced/expired (the latest word on its topic); 2 its successor is stale too."""
    status, _ = status_on(entry, as_of, entries)
    if status not in _STALE:
        return 0
    successors = [find_entry(entries, n) for n in entry.replaced_by + entry.followed_by]
    successors = [s for s in successors if s is not None]
    if not successors or depth > MAX_SUCCESSION:
        return 1
    return 1 + min(min(staleness(s, as_of, entries, depth + 1) for s in successors), 1)


def validity_note(entry: CatalogueEntry, as_of: date, entries: Sequence[CatalogueEntry]) -> str | None:
    """One Vietnamese sentence when the document is not simply in force on `as_of`, else None."""
    # The date asked about is not repeated: every date in an answer must come from the evidence or the
    # catalogue (the as-of date is returned beside the answer).
    status, instead = status_on(entry, as_of, entries)
    others = "; ".join(applies_from(entries, n) for n in instead)
    if status == "replaced":
        return f"{entry.number} đã được thay thế bởi {others}; vào thời điểm được hỏi cần áp dụng văn bản thay thế."
    if status == "expired":
        tail = f"; văn bản tiếp theo: {others}" if others else ""
        return f"{entry.number} đã hết hiệu lực hoặc hết thời kỳ áp dụng vào thời điểm được hỏi{tail}."
    if status == "amended":
        return f"{entry.number} đã được sửa đổi, bổ sung bởi {others}; cần đọc cùng văn bản sửa đổi."
    if status == NOT_YET:
        start = vn_date(entry.effective or entry.signed)
        return f"{entry.number} chưa có hiệu lực vào thời điểm được hỏi (áp dụng từ {start})."
    return None


def governing_entries(terms: Sequence[str], as_of: date, entries: Sequence[CatalogueEntry],
                      named: Sequence[str] = (), limit: int = GOVERNING_LIMIT) -> list[CatalogueEntry]:
    """Central documents whose title, topics or criteria share the most word pairs with the question."""
    # Pairs made only of programme-wide words ("xã đạt chuẩn NTM") say nothing about which document governs.
    pairs = {f"{a} {b}" for a, b in zip(terms, terms[1:]) if not (a in _GENERIC and b in _GENERIC)}
    scored = []
    for e in entries:
        if e.level != "central":
            continue
        about = " ".join(folded_words(" ".join((e.title, *e.topics, *e.criteria))))
        score = sum(1 for p in pairs if p in about) + (NAMED_BONUS if e.number in named else 0)
        if score >= GOVERNING_MIN_PAIRS:
            scored.append((score, -staleness(e, as_of, entries), e.signed or "", e))
    scored.sort(key=lambda x: x[:3], reverse=True)
    best = scored[0][0] if scored else 0
    return [e for score, *_, e in scored[:limit] if score >= best - GOVERNING_MARGIN]


def governing_sentence(entry: CatalogueEntry, as_of: date, entries: Sequence[CatalogueEntry]) -> str:
    """"{type} {number} ({title})", plus what applies instead when it is no longer in force."""
    text = f"{entry.type} {entry.number} ({entry.title})"
    status, instead = status_on(entry, as_of, entries)
    if status in _STALE and instead:
        text += "; văn bản áp dụng thay thế: " + "; ".join(applies_from(entries, n) for n in instead)
    return text
