"""A catalogue entry as a Vietnamese document card: the text indexed for it, and the support the answerers may
state catalogue facts from."""

from __future__ import annotations

from typing import Sequence

from knowledge.catalogue import RELATIONS, CatalogueEntry
from knowledge.dates import vn_date
from knowledge.status import STATUS_LABELS

CARD_ID_PREFIX = "catalogue-"  # a card's document id is this plus its entry id


def card_id(entry: CatalogueEntry) -> str:
    """The indexed document id of an entry's card."""
    return CARD_ID_PREFIX + entry.id


_SENTENCES = {"amends": "Văn bản này sửa đổi, bổ sung: {}.", "amended_by": "Đã được sửa đổi, bổ sung bởi: {}.",
              "replaces": "Văn bản này thay thế: {}.", "replaced_by": "Đã bị thay thế bởi: {}.",
              "follows": "Tiếp nối văn bản trước cùng chủ đề: {}.", "followed_by": "Văn bản ra sau cùng chủ đề: {}.",
              "related": "Văn bản liên quan: {}."}


def entry_text(entry: CatalogueEntry, entries: Sequence[CatalogueEntry] = ()) -> str:
    """Render one entry as a Vietnamese document card for chunking and embedding."""
    by_number = {e.number: e for e in entries}

    def refs(numbers: tuple[str, ...], detail: bool) -> str:
        found = [(n, by_number.get(n)) for n in numbers]
        return "; ".join(f"{n} ({o.title}; áp dụng từ {vn_date(o.effective or o.signed)})" if o and detail else n
                         for n, o in found)

    aliases = f" (còn được viết: {', '.join(entry.aliases)})" if entry.aliases else ""
    lines = [f"Thẻ văn bản: {entry.type} {entry.number} — {entry.title}", f"Số hiệu: {entry.number}{aliases}"]
    lines.append(f"Loại văn bản: {entry.type}. Cơ quan ban hành: {entry.issuer}"
                 + (f". Người ký: {entry.signer}" if entry.signer else "") + ".")
    lines.append(f"Ngày ký/thông qua: {vn_date(entry.signed)}. Ngày có hiệu lực: {vn_date(entry.effective)}."
                 + (f" Thời kỳ áp dụng: {entry.period}." if entry.period else "")
                 + (f" Hết hiệu lực/hết thời kỳ: {vn_date(entry.expires)}." if entry.expires else ""))
    lines.append(f"Tình trạng tính đến {vn_date(entry.status_as_of)}: {STATUS_LABELS[entry.status]}.")
    lines += [_SENTENCES[f].format(refs(getattr(entry, f), f != "related")) for f in RELATIONS if getattr(entry, f)]
    lines += [f"Phạm vi áp dụng: {entry.scope}", f"Tóm tắt: {entry.summary}"]
    if entry.criteria:
        items = "; ".join(f"tiêu chí số {i}: {name}" for i, name in enumerate(entry.criteria, start=1))
        lines.append(f"Danh sách {len(entry.criteria)} tiêu chí: {items}.")
    if entry.topics:
        lines.append(f"Chủ đề: {', '.join(entry.topics)}.")
    if entry.note:
        lines.append(f"Lưu ý: {entry.note}")
    where = f"tệp {entry.corpus_file}" if entry.corpus_file else "không có tệp trong kho"
    lines.append(f"Trong kho văn bản: {where}; mức độ: {entry.completeness_note}")
    return "\n".join(lines)
