"""Text shared by the chat channels: help, document cards, criteria, and splitting long messages."""

from __future__ import annotations

import re
from datetime import date
from typing import Callable, Sequence

from knowledge.catalogue import CatalogueEntry
from knowledge.dates import vn_date
from knowledge.status import STATUS_LABELS, status_on
from retrieval.sources import source_name  # re-exported: the channels format sources with it

START_TEXT = (
    "Xin chào! Tôi là trợ lý tra cứu văn bản về Chương trình mục tiêu quốc gia xây dựng nông thôn mới.\n\n"
    "Hãy gửi câu hỏi bằng tiếng Việt, ví dụ: \"Xã nông thôn mới cần đạt bao nhiêu tiêu chí?\". "
    "Tôi chỉ trả lời theo các văn bản đã được nạp vào hệ thống, trích nguyên văn và ghi rõ căn cứ "
    "(số hiệu văn bản, điều, khoản, trang). Khi văn bản không nêu, tôi sẽ nói rõ là chưa có.")
HELP_TEXT = (
    "Cách dùng:\n"
    "• Gõ câu hỏi bằng tiếng Việt (có dấu hoặc không dấu).\n"
    "• /vanban <số hiệu>: thẻ văn bản (trích yếu, cơ quan ban hành, ngày, tình trạng hiệu lực), "
    "ví dụ /vanban 318/QĐ-TTg hoặc /vanban cv 267.\n"
    "• /tieuchi <số> [giai đoạn, vùng hoặc nhóm xã]: tên tiêu chí trong từng bộ và nội dung văn bản nêu về tiêu chí "
    "đó, ví dụ /tieuchi 17 hoặc /tieuchi 8 2026-2030 nhóm 2.\n"
    "• /donvi <tên>: xã, huyện, tỉnh trước và sau sắp xếp năm 2025, ví dụ /donvi xã Long Trị A, Hậu Giang.\n"
    "• Bấm 👍 / 👎 dưới câu trả lời để đánh giá; ý kiến được ghi lại để cải thiện trợ lý.")
VANBAN_USAGE = "Vui lòng ghi số hiệu văn bản sau lệnh, ví dụ: /vanban 318/QĐ-TTg hoặc /vanban cv 267."
VANBAN_UNKNOWN = ("Không tìm thấy văn bản “{query}” trong danh mục văn bản của hệ thống. "
                  "Hãy kiểm tra lại số hiệu (ví dụ 318/QĐ-TTg, 51/2025/QĐ-TTg, 267/BNN-VPĐP).")
TIEUCHI_USAGE = "Vui lòng ghi số thứ tự tiêu chí sau lệnh, ví dụ: /tieuchi 17 hoặc /tieuchi 8 2026-2030 nhóm 2."
DONVI_USAGE = "Vui lòng ghi tên xã, huyện hoặc tỉnh sau lệnh, ví dụ: /donvi xã Long Trị A, Hậu Giang."
TIEUCHI_UNKNOWN = "Không có tiêu chí số {n} trong các bộ tiêu chí quốc gia của hệ thống (từ 1 đến {top})."
UNKNOWN_COMMAND = "Lệnh này chưa được hỗ trợ. Gõ /help để xem các lệnh, hoặc gửi câu hỏi bằng chữ."

SOURCE_HEADINGS = ("Căn cứ:", "Tài liệu gần nhất:")  # the sources list of an answer, of a refusal
_SOURCES = re.compile(r"\n\n(?=(?:" + "|".join(map(re.escape, SOURCE_HEADINGS)) + r")\n)")


def answer_sections(text: str) -> tuple[str, str]:
    """(body, sources) of an answer text: the sources list (`Căn cứ:` or, in a refusal, `Tài liệu gần nhất:`)
    is the part from its heading on."""
    parts = _SOURCES.split(text, maxsplit=1)
    return (parts[0], parts[1]) if len(parts) == 2 else (text, "")


def _cut(text: str, limit: int, measure: Callable[[str], int]) -> int:
    """The longest prefix length that fits, preferring a line, sentence or word boundary."""
    lo, hi = 1, len(text)
    while lo < hi:  # binary search on the measured size (escaping makes it differ from len)
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if measure(text[:mid]) <= limit else (lo, mid - 1)
    for sep in ("\n", ". ", "; ", ", ", " "):
        at = text.rfind(sep, 0, lo)
        if at > lo // 2:
            return at + len(sep)
    return lo


def split_message(text: str, limit: int, measure: Callable[[str], int] = len) -> list[str]:
    """Split a message into parts of at most `limit` (as measured), on paragraph boundaries where possible."""
    parts: list[str] = []
    current = ""
    for para in text.split("\n\n"):
        candidate = f"{current}\n\n{para}" if current else para
        if measure(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        while measure(para) > limit:
            at = _cut(para, limit, measure)
            parts.append(para[:at].rstrip())
            para = para[at:].lstrip()
        current = para
    if current.strip():
        parts.append(current)
    return parts or [""]


def card_lines(entry: CatalogueEntry, entries: Sequence[CatalogueEntry], today: date) -> list[tuple[str, str]]:
    """A document card as (label, value) rows: number, title, issuer, dates, status today, relations."""
    status, instead = status_on(entry, today, entries)
    rows = [("Số hiệu", entry.number), ("Loại văn bản", entry.type), ("Trích yếu", entry.title),
            ("Cơ quan ban hành", entry.issuer)]
    rows += [("Người ký", entry.signer)] if entry.signer else []
    rows += [("Ngày ký", vn_date(entry.signed)), ("Ngày có hiệu lực", vn_date(entry.effective))]
    rows += [("Thời kỳ áp dụng", entry.period)] if entry.period else []
    rows += [("Hết hiệu lực", vn_date(entry.expires))] if entry.expires else []
    state = STATUS_LABELS[status] + (f" ({', '.join(instead)})" if instead else "")
    rows.append((f"Tình trạng ngày {today:%d/%m/%Y}", state))
    for label, field in (("Được thay thế bởi", "replaced_by"), ("Được sửa đổi bởi", "amended_by"),
                         ("Thay thế", "replaces"), ("Sửa đổi", "amends")):
        if getattr(entry, field):
            rows.append((label, "; ".join(getattr(entry, field))))
    rows.append(("Trong kho văn bản", entry.completeness_note))
    return rows


def criteria_sets(entries: Sequence[CatalogueEntry]) -> list[CatalogueEntry]:
    """The national criteria decisions in the catalogue, oldest first."""
    return sorted((e for e in entries if e.criteria and e.level == "central"), key=lambda e: e.signed or "")


def criterion_lines(entries: Sequence[CatalogueEntry], n: int, today: date) -> tuple[list[str], str | None]:
    """Criterion n in each national set, and the question to ask about it (None when no set has an n)."""
    sets = criteria_sets(entries)
    lines, current = [], None
    for e in sets:
        if 1 <= n <= len(e.criteria):
            period = f" giai đoạn {e.period}" if e.period else ""
            status, _ = status_on(e, today, entries)
            lines.append(f"Tiêu chí số {n}{period} ({e.number}, {STATUS_LABELS[status]}): {e.criteria[n - 1]}")
            if status in ("in_force", "amended") or current is None:
                current = e
    if current is None:
        top = max((len(e.criteria) for e in sets), default=0)
        return [TIEUCHI_UNKNOWN.format(n=n, top=top)], None
    name = current.criteria[n - 1]
    return lines, f"Tiêu chí {name} theo {current.number} yêu cầu những gì?"
