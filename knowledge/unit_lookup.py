"""Finding an administrative unit by what an officer types: with or without diacritics and level word, with the
old district or province after it, one typo allowed; several matches are listed, never guessed between."""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.admin_units import AdminUnits, Unit, lower_level, name_key, split_level
from knowledge.text import fold, has_diacritics, nfc, one_edit

# Level words as typed (folded) → the levels of the data they allow.
LEVELS = {
    "xa": ("Xã",), "phuong": ("Phường",), "thi tran": ("Thị trấn",), "tt": ("Thị trấn",), "dac khu": ("Đặc khu",),
    "huyen": ("Huyện",), "quan": ("Quận",), "thi xa": ("Thị xã",), "tx": ("Thị xã",),
    "thanh pho": ("Thành phố",), "tp": ("Thành phố",), "tinh": ("Tỉnh",),
    "h.": ("Huyện",), "x.": ("Xã",), "p.": ("Phường",), "tp.": ("Thành phố",), "tx.": ("Thị xã",), "tt.": ("Thị trấn",),
}
_LEVEL = re.compile(r"^(?:" + "|".join(re.escape(k) if k.endswith(".") else k + r"\b"
                                        for k in sorted(LEVELS, key=len, reverse=True)) + r")\.?\s*")
MIN_NAME_CHARS = 2  # a one-letter name matches nothing useful
TYPO_MIN_CHARS = 5  # below this one edit turns most names into other real names ("an" → "am", "ba")
MAX_LISTED = 10  # candidates named when a name is shared; the rest are counted
MAX_NAME_WORDS = 5  # the longest unit name in the data has five words
NAME_SUFFIX = re.compile(r"[A-Z]|\d")  # "Long Trị A", "Phường 2": a letter or digit that ends a name


@dataclass(frozen=True)
class Lookup:
    """What a typed name resolves to: `status` found, ambiguous, unknown or invalid; `reason` says why in Vietnamese."""

    query: str
    status: str
    units: tuple[Unit, ...] = ()
    reason: str = ""
    read_as: str = ""  # the name the typed one was corrected to, when it was


def context_score(unit: Unit, context: str, units: AdminUnits) -> int:
    """How many of the units above it the rest of the message names (old district, old or new province)."""
    if not context:
        return 0
    padded = f" {context} "
    above = [unit.district, unit.province]
    if unit.era == "old":  # "xã Long Trị A, Cần Thơ": the old commune with its new province
        above += units.province_now.get(unit.province, ())
    score = 0
    for name in dict.fromkeys(filter(None, above)):  # a province that kept its name counts once
        full, short = " ".join(fold(name).split()), " ".join(fold(split_level(name)[1]).split())
        score += 2 if f" {full} " in padded else 1 if f" {short} " in padded else 0
    return score


def _stories(units: AdminUnits, found: list[Unit]) -> list[list[Unit]]:
    """Matches grouped so that an old unit and the new unit it became (same name) count as one place."""
    groups: list[list[Unit]] = []
    for unit in found:
        for group in groups:
            if any(link.unit in group for link in units.to_new.get(unit, ())) or \
                    any(link.unit == unit for g in group for link in units.to_new.get(g, ())):
                group.append(unit)
                break
        else:
            groups.append([unit])
    return groups


def _split(text: str) -> tuple[tuple[str, ...] | None, str, str]:
    """(levels asked, the name, the context after it) from "xã Long Trị A, thị xã Long Mỹ, Hậu Giang"."""
    head, _, rest = text.partition(",") if "," in text else text.partition("(")
    head = " ".join(head.split())
    m = _LEVEL.match(fold(head))  # dots kept: "p. Long Mỹ" is a phường; fold keeps every offset
    levels = (LEVELS.get(m.group(0).strip()) or LEVELS[m.group(0).strip(" .")]) if m else None
    name = head[m.end():].strip() if m else head
    return levels, name, " ".join(re.findall(r"\w+", fold(rest)))


