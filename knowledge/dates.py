"""Vietnamese date patterns ("18/11/2025", "10-3-2023", "ngày 18 tháng 11 năm 2025") and their ISO form."""

from __future__ import annotations

import datetime as _dt
import re

DATE = (r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*((?:19|20)\d\d)"  # 18/11/2025, 10-3-2023
        r"|(\d{1,2})[\s*_]+tháng[\s*_]+(\d{1,2})[\s*_]+năm[\s*_]+((?:19|20)\d\d)")  # ngày 18 tháng 11 năm 2025
ANY_DATE = re.compile(DATE)
A_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")  # a year written alone: "2023", not part of "120235"


def iso(groups: tuple[str | None, ...]) -> str | None:
    """ISO date from match groups ending with day, month, year (unused alternatives None)."""
    d, mo, y = [g for g in groups if g is not None][-3:]
    try:
        return _dt.date(int(y), int(mo), int(d)).isoformat()
    except ValueError:
        return None


def parse_date(s: str) -> str | None:
    """ISO date of the first "18/11/2025", "10-3-2023" or "ngày 18 tháng 11 năm 2025" in s."""
    m = ANY_DATE.search(s or "")
    return iso(m.groups()) if m else None


def earliest_day(text: str) -> _dt.date:
    """The first day an ISO date, month or year covers: "2024" → 1/1/2024, "2024-03" → 1/3/2024."""
    parts = [int(p) for p in text.split("-")] + [1, 1]
    return _dt.date(parts[0], parts[1], parts[2])


def vn_date(text: str | None) -> str:
    """An ISO date (or "YYYY", "YYYY-MM") written the Vietnamese way: "15/02/2026", "tháng 3/2024", "năm 2023"."""
    if not text:
        return "chưa rõ"
    parts = text.split("-")
    return {1: "năm {0}", 2: "tháng {1}/{0}", 3: "{2}/{1}/{0}"}[len(parts)].format(*parts)
