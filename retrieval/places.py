"""Places and other proper names a question names ("Bến Tre", "xã Thọ Điền", "tinh quang tri", "ĐBSCL"): an
answer must come from evidence that names them too."""

from __future__ import annotations

import re

from knowledge.text import fold, folded_words, has_diacritics  # noqa: F401 (query re-exports it)

_REGION_WORDS = ("dong bang", "trung du", "trung bo", "tay nguyen", "dong nam bo", "mien nui")
_PLACE_LEADS = ("tinh", "huyen", "xa", "thanh pho", "tp", "thi xa", "phuong", "quan")


def _capitalised_names(piece: str, abbreviations: dict[str, str], generic: list[str]) -> list[tuple[str, ...]]:
    """Runs of capitalised words in one clause ("Hà Tĩnh", "xã Thọ Điền"), and region abbreviations ("ĐBSCL")."""
    found: list[tuple[str, ...]] = []
    words = list(re.finditer(r"[\wĐđ&-]+", piece))
    run: list[str] = []
    for i, m in enumerate(words + [None]):
        w = m.group(0) if m else ""
        if w[:1].isupper() and w[1:].islower() and not w[:1].isdigit():
            run.append(w)
            continue
        if run:
            lead = [fold(x.group(0)) for x in words[max(0, i - len(run) - 2): i - len(run)]]
            placed = bool(lead) and (lead[-1] in _PLACE_LEADS or " ".join(lead[-2:]) in _PLACE_LEADS)
            if len(run) > 1 and fold(run[0]) in _PLACE_LEADS:  # "Xã Thọ Điền" at the start of a sentence
                run, placed = run[1:], True
            name = " ".join(run)
            if (len(run) >= 2 or placed) and not any(fold(name) in g for g in generic):
                found.append((name,))
            run = []
        expansion = abbreviations.get(fold(w).upper()) if w.isupper() else None
        if expansion and any(r in fold(expansion) for r in _REGION_WORDS):
            found.append((w, expansion))
    return found


def place_names(text: str, abbreviations: dict[str, str]) -> list[tuple[str, ...]]:
    """Place and proper names in the question ("Bến Tre", "Hà Tĩnh", "ĐBSCL") that an answer must be about."""
    generic = [fold(v) for v in abbreviations.values()]
    found: list[tuple[str, ...]] = []
    for piece in re.split(r"[,;:()?!.]", text):  # "Đan Trường, Quang Thọ" are two names, not one
        found += _capitalised_names(piece, abbreviations, generic)
    folded = " ".join(folded_words(text))
    found += [(name,) for name in _lowercase_places(text) if not any(fold(a) == name for alts in found for a in alts)]
    for key, expansion in abbreviations.items():  # regions written out, with or without diacritics
        name = " ".join(folded_words(expansion))
        if any(r in name for r in _REGION_WORDS) and re.search(rf"\b{name}\b", folded) \
                and not any(expansion in alts for alts in found):
            found.append((expansion, key))
    return found


# Words that follow "xã", "huyện", "tỉnh" without being a place name ("xã nhóm 1", "tỉnh hoàn thành", "huyện nào").
_NOT_PLACE = frozenset("ntm sau sap nhap xep nhom hien thi da bi phai la thuoc nay do khac nao co duoc moi cu va con tren "
                       "toan ca trong ngoai cua cho ve khong chua the vay nhieu may bao so doan tai de can tu o dang "
                       "nam giai thon".split())
_NOT_PLACE_PAIRS = frozenset({"nong thon", "dat chuan", "nang cao", "kieu mau", "dac biet", "kho khan", "mien nui",
                              "hoan thanh", "bien gioi", "lien ke", "ket qua", "doan the", "an toan", "vung cao"})
_LEAD = re.compile(r"\b(?:tinh|huyen|xa|thanh pho|tp|thi xa|phuong|quan)\s+([a-z]+)\s+([a-z]+)\b")


def _lowercase_places(text: str) -> list[str]:
    """Place names in a message typed without diacritics, after their level ("tinh quang tri", "xa chieng sinh");
    a message with diacritics capitalises its names, which `_entities` reads instead."""
    if has_diacritics(text):
        return []
    lower = " ".join(re.findall(r"\w+", text.lower()))
    return [f"{a} {b}" for a, b in _LEAD.findall(fold(lower))
            if a not in _NOT_PLACE and b not in _NOT_PLACE and f"{a} {b}" not in _NOT_PLACE_PAIRS]


def with_aliases(words: set[str], text: str, aliases) -> set[str]:
    """The words of a text, plus a unit's name as asked when the text names the unit by its other-era name
    ("xã Long Trị A" holds "phường Long Mỹ"; a page on Hậu Giang holds "Cần Thơ"). `aliases`: QueryPlan.aliases."""
    if not aliases:
        return words
    padded = f" {' '.join(folded_words(text))} "
    for asked, others in aliases:
        if any(f" {o} " in padded for o in others):
            words = words | set(asked)
    return words
