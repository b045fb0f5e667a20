"""Vietnamese text normalisation: NFC, PDF-extraction repair, a syllable validator, accent stripping."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng
_VOWELS = "aăâeêioôơuưy"
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
_LIST_LEADS = frozenset("và là hoặc từ cho như".split())  # words that may precede a list letter
_VN_LETTERS = frozenset("àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ")
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
_LIGATURES = {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
              "\ufb05": "st", "\ufb06": "st"}
_SPACES = re.compile(r"[\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_TOKEN = re.compile(r"^(\W*)([^\W\d_]+)(\W*)$")
_HYPHENATED = re.compile(r"([^\W\d_]+)-\n([^\W\d_]+)")


def nfc(text: str) -> str:
    """Unicode NFC form (precomposed Vietnamese letters)."""
    return unicodedata.normalize("NFC", text)


def _split_tone(word: str) -> tuple[str, int | None, str] | None:
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
    vowels = [i for i, ch in enumerate(rhyme) if ch in _VOWELS]
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
        return first not in ("e", "ê", "y") and (first != "i" or sum(c in _VOWELS for c in rest) == 1)
    if onset == "qu":
        return first not in ("u", "ư", "o", "")
    if onset == "gi":
        return first not in ("i", "")
    return True


@lru_cache(maxsize=65536)
def is_syllable(word: str) -> bool:
    """True when `word` (any case) is a well-formed Vietnamese syllable with a correctly placed tone."""
    word = nfc(word.lower())
    split = _split_tone(word)
    if split is None or not split[0]:
        return False
    base, tone_at, tone = split
    if base[0] in _VOWELS:
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


def _stands_alone(frag: str, left: str = "") -> bool:
    """Whether a fragment is a word by itself; a lone vowel after an accented letter is a split tail."""
    if left and len(frag) == 1 and frag.lower() in _VOWELS and not left[-1].isascii():
        return left.lower() in _LIST_LEADS  # "củ a", "mớ i" are splits; "điểm h và i" is a list letter
    return is_syllable(frag)


def _merge_rank(left: str, right: str) -> tuple[int, int, int] | None:
    """None = keep apart; otherwise how sure a merge of two adjacent letter fragments is (higher first)."""
    if (any(ch.isupper() for ch in right) or len(left) > 1 and left.isupper()) and not (left + right).isupper():
        return None  # case must agree: "ĐIỀ U" and "Đi ều" come from splits, "mỚi" and "ĐIỀu" do not
    alone_left, alone_right = _stands_alone(left), _stands_alone(right, left)
    if (alone_left and alone_right) or not is_syllable(left + right):
        return None
    # Extraction splits next to accented letters; a bare consonant ("ng", "c") is never a word.
    touch = not (left[-1].isascii() and right[0].isascii())
    bare_left = not any(ch in _VOWELS for ch in _split_tone(left)[0])
    if not touch and not bare_left and any(ch in _VOWELS for ch in right.lower()):
        return None
    # Most sure first: halves that are no syllable at all ("h" + "ành"), then a split at an accent
    # ("thự c hiện" -> "thực hiện"), then a bare consonant taking the vowel after it ("cả n ước" ->
    # "cả nước", not "cản ước"; but "p" starts only loanwords: "đá p ứng" -> "đáp ứng").
    broken = int(not is_syllable(left)) + int(not is_syllable(right))
    return (broken, int(touch), int(bare_left and left.lower() != "p"))


def _pair_rank(left_token: str, right_token: str) -> tuple[int, int, int] | None:
    """Rank of gluing two space-separated tokens; punctuation between their letters forbids it."""
    left, right = _TOKEN.match(left_token), _TOKEN.match(right_token)
    if not left or not right or left.group(3) or right.group(1):
        return None
    return _merge_rank(left.group(2), right.group(2))


def _merge_line(line: str) -> str:
    """Merge split syllables on one line, e.g. "nông thôn m ới" -> "nông thôn mới"."""
    tokens = line.split(" ")
    ranks = [_pair_rank(a, b) for a, b in zip(tokens, tokens[1:])]
    while True:
        candidates = [(rank, -i) for i, rank in enumerate(ranks) if rank is not None]
        if not candidates:
            return " ".join(tokens)
        at = -max(candidates)[1]  # surest merge first, leftmost on ties
        tokens[at:at + 2] = [tokens[at] + tokens[at + 1]]
        del ranks[at]
        if at > 0:
            ranks[at - 1] = _pair_rank(tokens[at - 1], tokens[at])
        if at < len(ranks):
            ranks[at] = _pair_rank(tokens[at], tokens[at + 1])


def _dehyphenate(match: re.Match[str]) -> str:
    """Undo hyphenation at a line end when the halves were one word."""
    a, b = match.group(1), match.group(2)
    if not b[0].islower() or (is_syllable(a) and is_syllable(b)):
        return match.group(0)  # "QĐ-\nTTg", "kinh tế-\nxã hội": not a broken word
    if is_syllable(a + b) or (a.isascii() and b.isascii()):
        return a + b
    return match.group(0)


def strip_controls(text: str) -> tuple[str, int]:
    """Text without C0 control characters and DEL (tab, newline, CR kept; form feed and vertical tab
    become newlines) and how many were removed."""
    # \f and \v separate pages and lines in exported text; dropping them would glue words together.
    text = text.replace("\f", "\n").replace("\v", "\n")
    cleaned, removed = _CONTROL.subn("", text)
    return cleaned, removed


def repair_pdf_text(text: str) -> str:
    """Repair PDF-extraction artefacts: split syllables, soft hyphens, ligatures, odd spaces, hyphenation."""
    text = _CONTROL.sub("", text.translate(_ZERO_WIDTH).replace("\f", "\n"))
    for lig, plain in _LIGATURES.items():
        text = text.replace(lig, plain)
    text = _SPACES.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = re.sub(r" +(?=[\u0300-\u036f])", "", text)  # "a ́" -> "á" once composed
    text = nfc(text)
    text = re.sub("\u00ad *\n *", "", text).replace("\u00ad", "")
    text = re.sub(r" *\n *", "\n", re.sub(r" {2,}", " ", text)).strip(" ")
    text = _HYPHENATED.sub(_dehyphenate, text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return nfc("\n".join(_merge_line(line) for line in text.split("\n")))


def strip_diacritics(text: str) -> str:
    """Remove all Vietnamese diacritics (đ -> d, Đ -> D), e.g. for queries typed without accents."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return nfc("".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn"))


