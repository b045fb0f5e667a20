"""Finding an administrative unit by what an officer types: with or without diacritics and level word, with the
old district or province after it, one typo allowed; several matches are listed, never guessed between."""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.admin_units import AdminUnits, Unit, name_key, split_level
from knowledge.text import UPPER, fold, nfc

# Level words as typed (folded) → the levels of the data they allow.
LEVELS = {
    "xa": ("Xã",), "phuong": ("Phường",), "thi tran": ("Thị trấn",), "tt": ("Thị trấn",), "dac khu": ("Đặc khu",),
    "huyen": ("Huyện",), "quan": ("Quận",), "thi xa": ("Thị xã",), "tx": ("Thị xã",),
    "thanh pho": ("Thành phố",), "tp": ("Thành phố",), "tinh": ("Tỉnh",),
}
_LEVEL = re.compile(r"^(?:" + "|".join(sorted(LEVELS, key=len, reverse=True)) + r")\b\.?\s*")
MIN_NAME_CHARS = 2  # a one-letter name matches nothing useful
TYPO_MIN_CHARS = 5  # below this one edit turns most names into other real names ("an" → "am", "ba")
MAX_LISTED = 10  # candidates named when a name is shared; the rest are counted
MAX_NAME_WORDS = 5  # the longest unit name in the data has five words


@dataclass(frozen=True)
class Lookup:
    """What a typed name resolves to: `status` found, ambiguous, unknown or invalid; `reason` says why in Vietnamese."""

    query: str
    status: str
    units: tuple[Unit, ...] = ()
    reason: str = ""
    read_as: str = ""  # the name the typed one was corrected to, when it was


