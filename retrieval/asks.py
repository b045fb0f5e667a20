"""A message split into its asks, each with the kind of answer it expects; chat fillers dropped, typos corrected.

Officers write several asks in one message ("… bao nhiêu xã, trong đó bao nhiêu xã nâng cao?", "QĐ 318 ai ký?
còn hiệu lực không"). Each ask is answered on its own; an ask that leans on the one before ("còn huyện thì
sao?", "trong đó …") borrows that ask's words as context.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from knowledge.text import fold, one_edit

MAX_ASKS = 5  # asks answered in one message; the rest are named and the officer is asked to send them separately
DEPENDENT_TERMS = 2  # an ask with at most this many content words of its own leans on the ask before it
TYPO_MIN_CHARS = 4  # shorter words are too often real syllables one edit from another ("tre", "te")
TYPO_MIN_COUNT = 2  # a correction must be a word seen at least this often in the vocabulary

# Kinds of answer an ask expects, with the folded interrogative phrases that announce them (never plain nouns
# such as "thời hạn", "số lượng", "tối thiểu", which a statement uses too), in the order they are tried:
# a status ask ("còn hiệu lực không") is not a yes/no ask, a signer ask ("ai ký") not a document ask.
KIND_CUES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("status", ("con hieu luc", "het hieu luc", "hieu luc khong", "hieu luc chua", "con ap dung", "con dung",
                "sua doi", "thay the", "bai bo", "bi huy", "con gia tri", "bi sua", "da sua", "duoc sua", "sua lan",
                "sua boi", "bi thay", "thay boi")),
    ("date", ("ngay nao", "ngay bao nhieu", "ngay may", "khi nao", "bao gio", "nam nao", "luc nao", "thoi diem nao",
              "ky ngay", "ban hanh ngay", "hieu luc tu", "thang nao", "han chot la", "thoi han la")),
    ("person", ("ai ky", "nguoi ky", "ky boi ai", "do ai ky", "ai la", "ai chu tri", "ai phu trach", "nao ky")),
    ("office", ("co quan nao", "ai ban hanh", "do ai", "ai quy dinh", "don vi nao", "cap nao", "ai cong nhan", "ai tham dinh",
                "ai xet", "ai quyet dinh", "co quan ban hanh")),
    ("document", ("van ban nao", "quyet dinh nao", "nghi dinh nao", "thong tu nao", "cong van nao", "ke hoach nao",
                  "nghi quyet nao", "so hieu", "so may", "can cu nao", "quy dinh o dau", "o dau quy dinh",
                  "theo van ban", "van ban gi", "quyet dinh gi", "qd nao", "cv nao", "nq nao", "nd nao", "tt nao",
                  "kh nao", "qd so may", "so bao nhieu")),
    ("figure", ("bao nhieu", "may ", "muc nao", "bao lau", "may phan")),
    ("steps", ("thu tuc", "trinh tu", "ho so", "dieu kien", "cac buoc", "quy trinh", "can nhung gi",
               "lam the nao", "lam sao", "nhu the nao", "ra sao", "the nao", "xu ly sao", "cach nao", "phai lam gi")),
    ("list", ("nhung xa nao", "nhung huyen nao", "xa nao", "huyen nao", "tinh nao", "nhung gi", "gom nhung",
              "gom gi", "nhung nao", "cac nao", "danh sach", "ke ten", "nhom nao", "nhung noi dung")),
    ("definition", ("la gi", "nghia la", "hieu the nao", "duoc hieu")),
    ("yesno", ("co phai", "phai khong", "duoc khong", "dung khong")),
)
# "không", "chưa" ask yes or no at the end of an ask ("… còn hiệu lực không"); inside it they negate ("không còn")
_YESNO_END = re.compile(r"(?<!\w)(?:khong|chua|ko|k|hok|khg|ko a|khong a|chua a)\s*$")
KINDS = tuple(k for k, _ in KIND_CUES) + ("other",)
_CUES = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(c.strip()) for _, cues in KIND_CUES for c in cues) + r")(?!\w)")
METADATA_KINDS = frozenset({"status", "date", "person", "office", "document"})

# Greetings and chat fillers: they say who is asking and how politely, never what.
# ("vậy", "thế", "dạ", "hả" fold to words that also mean "loan", "how", "already", "hectare": kept.)
# (the ways of writing "anh/chị" come before "a": "a/c cho e hỏi" loses all of "a/c", not just its "a")
_FILLERS = ("a/c oi", "a/c", "anh/chi oi", "anh/chi", "cho em hoi voi", "cho em hoi", "cho minh hoi", "cho toi hoi",
            "cho e hoi", "xin hoi", "em xin hoi", "ad oi", "admin oi", "anh chi oi", "a c oi", "ac oi", "anh oi", "chi oi",
            "em chao ad", "chao ad",
            "giup em", "giup minh", "voi a", "nhe", "nhi", "a", "ad", "em", "e", "a c", "ac")
_FILLER = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(f.strip()) for f in _FILLERS) + r")(?!\w)")
# Where one ask ends and the next may begin (folded text; the split is kept only when both sides ask).
_HARD = re.compile(r"[?;\n]+")
# ("còn" only after a comma: "không còn xã nào dưới 15 tiêu chí" is one ask.)
_SOFT = re.compile(r",?\s+(?:trong do|va|dong thoi|ngoai ra|them nua)\s+|,\s+(?:con\s+)?")
_LEANS = re.compile(r"^(?:trong do|con|va|the|vay|thi)\b|thi sao$|the nao$|thi the nao$")
# What makes a clause a question of its own, so a message splits there (a kind cue such as "hồ sơ" or "sửa đổi" is
# also a plain noun in a statement, and does not)
_INTERROGATIVE = re.compile(r"(?<!\w)(?:nao|gi|bao nhieu|may|ai|o dau|tu dau|ra sao|vi sao|tai sao|lam sao|the nao|"
                            r"bao gio|bao lau|co phai|phai khong|duoc khong|dung khong)(?!\w)")
# "người nào", "bất kỳ hình thức nào", "nếu bên nào …": indefinite, as statutes word their conditions
_INDEFINITE = re.compile(r"(?<!\w)(?:bat ky\b[^,;?]*?\bnao|(?:nguoi|to chuc|ca nhan) nao|neu\b[^,;?]*?\bnao)(?!\w)")
_ELLIPSIS = re.compile(r"(?:thi sao|the nao|thi the nao)$")  # "còn huyện thì sao": asks what the ask before asked
# Question and function words: never what a quote must contain (sentence ranking drops them from the scored words)
QUESTION_WORDS = frozenset(
    "nao gi bao nhieu the nhu sao khong co la duoc can phai hay cho biet hoi xin vay a nhe ai dau muon "
    "gom nhung cac va cua thi ma de tu ve voi trong tai khi nay do theo mot neu quy dinh ra hien".split())
# ...and, for an ask's own words, the chat words around a question too
_NOT_OWN_WORDS = QUESTION_WORDS | {"con", "chua", "em", "ad", "oi", "nhi"}


@dataclass(frozen=True)
class Ask:
    """One thing the message asks: its own words, the words scored against the evidence, and the answer kind."""

    text: str  # as the officer wrote it (NFC), shown when the documents do not answer it
    search_text: str  # its words plus the context it leans on
    kind: str  # one of KINDS
    own_terms: tuple[str, ...]  # folded content words of the ask itself: a quote must be about them


def fold_ask(text: str) -> str:
    """An ask folded the way its cues are written ("kí" and "ký" are both written: read as "ky")."""
    return re.sub(r"(?<!\w)ki(?!\w)", "ky", fold(text))


def _name_spans(text: str) -> list[tuple[int, int]]:
    """Spans of two or more adjacent title-case words ("Đồi Mây", "Bến Tre"): names, whatever they spell."""
    spans, run = [], []
    for m in re.finditer(r"[^\W\d_]+", text):
        w = m.group(0)
        titled = w[:1].isupper() and (len(w) == 1 or w[1:].islower())
        if titled and run and not text[run[-1].end():m.start()].isspace():
            spans += [(run[0].start(), run[-1].end())] if len(run) > 1 else []
            run = []
        if titled:
            run.append(m)
            continue
        spans += [(run[0].start(), run[-1].end())] if len(run) > 1 else []
        run = []
    return spans + ([(run[0].start(), run[-1].end())] if len(run) > 1 else [])


def _mask(text: str) -> str:
    """The text folded, with fillers and names blanked out ("Đồi Mây" holds no "mấy"); offsets stay those of the
    original."""
    folded = fold_ask(text)
    for a, b in _name_spans(text):
        folded = folded[:a] + " " * (b - a) + folded[b:]
    return _FILLER.sub(lambda m: " " * len(m.group(0)), folded)


def ask_kind(folded: str) -> str:
    """The kind of answer a folded ask expects (see KIND_CUES), "other" when nothing announces it."""
    padded = f" {folded} "
    for kind, cues in KIND_CUES:
        if any(re.search(rf"(?<!\w){re.escape(c.strip())}(?!\w)", padded) for c in cues):
            return kind
    return "yesno" if _YESNO_END.search(folded.strip(" ?.!")) else "other"


def content_terms(folded: str) -> list[str]:
    """Folded content words: question words, fillers and one-letter words dropped, numbers kept."""
    return [w for w in re.findall(r"\w+", folded) if w.isdigit() or (len(w) > 1 and w not in _NOT_OWN_WORDS)]


def _pieces(text: str, vocabulary: "Vocabulary | None") -> list[tuple[int, int]]:
    """(start, end) spans of the message that ask something; a span that asks nothing joins its neighbour."""
    folded = _mask(text)

    def _asks_here(piece: str) -> bool:
        piece = _INDEFINITE.sub(" ", vocabulary.correct(piece) if vocabulary else piece)
        return bool(_INTERROGATIVE.search(piece) or _YESNO_END.search(piece.strip(" ?.!,"))
                    or _ELLIPSIS.search(piece.strip()))

    spans, start = [], 0
    for m in _HARD.finditer(folded):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(folded)))
    out: list[tuple[int, int]] = []
    for s, e in spans:
        # a comma before a capitalised word lists names ("Đan Trường, Quang Thọ"): no ask starts there
        cuts = [s] + [m.start() for m in _SOFT.finditer(folded, s, e)
                      if not (folded[m.start()] == "," and text[m.end():m.end() + 1].isupper())] + [e]
        segments = [(a, b) for a, b in zip(cuts, cuts[1:]) if re.search(r"\w", folded[a:b])]
        # A segment that asks nothing is the lead-in of the next one that asks ("phần ngân sách, lồng ghép, dân và
        # doanh nghiệp góp là bao nhiêu"), or, at the end, the tail of the one before.
        group_start = None
        for k, (a, b) in enumerate(segments):
            group_start = a if group_start is None else group_start
            then_clause = k + 1 < len(segments) and folded[segments[k + 1][0]:segments[k + 1][1]].lstrip(" ,").startswith("thi ")
            if _asks_here(folded[a:b]) and not then_clause:
                out.append((group_start, b))
                group_start = None
        if group_start is not None:
            if out and out[-1][1] >= s:
                out[-1] = (out[-1][0], e)
            else:
                out.append((group_start, e))
    merged: list[tuple[int, int]] = []
    for s, e in out:  # a piece that asks nothing ("Cho em hỏi về QĐ 318.") is context for the next
        if merged and not _asks_here(folded[merged[-1][0]:merged[-1][1]]):
            merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    if len(merged) > 1 and not _asks_here(folded[merged[-1][0]:merged[-1][1]]):  # "(em cần gấp)" at the end
        merged[-2:] = [(merged[-2][0], merged[-1][1])]
    return merged


def split_asks(text: str, vocabulary: "Vocabulary | None" = None) -> list[Ask]:
    """The asks of a normalised message, in order (every one; callers answer the first MAX_ASKS)."""
    asks: list[Ask] = []
    for s, e in _pieces(text, vocabulary):
        masked = _FILLER.sub(lambda m: " " * len(m.group(0)), fold(text[s:e]))  # fillers only: names stay
        s += len(masked) - len(masked.lstrip(" ,.;:!?-"))  # a greeting before the ask is not shown with it
        own = text[s:e].strip(" ,.;:!?-")
        folded = _mask(own).strip()
        corrected = vocabulary.correct(folded) if vocabulary else folded
        kind, terms = ask_kind(corrected), content_terms(corrected)
        own_words = content_terms(_CUES.sub(" ", corrected))  # "bởi văn bản nào": "văn bản" is the cue, not a topic
        leans = bool(asks) and (bool(_LEANS.search(folded)) or len(own_words) <= DEPENDENT_TERMS)
        if leans and asks[-1].kind == "status" and kind in ("document", "date", "yesno", "other"):
            prev = asks.pop()  # "còn hiệu lực không, bị sửa bởi văn bản nào, từ khi nào": the status answers all
            asks.append(Ask(f"{prev.text}, {own}", f"{prev.search_text} {own}", prev.kind, prev.own_terms))
            continue
        if leans:
            prev = asks[-1]
            kind = kind if kind not in ("other", "yesno") or prev.kind == "other" else prev.kind
            search = f"{own} {prev.search_text}"
        else:
            search = own
        if corrected != folded:
            search += " " + corrected
        asks.append(Ask(own, search, kind, tuple(dict.fromkeys(terms))))
    if not asks:  # fillers only, or nothing split: the message is one ask
        folded = fold(text)
        asks = [Ask(text, text, ask_kind(folded), tuple(content_terms(folded)))]
    return _distinct(asks)


def _distinct(asks: list[Ask]) -> list[Ask]:
    """An ask written twice is answered once."""
    seen, out = set(), []
    for a in asks:
        key = " ".join(content_terms(fold(a.text))) or fold(a.text)
        if key not in seen:
            seen.add(key)
            out.append(a)
    return out


class Vocabulary:
    """Folded words of the indexed domain with their counts; corrects a word one edit away from a known one."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.counts: Counter[str] = Counter()
        self.pairs: Counter[str] = Counter()  # adjacent words: "bao nhiu" → "nhiêu" (after "bao"), not "như"
        for t in texts:
            words = re.findall(r"[a-z]+", fold(t))
            self.counts.update(words)
            self.pairs.update(f"{a} {b}" for a, b in zip(words, words[1:]))
        self._by_delete: dict[str, list[str]] = {}
        for word, n in self.counts.items():
            if n >= TYPO_MIN_COUNT:
                for key in _deletes(word):
                    self._by_delete.setdefault(key, []).append(word)

    def fix(self, word: str, before: str = "", after: str = "") -> str:
        """The known word one insertion, deletion or substitution away that best fits between its neighbours
        (then the most frequent), or the word itself."""
        if len(word) < TYPO_MIN_CHARS or word in self.counts or not word.isalpha():
            return word
        found = {w for key in _deletes(word) for w in self._by_delete.get(key, ()) if _one_edit(word, w)}
        fit = {w: self.pairs[f"{before} {w}"] + self.pairs[f"{w} {after}"] for w in found}
        # Only a correction its neighbours confirm ("bao nhiu" → "bao nhieu"): a real word the catalogue happens
        # not to use ("phần trăm", "cuối") must stay as written.
        fit = {w: n for w, n in fit.items() if n > 0}
        return max(sorted(fit), key=lambda w: (fit[w], self.counts[w])) if fit else word

    def correct(self, folded: str) -> str:
        """A folded text with each unknown word corrected."""
        words = re.findall(r"[a-z]+", folded)
        if all(w in self.counts for w in words):
            return folded
        fixed = iter([self.fix(w, words[i - 1] if i else "", words[i + 1] if i + 1 < len(words) else "")
                      for i, w in enumerate(words)])
        return re.sub(r"[a-z]+", lambda m: next(fixed), folded)


def _deletes(word: str) -> set[str]:
    return {word} | {word[:i] + word[i + 1:] for i in range(len(word))}


_one_edit = lru_cache(maxsize=50_000)(one_edit)  # the same word pairs recur across messages
