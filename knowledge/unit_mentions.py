"""Administrative units named inside a message ("cho hỏi xã Sơn Phú h. Giồng Trôm nay là xã gì"): after a level
word, as a capitalised name with its district or province after it, or a province by its name."""

from __future__ import annotations

import re
from itertools import islice

from knowledge.admin_units import AdminUnits, Unit, name_key, split_level
from knowledge.text import UPPER, fold, has_diacritics, nfc, one_edit
from knowledge.unit_lookup import (LEVELS, MAX_LISTED, MAX_NAME_WORDS, NAME_SUFFIX, TYPO_MIN_CHARS, Lookup,
                                   context_score, narrow)

# Level words before a name in a message; the short forms ("TT", "h.") only before a capitalised name.
_MENTION = re.compile(r"\b(?:" + "|".join(re.escape(k) if k.endswith(".") else k for k in sorted(LEVELS, key=len,
                                                                                                reverse=True))
                      + r")(?:\s+|(?<=\.))")
_SHORT_LEVELS = frozenset({"tt", "tx", "tp", "h.", "x.", "p.", "tp.", "tx.", "tt."})
# A clause ends at . ; ? ! or a line break, but not at the dot of "h.", "tx.", "tp." before a name.
_CLAUSE_END = re.compile(r"(?<!\bh)(?<!\bx)(?<!\bp)(?<!\btx)(?<!\btp)(?<!\btt)[.;?!\n]")
MAX_LEVEL_WORDS = 40  # level words read in one message (an officer's message names a handful of units)
MAX_TYPO_LOOKUPS = 3  # names per message tried one letter off (each try compares against every name)
NAME_WINDOW = 80  # characters after a level word read for the name (the longest name has five words)
MIN_PROVINCE_CHARS = 3  # "Huế" is the shortest province name
CONTEXT_WORDS = 8  # words after a name read as its district or province ("xã Tân Phú, thị xã Long Mỹ, Hậu Giang")
# Words after a level word that are not a name, whatever the data holds ("xã nhóm 1", "xã NTM", "tỉnh nào").
_NOT_NAMES = frozenset("ntm nhom nao do nay moi cu sau da dat duoc co la thi khong chua va hoac cua tren trong "
                       "ve tai khac nhung cac mot hai ba bon".split())


def mentions(units: AdminUnits, text: str) -> list[Lookup]:
    """The units a message names after a level word ("xã Long Trị A", "huyen nong cong", "tỉnh Hậu Giang"), as a
    capitalised name ("Phú Hữu (huyện Châu Thành)") and provinces by name ("Hậu Giang"); unknown names are left
    out, shared ones kept as ambiguous. A province the message names anywhere counts as every name's context."""
    text = nfc(text)
    folded = fold(text)
    provinces = _province_names(units, text, folded)
    around = " ".join(fold(u.short) for u, _ in provinces)
    found: list[Lookup] = []
    taken: list[tuple[int, int]] = []
    typos = [MAX_TYPO_LOOKUPS]  # a scan of every name per typo: a message of 600 "xã" must not cost seconds
    for m in islice(_MENTION.finditer(folded), MAX_LEVEL_WORDS):
        short = folded[m.start():m.end()].strip() in _SHORT_LEVELS
        if short and not (text[m.end():m.end() + 1].isupper() or text == folded):
            continue
        lookup_ = _mention_at(units, text, folded, m.start(), m.end(), around, typos)
        if lookup_ and not any(s <= m.start() < e for s, e in taken):
            found.append(lookup_[0])
            taken.append((m.start(), lookup_[1]))
    # districts named with their level word are context too ("huyện Nông Cống … các xã Vạn Hòa, Tế Lợi")
    nearby = " ".join([around, *(fold(u.short) for f in found if f.status == "found" for u in f.units
                                 if u.tier == "district")]).strip()
    for m in _CAPITALISED.finditer(text):  # "Tân Phú sáp nhập vào đâu": a name without its level word
        plain = not has_diacritics(m.group(0))  # "Van Hoa" typed without marks matches "Vạn Hòa"
        hits = [u for u in units.by_name.get(name_key(m.group(0)), ())
                if (fold(u.short) if plain else u.short.lower()) == m.group(0).lower()]
        if around:  # the message names its provinces: a bare name elsewhere is something else (an ấp, a person)
            hits = [u for u in hits
                    if any(fold(split_level(p)[1]) in around for p in (u.province, *units.province_now.get(u.province, ())))]
        if hits and names_no_province(hits) and not any(s <= m.start() < e for s, e in taken):
            context = " ".join(re.findall(r"\w+", _CLAUSE_END.split(folded[m.end():], 1)[0])[:CONTEXT_WORDS])
            found.append(narrow(units, m.group(0), m.group(0), None, f"{context} {nearby}".strip(), hits, ""))
            taken.append((m.start(), m.end()))
    for unit, at in provinces:  # one place per name: "Điện Biên" before and after 2025 is one province
        same = next((f for f in found if f.units and f.units[0].tier == "province" and f.query == unit.short), None)
        if same is not None and unit not in same.units:
            found[found.index(same)] = Lookup(same.query, "found", same.units + (unit,))
        elif not any(unit in f.units for f in found):
            found.append(Lookup(unit.short, "found", (unit,)))
            taken.append((at, at))
    order = sorted(range(len(found)), key=lambda i: taken[i][0])
    kept = [found[i] for i in order]
    return [f for i, f in enumerate(kept) if not _context_of(f, kept[:i])]


