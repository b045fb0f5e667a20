"""User filters (document, type, issuer, period, status, year) checked against what is indexed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Sequence

from knowledge.catalogue import STATUSES, CatalogueEntry, find_entry, number_key
from knowledge.text import fold
from retrieval.store import DocRecord, SearchFilter


class BadFilter(ValueError):
    """A filter value that matches nothing indexed; the message (Vietnamese) lists what is accepted."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name, self.message = name, message


@dataclass(frozen=True)
class FilterChoices:
    """What the indexed documents offer a filter (read from the registry once, refreshed when it changes)."""

    doc_ids: frozenset[str] = frozenset()
    numbers: frozenset[str] = frozenset()
    doc_types: tuple[str, ...] = ()
    issuers: tuple[str, ...] = ()

    @classmethod
    def of(cls, records: Mapping[str, DocRecord]) -> "FilterChoices":
        """The choices the registry rows offer."""
        metas = [r.meta for r in records.values()]
        return cls(frozenset(records), frozenset(m["number"] for m in metas if m.get("number")),
                   tuple(sorted({m["doc_type"] for m in metas if m.get("doc_type")})),
                   tuple(sorted({m["issuer"] for m in metas if m.get("issuer")})))


@dataclass(frozen=True)
class Filters:
    """What a user may narrow a question to; every field optional."""

    document: str | None = None
    doc_type: str | None = None
    issuer: str | None = None
    period: str | None = None
    status: str | None = None
    year: int | None = None


def _pick(name: str, value: str, choices: Sequence[str]) -> str:
    by_fold = {fold(c).strip(): c for c in choices}
    hit = by_fold.get(fold(value).strip())
    if hit is None:
        listed = ", ".join(sorted(choices)) or "(chưa có)"
        raise BadFilter(name, f"Bộ lọc {name}={value!r} không khớp văn bản nào đã nạp. Giá trị hợp lệ: {listed}.")
    return hit


def _document(value: str, choices: FilterChoices, catalogue: Sequence[CatalogueEntry]) -> dict:
    if value in choices.doc_ids:
        return {"doc_id": value}
    entry = find_entry(catalogue, value)
    wanted = number_key(entry.number if entry else value)
    matches = sorted(n for n in choices.numbers if number_key(n) == wanted)
    if not matches:
        raise BadFilter("document", f"Không tìm thấy văn bản {value!r} trong dữ liệu đã nạp "
                                    "(ghi số hiệu, ví dụ 318/QĐ-TTg, hoặc mã văn bản trong /api/documents).")
    return {"number": matches}


def to_search_filter(filters: Filters | None, known: FilterChoices | Mapping[str, DocRecord],
                     catalogue: Sequence[CatalogueEntry] = ()) -> SearchFilter | None:
    """The store filter for user filters, checked against what is indexed (the choices the Searcher caches, or
    the registry rows themselves); raises BadFilter (Vietnamese message) for a value nothing matches."""
    if filters is None:
        return None
    choices = known if isinstance(known, FilterChoices) else FilterChoices.of(known)
    must: dict[str, object] = {}
    if filters.document:
        must.update(_document(filters.document.strip(), choices, catalogue))
    if filters.doc_type:
        must["doc_type"] = _pick("doc_type", filters.doc_type, choices.doc_types)
    if filters.issuer:
        must["issuer"] = _pick("issuer", filters.issuer, choices.issuers)
    if filters.status:
        must["status"] = _pick("status", filters.status, [*STATUSES, "unknown"])
    if filters.year is not None:
        if not 1945 <= filters.year <= 2100:
            raise BadFilter("year", f"Năm {filters.year} không hợp lệ (1945–2100).")
        must["year"] = filters.year
    if filters.period:
        m = re.fullmatch(r"\s*((?:19|20)\d\d)\s*[-–]\s*((?:19|20)\d\d)\s*", filters.period)
        if not m or int(m.group(1)) > int(m.group(2)):
            raise BadFilter("period", f"Giai đoạn {filters.period!r} không hợp lệ; ghi dạng 2021-2025.")
        years = list(range(int(m.group(1)), int(m.group(2)) + 1))
        if "year" in must and must["year"] not in years:
            raise BadFilter("period", "Năm và giai đoạn đã chọn không giao nhau.")
        must.setdefault("year", years)
    return SearchFilter(must) if must else None