def _one_edit(a: str, b: str) -> bool:
    """True when a and b differ by exactly one inserted, deleted or replaced letter."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) == 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = next((k for k in range(len(short)) if short[k] != long_[k]), len(short))
    return short[i:] == long_[i + 1:]


def _context_score(unit: Unit, context: str, units: AdminUnits) -> int:
    """How many of the units above it the rest of the message names (old district, old or new province)."""
    if not context:
        return 0
    padded = f" {context} "
    above = [unit.district, unit.province]
    if unit.era == "old":  # "xã Long Trị A, Cần Thơ": the old commune with its new province
        above += units.province_now.get(unit.province, ())
    score = 0
    for name in filter(None, above):
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
    folded = " ".join(re.findall(r"\w+", fold(head)))
    m = _LEVEL.match(folded)
    levels = LEVELS[m.group(0).strip(" .")] if m else None
    name = head.strip()
    if m:  # drop as many words of the original as the level took
        name = " ".join(head.split()[len(m.group(0).split()):])
    return levels, name, " ".join(re.findall(r"\w+", fold(rest)))


def lookup(units: AdminUnits, typed: object) -> Lookup:
    """Resolve one typed unit name against both eras; never raises on user input."""
    text = nfc(str(typed or "")).strip()
    levels, name, context = _split(text)
    key = name_key(name)
    if len(key) < MIN_NAME_CHARS:
        return Lookup(text, "invalid", reason="Vui lòng ghi tên đơn vị hành chính (ít nhất 2 chữ cái), ví dụ: "
                                              "“xã Long Trị A, Hậu Giang” hoặc “huyện Nông Cống”.")
    words = name.split()
    found, read_as = [], ""
    for n in range(len(words), 0, -1):  # "long tri a long my": the longest leading words that name a unit
        if units.by_name.get(name_key(" ".join(words[:n]))):
            found = list(units.by_name[name_key(" ".join(words[:n]))])
            context = " ".join(re.findall(r"\w+", fold(" ".join(words[n:])))) + (" " + context if context else "")
            name = " ".join(words[:n])
            break
    if not found and len(key) >= TYPO_MIN_CHARS:
        near = sorted(k for k in units.by_name if _one_edit(k, key))
        found = [u for k in near for u in units.by_name[k]]
        read_as = found[0].short if found and len({u.short for u in found}) == 1 else ""
    if not found:
        return Lookup(text, "unknown", reason=f"Không tìm thấy đơn vị hành chính nào tên “{name}” trong dữ liệu "
                      f"{units.source}, kể cả tên trước sắp xếp năm 2025. Vui lòng kiểm tra chính tả hoặc ghi kèm tỉnh.")
    return _narrow(units, text, name, levels, context.strip(), found, read_as)


def _narrow(units: AdminUnits, text: str, name: str, levels: tuple[str, ...] | None, context: str,
            found: list[Unit], read_as: str) -> Lookup:
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
    if any(ch != fold(ch) for ch in name.lower()):  # typed with diacritics: those spelled the same way first
        exact = [u for u in found if u.short.lower() == name.lower()]
        found = exact or found
    scores = {u: _context_score(u, context, units) for u in found}
    best = max(scores.values())
    found = [u for u in found if scores[u] == best]
    stories = _stories(units, found)
    if len(stories) == 1:
        return Lookup(text, "found", tuple(stories[0]), note, read_as)
    listed = "; ".join(u.where() + (" (trước 01/7/2025)" if u.era == "old" else "") for g in stories[:MAX_LISTED]
                       for u in g[:1])
    more = f"; và {len(stories) - MAX_LISTED} đơn vị khác" if len(stories) > MAX_LISTED else ""
    return Lookup(text, "ambiguous", tuple(g[0] for g in stories), note +
                  f"Có {len(stories)} đơn vị tên “{read_as or name}”: {listed}{more}. Vui lòng ghi thêm huyện cũ "
                  f"hoặc tỉnh, ví dụ: “{found[0].level.lower()} {found[0].short}, {found[0].province}”.", read_as)


_MENTION = re.compile(r"\b(?:" + "|".join(sorted((k for k in LEVELS if k not in ("tt", "tx")), key=len, reverse=True))
                      + r")\s+")
_CLAUSE_END = re.compile(r"[.;?!\n]")
CONTEXT_WORDS = 8  # words after a name read as its district or province ("xã Tân Phú, thị xã Long Mỹ, Hậu Giang")
# Words after a level word that are not a name, whatever the data holds ("xã nhóm 1", "xã NTM", "tỉnh nào").
_NOT_NAMES = frozenset("ntm nhom nao do nay moi cu sau da dat duoc co la thi khong chua va hoac cua tren trong "
                       "ve tai khac nhung cac mot hai ba bon".split())


def mentions(units: AdminUnits, text: str) -> list[Lookup]:
    """The units a message names after a level word ("xã Long Trị A", "huyen nong cong", "tỉnh Hậu Giang") and
    provinces named by their full name ("Hậu Giang"); unknown names are left out, shared ones kept as ambiguous."""
    text = nfc(text)
    folded = fold(text)
    found: list[Lookup] = []
    taken: list[tuple[int, int]] = []
    for m in _MENTION.finditer(folded):
        lookup_ = _mention_at(units, text, folded, m.start(), m.end())
        if lookup_ and not any(s <= m.start() < e for s, e in taken):
            found.append(lookup_[0])
            taken.append((m.start(), lookup_[1]))
    for m in _CAPITALISED.finditer(text):  # "Tân Phú sáp nhập vào đâu": a name without its level word
        hits = [u for u in units.by_name.get(name_key(m.group(0)), ()) if u.short.lower() == m.group(0).lower()]
        if hits and u_tier_ok(hits) and not any(s <= m.start() < e for s, e in taken):
            context = " ".join(re.findall(r"\w+", _CLAUSE_END.split(folded[m.end():], 1)[0])[:CONTEXT_WORDS])
            lookup_ = _narrow(units, m.group(0), m.group(0), None, context, hits, "")
            found.append(lookup_)
            taken.append((m.start(), m.end()))
    for unit in _province_names(units, text, folded):
        if not any(unit in f.units for f in found):
            found.append(Lookup(unit.short, "found", (unit,)))
    return [f for f in found if not _context_of(f, found)]


_CAPITALISED = re.compile(rf"(?<![\w])[{UPPER}][^\W\d_]*(?:\s+[{UPPER}][^\W\d_]*){{1,3}}(?![\w])")


def u_tier_ok(hits: list[Unit]) -> bool:
    """A capitalised name counts when it names no province ("Bến Tre" is the province; matched on its own)."""
    return not any(u.tier == "province" for u in hits)


def _context_of(lookup_: Lookup, found: list[Lookup]) -> bool:
    """True when a mention only names where another lies ("xã Sơn Phú huyện Giồng Trôm", "Long Trị A (Long Mỹ)")."""
    return any(x.name in (u.district, u.province) for x in lookup_.units
               for f in found if f is not lookup_ and f.status == "found" for u in f.units)


def _mention_at(units: AdminUnits, text: str, folded: str, start: int, name_start: int) -> tuple[Lookup, int] | None:
    level = LEVELS[folded[start:name_start].strip()]
    words = list(re.finditer(r"\w+", folded[name_start:name_start + 80]))
    if not words or words[0].group(0) in _NOT_NAMES:
        return None
    for n in range(min(MAX_NAME_WORDS, len(words)), 0, -1):
        end = name_start + words[n - 1].end()
        typed = text[name_start:end]
        named = units.by_name.get(name_key(typed), ())
        if typed != fold(typed):  # written with diacritics: the name must be spelled as the data spells it
            named = [u for u in named if u.short.lower() == typed.lower()]
        hits = [u for u in named if u.level in level]
        if not hits and any(u.tier == "province" for u in named):  # "xã Hậu Giang": a province named as a commune
            hits = list(named)
        if hits:
            rest = _CLAUSE_END.split(folded[end:], 1)[0]
            context = " ".join(re.findall(r"\w+", rest)[:CONTEXT_WORDS])
            return _narrow(units, text[start:end], typed, level, context, hits, ""), end
    return None


def _province_names(units: AdminUnits, text: str, folded: str) -> list[Unit]:
    """Provinces named without "tỉnh": capitalised and accented as written ("Hậu Giang"), or, in a message typed
    without diacritics, two or more words ("hau giang")."""
    out = []
    plain = text == fold(text) or text.lower() == folded
    for unit in units.units:
        if unit.tier != "province" or len(unit.short) < 4:
            continue
        hay, needle = (folded, fold(unit.short)) if plain else (text, unit.short)
        if (not plain or " " in unit.short) and re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", hay):
            out.append(unit)
    return out
