"""Vietnamese syllables: a spelling validator with tone placement, and the checks built on it (is this a
Vietnamese word, with or without diacritics; does a text look Vietnamese)."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from knowledge.text import nfc, strip_diacritics

_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng
VOWELS = "aăâeêioôơuưy"
_MARKED = "ăâêôơư"  # vowels with a quality mark: the tone goes on them
_ONSETS = sorted("b c ch d đ g gh gi h k kh l m n ng ngh nh p ph qu r s t th tr v x".split(), key=len, reverse=True)
_RHYMES = frozenset("""
a ai ao au ay ac ach am an ang anh ap at ăc ăm ăn ăng ăp ăt âc âm ân âng âp ât âu ây
e eo ec em en eng ep et ê êu êch êm ên ênh êp êt i ia iu ich im in inh ip it
iêc iêm iên iêng iêp iêt iêu yêm yên yêng yêt yêu y yt ynh ych
o oi oc om on ong op ot ooc oong ô ôi ôc ôm ôn ông ôp ôt ơ ơi ơm ơn ơp ơt
u ua ui uc um un ung up ut uôc uôi uôm uôn uông uôt ư ưa ưi ưu ưc ưm ưn ưng ưt
ươc ươi ươm ươn ương ươp ươt ươu oa oai oay oac oach oam oan oang oanh oap oat
oăc oăm oăn oăng oăt oe oeo oen oet uy uya uyu uych uynh uyt uyên uyêt
uân uâng uât uây uê uêch uênh uơ""".split())
# A syllable with no onset consonant counts only when it is a common standalone word (or a list
# letter): "ều", "ời", "ộc", "ẩn" are what PDF extraction leaves of "điều", "người", "thuộc",
# "chuẩn", and must stay mergeable; "ai", "an", "ở" must not be glued to "cho", "về", ...
_BARE = frozenset("""
a à ạ ai am an anh ánh ảnh án áp ao ăn âm ấm ẩm âu ấy ấn ấp e em ép i im in ít ích o ong ô ổn
ông ống ở ơi u ung ủng uy ủy uỷ uống ưu ước ứng y ý yên yêu yếu yết""".split())
_VN_LETTERS = frozenset("àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ")


def split_tone(word: str) -> tuple[str, int | None, str] | None:
    """Lowercase `word` without its tone mark, the index of the toned letter and the mark; None if 2+ tones."""
    base, index, tone = [], None, ""
    for ch in word.lower():
        parts = unicodedata.normalize("NFD", ch)
        marks = [m for m in parts[1:] if m in _TONE_MARKS]
        if marks:
            if tone or len(marks) > 1:
                return None
            tone, index = marks[0], len(base)
        base.append(unicodedata.normalize("NFC", "".join(m for m in parts if m not in _TONE_MARKS)))
    return "".join(base), index, tone


def _tone_slots(rhyme: str) -> set[int]:
    """Indices in `rhyme` where the tone mark may sit (old and new styles for oa/oe/uy)."""
    marked = [i for i, ch in enumerate(rhyme) if ch in _MARKED]
    if marked:
        return {marked[-1]}
    vowels = [i for i, ch in enumerate(rhyme) if ch in VOWELS]
    if len(vowels) == 1 or vowels[-1] != len(rhyme) - 1:  # one vowel, or a consonant coda
        return {vowels[-1]}
    if len(vowels) == 3:
        return {vowels[1]}
    if rhyme in ("oa", "oe", "uy"):
        return {0, 1}
    return {0}


def _onset_ok(onset: str, rest: str) -> bool:
    """Vietnamese spelling rules tying an onset to the first letter of its rhyme."""
    first = rest[:1]
    front = first in ("i", "e", "ê", "y")
    if onset in ("k", "gh", "ngh"):
        return front
    if onset in ("c", "ng"):
        return not front and not (onset == "c" and rest[:2] in ("oa", "oă", "oe", "uy", "uâ", "uê", "uơ"))
    if onset == "g":
        # "gì", "gìn": g before a lone i; otherwise the spelling is "gi" or "gh"
        return first not in ("e", "ê", "y") and (first != "i" or sum(c in VOWELS for c in rest) == 1)
    if onset == "qu":
        return first not in ("u", "ư", "o", "")
    if onset == "gi":
        return first not in ("i", "")
    return True


@lru_cache(maxsize=65536)
def is_syllable(word: str) -> bool:
    """True when `word` (any case) is a well-formed Vietnamese syllable with a correctly placed tone."""
    word = nfc(word.lower())
    split = split_tone(word)
    if split is None or not split[0]:
        return False
    base, tone_at, tone = split
    if base[0] in VOWELS:
        return word in _BARE
    for onset in (o for o in _ONSETS if base.startswith(o)):
        rest = base[len(onset):]
        rhyme = "i" + rest if onset == "gi" and rest[:1] == "ê" else rest  # giếng = gi + iêng
        if rhyme not in _RHYMES or not _onset_ok(onset, rest):
            continue
        if rhyme[0] == "y" and len(rhyme) > 1 and onset != "qu" and not rhyme.startswith("yê"):
            continue  # quýt, quỳnh: "y" + coda only after qu
        if rhyme.startswith("yê") and onset != "qu":
            continue  # nghiêng, not nghyêng
        if tone and tone_at is not None:
            pos = tone_at - len(onset) + (len(rhyme) - len(rest))
            if pos not in _tone_slots(rhyme):
                continue
            if rhyme.endswith(("c", "ch", "p", "t")) and tone not in ("\u0301", "\u0323"):
                continue  # stop codas only take sắc or nặng
        return True
    return False


def looks_vietnamese(text: str) -> bool:
    """Heuristic: mostly valid Vietnamese syllables, a fair share with Vietnamese letters, no mojibake."""
    tokens = [t.strip(".,;:!?()[]{}\"'“”‘’«»…-–—/*#|") for t in nfc(text[:200_000]).split()]
    tokens = [t for t in tokens if t and not any(ch.isdigit() for ch in t)]
    if len(tokens) < 3:
        return False
    valid = sum(1 for t in tokens if is_syllable(t))
    accented = sum(1 for t in tokens if any(ch in _VN_LETTERS for ch in t.lower()))
    return valid >= 0.6 * len(tokens) and accented >= 0.2 * len(tokens)


@lru_cache(maxsize=1)
def _folded_parts() -> tuple[tuple[str, ...], frozenset[str], frozenset[str]]:
    onsets = tuple(sorted({strip_diacritics(o) for o in _ONSETS}, key=len, reverse=True))
    return onsets, frozenset(strip_diacritics(r) for r in _RHYMES), frozenset(strip_diacritics(b) for b in _BARE)


@lru_cache(maxsize=65536)
def is_vietnamese_word(word: str) -> bool:
    """True for a Vietnamese syllable, with or without its diacritics ("nhiều", "nhieu")."""
    if is_syllable(word):
        return True
    word = strip_diacritics(nfc(word.lower()))
    onsets, rhymes, bare = _folded_parts()
    return word in bare or any(word.startswith(o) and word[len(o):] in rhymes for o in onsets)