_CAPITALISED = re.compile(rf"(?<![\w])[{UPPER}][^\W\d_]*(?:\s+[{UPPER}][^\W\d_]*){{1,3}}(?![\w])")


def names_no_province(hits: list[Unit]) -> bool:
    """A capitalised name counts when it names no province ("Bến Tre" is the province; matched on its own)."""
    return not any(u.tier == "province" for u in hits)


def _context_of(lookup_: Lookup, before: list[Lookup]) -> bool:
    """True when a mention only names where one before it lies ("xã Sơn Phú huyện Giồng Trôm", "Long Trị A (Long
    Mỹ)"); "huyện Lục Nam …, xã Khám Lạng" asks about the district first, so it stays."""
    return any(x.name in (u.district, u.province) for x in lookup_.units
               for f in before for u in f.units)


def _mention_at(units: AdminUnits, text: str, folded: str, start: int, name_start: int,
                around: str = "", typos: list[int] | None = None) -> tuple[Lookup, int] | None:
    level = LEVELS[folded[start:name_start].strip()]
    words = list(re.finditer(r"\w+", folded[name_start:name_start + NAME_WINDOW]))
    if not words or words[0].group(0) in _NOT_NAMES:
        return None
    unaccented = not has_diacritics(text)
    for n in range(min(MAX_NAME_WORDS, len(words)), 0, -1):
        end = name_start + words[n - 1].end()
        typed = text[name_start:end]
        if n == 1 and unaccented and typed.islower():  # "xa dang lam NTM": "đang", not xã Dang
            continue
        named = units.by_name.get(name_key(typed), ())
        if has_diacritics(typed):  # written with diacritics: the name must be spelled as the data spells it
            named = [u for u in named if u.short.lower() == typed.lower()]
        hits = [u for u in named if u.level in level]
        if not hits and any(u.tier == "province" for u in named):  # "xã Hậu Giang": a province named as a commune
            hits = list(named)
        if hits and n < len(words) and NAME_SUFFIX.fullmatch(text[name_start + words[n].start():
                                                                     name_start + words[n].end()]):
            rest = " ".join(re.findall(r"\w+", _CLAUSE_END.split(folded[name_start + words[n].end():], 1)[0]))
            return _no_such_suffix(units, text, name_start, words, n, hits, rest), name_start + words[n].end()
        if hits:
            rest = _CLAUSE_END.split(folded[end:], 1)[0]
            context = " ".join(re.findall(r"\w+", rest)[:CONTEXT_WORDS])
            return narrow(units, text[start:end], typed, level, f"{context} {around}".strip(), hits, ""), end
    if typos is None or typos[0] <= 0:
        return None
    typos[0] -= 1
    return _typed_with_a_typo(units, text, folded, start, name_start, words, level)



def _no_such_suffix(units: AdminUnits, text: str, name_start: int, words: list, n: int, hits: list[Unit],
                    context: str) -> Lookup:
    """ "xã Long Trị B": a real name ("Long Trị") with a suffix no unit has; say so and list the names that exist,
    those of the district or province written after it first."""
    typed = text[name_start:name_start + words[n].end()]
    similar = [u for k in (name_key(hits[0].short) + ch for ch in "abcd123456") for u in units.by_name.get(k, ())]
    near = sorted(hits + similar, key=lambda u: -context_score(u, context, units))
    names = "; ".join(dict.fromkeys(u.where() for u in near[:MAX_LISTED]))
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
        hits = [u for k in units.by_name if one_edit(k, key) for u in units.by_name[k] if u.level in level]
        if hits:
            context = " ".join(re.findall(r"\w+", _CLAUSE_END.split(folded[end:], 1)[0])[:CONTEXT_WORDS])
            return narrow(units, text[start:end], typed, level, context, hits, hits[0].short), end
    return None


def _province_names(units: AdminUnits, text: str, folded: str) -> list[tuple[Unit, int]]:
    """Provinces named without "tỉnh": capitalised and accented as written ("Hậu Giang"), or, in a message typed
    without diacritics, two or more words ("hau giang")."""
    out = []
    plain = not has_diacritics(text)
    for unit in units.provinces:
        if len(unit.short) < MIN_PROVINCE_CHARS:
            continue
        hay, needle = (folded, fold(unit.short)) if plain else (text, unit.short)
        at = re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", hay)
        if at and (not plain or " " in unit.short):
            out.append((unit, at.start()))
    return out
