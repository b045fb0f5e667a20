"""A catalogued document's status on any date, from its dates and relations (see knowledge/README.md)."""

from __future__ import annotations

from datetime import date
from typing import Sequence

from knowledge.catalogue import CatalogueEntry
from knowledge.dates import earliest_day
from knowledge.doctypes import GUIDANCE_TYPES, LOCAL_PLAN_TYPES

NOT_YET = "not_yet_in_force"  # only returned by status_on, never stored
STATUS_LABELS = {  # Vietnamese wording used in document cards
    "in_force": "còn hiệu lực", "amended": "còn hiệu lực, đã được sửa đổi, bổ sung",
    "replaced": "đã bị thay thế, không còn áp dụng", "expired": "hết hiệu lực hoặc hết thời kỳ áp dụng",
    "guidance": "văn bản hướng dẫn, chỉ đạo điều hành (không phải văn bản quy phạm)",
    "local_plan": "văn bản điều hành của địa phương, chỉ dùng trong tỉnh đó",
    NOT_YET: "đã ban hành nhưng chưa có hiệu lực"}


def _start(e: CatalogueEntry | None) -> date | None:
    text = e and (e.effective or e.signed)
    return earliest_day(text) if text else None


def _end(e: CatalogueEntry) -> date | None:
    period_end = date(int(e.period[-4:]), 12, 31) if e.period else None
    return date.fromisoformat(e.expires) if e.expires else period_end


def _kind(e: CatalogueEntry) -> str:
    if e.type in LOCAL_PLAN_TYPES and e.level == "local":
        return "local_plan"
    return "guidance" if e.type in GUIDANCE_TYPES else "in_force"


def status_on(entry: CatalogueEntry, as_of: date, entries: Sequence[CatalogueEntry]) -> tuple[str, list[str]]:
    """Status on `as_of` and the numbers to read instead (replaced/expired/guidance) or with it (amended)."""
    by_number = {e.number: e for e in entries}
    fallback = date.fromisoformat(entry.status_as_of)

    def in_effect(numbers: tuple[str, ...]) -> list[str]:
        starts = [(n, _start(by_number.get(n))) for n in numbers]
        return [n for n, s in starts if (s <= as_of if s else as_of >= fallback)]

    start = _start(entry)
    if start and as_of < start:
        return NOT_YET, list(entry.replaces + entry.amends)
    replaced = in_effect(entry.replaced_by)
    if replaced:
        return "replaced", replaced
    end = None if entry.replaced_by else _end(entry)
    if end and as_of > end:
        return "expired", in_effect(entry.followed_by)
    kind = _kind(entry)
    if kind != "in_force":
        return kind, in_effect(entry.followed_by)
    amended = in_effect(entry.amended_by)
    return ("amended", amended) if amended else ("in_force", [])