def lookup(units: AdminUnits, typed: object) -> Lookup:
    """Resolve one typed unit name against both eras; never raises on user input."""
    text = nfc(str(typed or "")).strip()
    levels, name, context = _split(text)
    key = name_key(name)
    if len(key) < MIN_NAME_CHARS and not (levels and key.isdigit()):  # "phường 2" is a real name
        return Lookup(text, "invalid", reason="Vui lòng ghi tên đơn vị hành chính (ít nhất 2 chữ cái), ví dụ: "
                                              "“xã Long Trị A, Hậu Giang” hoặc “huyện Nông Cống”.")
    words = name.split()
    found, read_as = [], ""
    for n in range(len(words), 0, -1):  # "long tri a long my": the longest leading words that name a unit
        named = units.by_name.get(name_key(" ".join(words[:n])))
        if named and n < len(words) and NAME_SUFFIX.fullmatch(words[n]):
            return Lookup(text, "unknown", reason=f"Không có đơn vị nào tên “{' '.join(words[:n + 1])}” trong dữ "
                          f"liệu {units.source}. Tên gần nhất: {' '.join(words[:n])}; vui lòng kiểm tra lại.")
        if named:
            found = list(named)
            context = " ".join(re.findall(r"\w+", fold(" ".join(words[n:])))) + (" " + context if context else "")
            name = " ".join(words[:n])
            break
    if not found and len(key) >= TYPO_MIN_CHARS:
        near = sorted(k for k in units.by_name if one_edit(k, key))
        found = [u for k in near for u in units.by_name[k]]
        read_as = found[0].short if found and len({u.short for u in found}) == 1 else ""
    if not found:
        return Lookup(text, "unknown", reason=f"Không tìm thấy đơn vị hành chính nào tên “{name}” trong dữ liệu "
                      f"{units.source}, kể cả tên trước sắp xếp năm 2025. Vui lòng kiểm tra chính tả hoặc ghi kèm tỉnh.")
    return narrow(units, text, name, levels, context.strip(), found, read_as)


def narrow(units: AdminUnits, text: str, name: str, levels: tuple[str, ...] | None, context: str,
            found: list[Unit], read_as: str) -> Lookup:
    """The units a name matched, narrowed by the level asked, the spelling and the context; one place or a list."""
    note = ""
    if levels:
        at_level = [u for u in found if u.level in levels and (levels != ("Thành phố",) or u.tier != "commune")]
        if not at_level:
            kinds = sorted({u.level.lower() for u in found})
            note = f"“{name}” không phải tên {levels[0].lower()}; dữ liệu có tên này ở cấp {', '.join(kinds)}. "
        found = at_level or found
    provinces = [u for u in found if u.tier == "province" and name_key(u.short) == name_key(name)]
    if not levels and provinces:  # "Hà Giang" alone means the province, not the city or a commune of that name
        found = provinces
    if has_diacritics(name):  # typed with diacritics: those spelled the same way first
        exact = [u for u in found if u.short.lower() == name.lower()]
        found = exact or found
    scores = {u: context_score(u, context, units) for u in found}
    best = max(scores.values())
    found = [u for u in found if scores[u] == best]
    stories = _stories(units, found)
    if len(stories) == 1:
        return Lookup(text, "found", tuple(stories[0]), note, read_as)
    shown = f"{levels[0].lower()} {name}" if levels and name.isdigit() else name  # "phường 1", not "1"
    listed = "; ".join(u.where() + (" (trước 01/7/2025)" if u.era == "old" else "") for g in stories[:MAX_LISTED]
                       for u in g[:1])
    more = f"; và {len(stories) - MAX_LISTED} đơn vị khác" if len(stories) > MAX_LISTED else ""
    return Lookup(text, "ambiguous", tuple(g[0] for g in stories), note +
                  f"Có {len(stories)} đơn vị tên “{read_as or shown}”: {listed}{more}. Vui lòng ghi thêm huyện cũ "
                  f"hoặc tỉnh, ví dụ: “{found[0].level.lower()} {found[0].short}, {lower_level(found[0].province)}”.", read_as)
