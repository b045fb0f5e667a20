"""Finding an administrative unit by what an officer types: with or without diacritics and level word, with the
old district or province after it, one typo allowed; several matches are listed, never guessed between."""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.admin_units import AdminUnits, Unit, lower_level, name_key, split_level
from knowledge.text import UPPER, fold, nfc

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
    levels = (LEVELS.get(m.group(0).strip()) or LEVELS[m.group(0).strip(" .")]) if m else None
    name = head.strip()
    if m:  # drop as many words of the original as the level took
        name = " ".join(head.split()[len(m.group(0).split()):])
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
        if units.by_name.get(name_key(" ".join(words[:n]))) and n < len(words) and _NAME_SUFFIX.fullmatch(words[n]):
            return Lookup(text, "unknown", reason=f"Không có đơn vị nào tên “{' '.join(words[:n + 1])}” trong dữ "
                          f"liệu {units.source}. Tên gần nhất: {' '.join(words[:n])}; vui lòng kiểm tra lại.")
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
                  f"hoặc tỉnh, ví dụ: “{found[0].level.lower()} {found[0].short}, {lower_level(found[0].province)}”.", read_as)


# Level words before a name in a message; the short forms ("TT", "h.") only before a capitalised name.
_MENTION = re.compile(r"\b(?:" + "|".join(re.escape(k) if k.endswith(".") else k for k in sorted(LEVELS, key=len,
                                                                                                reverse=True))
                      + r")(?:\s+|(?<=\.))")
_SHORT_LEVELS = frozenset({"tt", "tx", "tp", "h.", "x.", "p.", "tp.", "tx.", "tt."})
# A clause ends at . ; ? ! or a line break, but not at the dot of "h.", "tx.", "tp." before a name.
_CLAUSE_END = re.compile(r"(?<!\bh)(?<!\bx)(?<!\bp)(?<!\btx)(?<!\btp)(?<!\btt)[.;?!\n]")
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
        short = folded[m.start():m.end()].strip() in _SHORT_LEVELS
        if short and not (text[m.end():m.end() + 1].isupper() or text == folded):
            continue
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
    for unit, at in _province_names(units, text, folded):
        if not any(unit in f.units for f in found):
            found.append(Lookup(unit.short, "found", (unit,)))
            taken.append((at, at))
    order = sorted(range(len(found)), key=lambda i: taken[i][0])
    kept = [found[i] for i in order]
    return [f for i, f in enumerate(kept) if not _context_of(f, kept[:i])]


_CAPITALISED = re.compile(rf"(?<![\w])[{UPPER}][^\W\d_]*(?:\s+[{UPPER}][^\W\d_]*){{1,3}}(?![\w])")


def u_tier_ok(hits: list[Unit]) -> bool:
    """A capitalised name counts when it names no province ("Bến Tre" is the province; matched on its own)."""
    return not any(u.tier == "province" for u in hits)


def _context_of(lookup_: Lookup, before: list[Lookup]) -> bool:
    """True when a mention only names where one before it lies ("xã Sơn Phú huyện Giồng Trôm", "Long Trị A (Long
    Mỹ)"); "huyện Lục Nam …, xã Khám Lạng" asks about the district first, so it stays."""
    return any(x.name in (u.district, u.province) for x in lookup_.units
               for f in before for u in f.units)


def _mention_at(units: AdminUnits, text: str, folded: str, start: int, name_start: int) -> tuple[Lookup, int] | None:
    level = LEVELS[folded[start:name_start].strip()]
    words = list(re.finditer(r"\w+", folded[name_start:name_start + 80]))
    if not words or words[0].group(0) in _NOT_NAMES:
        return None
    for n in range(min(MAX_NAME_WORDS, len(words)), 0, -1):
        end = name_start + words[n - 1].end()
        typed = text[name_start:end]
        named = units.by_name.get(name_key(typed), ())
        if typed.lower() != fold(typed):  # written with diacritics: the name must be spelled as the data spells it
            named = [u for u in named if u.short.lower() == typed.lower()]
        hits = [u for u in named if u.level in level]
        if not hits and any(u.tier == "province" for u in named):  # "xã Hậu Giang": a province named as a commune
            hits = list(named)
        if hits and n < len(words) and _NAME_SUFFIX.fullmatch(text[name_start + words[n].start():
                                                                     name_start + words[n].end()]):
            return _no_such_suffix(units, text, name_start, words, n, hits), name_start + words[n].end()
        if hits:
            rest = _CLAUSE_END.split(folded[end:], 1)[0]
            context = " ".join(re.findall(r"\w+", rest)[:CONTEXT_WORDS])
            return _narrow(units, text[start:end], typed, level, context, hits, ""), end
    return _typed_with_a_typo(units, text, folded, start, name_start, words, level)


_NAME_SUFFIX = re.compile(r"[A-Z]|\d")  # "Long Trị A", "Phường 2": a letter or digit that ends a name


def _no_such_suffix(units: AdminUnits, text: str, name_start: int, words: list, n: int, hits: list[Unit]) -> Lookup:
    """ "xã Long Trị B": a real name ("Long Trị") with a suffix no unit has; say so and list the names that exist."""
    typed = text[name_start:name_start + words[n].end()]
    near = [u for u in units.by_name.get(name_key(typed[:-1]) + "", ()) if u.tier == "commune"]
    similar = [u for k in (name_key(hits[0].short) + ch for ch in "abcd123456") for u in units.by_name.get(k, ())
               if u.district == hits[0].district or not hits[0].district]
    names = "; ".join(dict.fromkeys(u.where() for u in (hits + similar + near)[:MAX_LISTED]))
    # the near names ride along so that a district or province written after the name is read as its context
    return Lookup(typed, "unknown", tuple(hits), f"Không có đơn vị nào tên “{typed}” trong dữ liệu {units.source}. "
                                                 f"Các tên gần nhất: {names}.")


def _typed_with_a_typo(units: AdminUnits, text: str, folded: str, start: int, name_start: int, words: list,
                       level: tuple[str, ...]) -> tuple[Lookup, int] | None:
    """A capitalised two- or three-word name one letter off a unit's ("xã Đại Thàn (tp Ngã Bảy)")."""
    for n in (3, 2):
        if len(words) < n:
            continue
        end = name_start + words[n - 1].end()
        typed = text[name_start:end]
        key = name_key(typed)
        if len(key) < TYPO_MIN_CHARS or not all(w[:1].isupper() for w in typed.split()):
            continue
        hits = [u for k in units.by_name if _one_edit(k, key) for u in units.by_name[k] if u.level in level]
        if hits:
            context = " ".join(re.findall(r"\w+", _CLAUSE_END.split(folded[end:], 1)[0])[:CONTEXT_WORDS])
            return _narrow(units, text[start:end], typed, level, context, hits, hits[0].short), end
    return None


def _province_names(units: AdminUnits, text: str, folded: str) -> list[tuple[Unit, int]]:
    """Provinces named without "tỉnh": capitalised and accented as written ("Hậu Giang"), or, in a message typed
    without diacritics, two or more words ("hau giang")."""
    out = []
    plain = text == fold(text) or text.lower() == folded
    for unit in units.units:
        if unit.tier != "province" or len(unit.short) < 4:
            continue
        hay, needle = (folded, fold(unit.short)) if plain else (text, unit.short)
        at = re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", hay)
        if at and (not plain or " " in unit.short):
            out.append((unit, at.start()))
    return out