def looks_vietnamese(text: str) -> bool:
    """Heuristic: mostly valid Vietnamese syllables, a fair share with Vietnamese letters, no mojibake."""
    tokens = [t.strip(".,;:!?()[]{}\"'“”‘’«»…-–—/*#|") for t in nfc(text[:200_000]).split()]
    tokens = [t for t in tokens if t and not any(ch.isdigit() for ch in t)]
    if len(tokens) < 3:
        return False
    valid = sum(1 for t in tokens if is_syllable(t))
    accented = sum(1 for t in tokens if any(ch in _VN_LETTERS for ch in t.lower()))
    return valid >= 0.6 * len(tokens) and accented >= 0.2 * len(tokens)


# TCVN 5712:1993 (the "ABC" / .VnTime fonts) bytes 0xA0-0xFF, one character per byte. ABC text
# uses the lowercase letters; uppercase accented letters come from .VnTimeH fonts with the same
# lowercase codes, hence the case fix in decode_tcvn3.
_TCVN3_HIGH = (
    "\u00a0ĂÂÊÔƠƯĐăâêôơưđẰ\u0300\u0309\u0303\u0301\u0323"
    "àảãáạẲằẳẵắẴẮẦẨẪẤỀặầẩẫấậèỂẻẽéẹềểễếệìỉỄẾỒĩíịòỔỏõóọồổỗốộờởỡớợùỖủũúụừửữứựỳỷỹýỵỐ"
)
_TCVN3 = {0xA0 + i: ch for i, ch in enumerate(_TCVN3_HIGH)}


def decode_tcvn3(data: bytes) -> str:
    """Decode TCVN3 (ABC) bytes to NFC text; bytes 0x80-0x9F are read as Windows-1252 punctuation."""
    out = []
    for b in data:
        if b >= 0xA0:
            out.append(_TCVN3[b])
        elif b >= 0x80:
            out.append(bytes([b]).decode("cp1252", errors="replace"))
        else:
            out.append(chr(b))
    text = nfc("".join(out))
    # "N«NG TH«N" is "NÔNG THÔN" typed in a .VnTimeH font: upper a word whose ASCII letters all are.
    return re.sub(r"\w+", lambda m: m.group(0).upper() if _all_caps_ascii(m.group(0)) else m.group(0), text)


def _all_caps_ascii(word: str) -> bool:
    """True when the word has 2+ ASCII letters and all of them are uppercase."""
    letters = [ch for ch in word if ch.isascii() and ch.isalpha()]
    return len(letters) >= 2 and all(ch.isupper() for ch in letters)


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
