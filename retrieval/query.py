"""Query understanding: what a Vietnamese question names (documents, criteria, dates) and how to search for it."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from datetime import date
from typing import Iterable, Sequence

from knowledge.catalogue import CatalogueEntry, find_entry, number_key
from knowledge.dates import A_YEAR, ANY_DATE, iso
from knowledge.doctypes import TYPED_NUMBER_CODES, words_pattern
from knowledge.text import fold, folded_words
from retrieval.places import has_diacritics, place_names  # noqa: F401 (has_diacritics is part of query's API)
from retrieval.asks import KIND_CUES, MAX_ASKS, TYPO_MIN_COUNT, Ask, Vocabulary, split_asks
from retrieval.question import normalise_question
from retrieval.sparse import DOC_NUMBER_RE

_TYPE_WORDS = words_pattern(TYPED_NUMBER_CODES)
# "cv 267", "QĐ số 318", "quyết định 18/2022", "TT 05/2022/TT-BNNPTNT" (folded, lower case)
_TYPED_NUMBER = re.compile(r"\b(?:" + _TYPE_WORDS + r")\.?\s*(?:so\s*)?\d{1,5}(?:\s*/\s*(?:19|20)\d\d)?(?:[/-][\w/-]+)?\b")
_GENERIC_NUMBER = re.compile(r"\b(?:van ban|vb)\s*(?:so\s*)?(\d{2,5})\b(?!\s*/)")
_CRITERION = re.compile(r"\b(?:tieu\s*chi|tc)\s*(?:so\s*|thu\s*)?(\d{1,2})\b")
_PERIOD = re.compile(r"\b((?:19|20)\d\d)\s*(?:-|–|den|toi)\s*((?:19|20)\d\d)\b")
# "năm 2023", and the points in time officers type without "năm": "hết 2023", "cuối 2023" ("đến 2025" is a
# target's deadline, not a date to judge validity at, so it is left out)
_TIME_WORDS = ("nam", "het", "cuoi", "thang", "ngay")  # what _YEAR, _MONTH and _ASCII_DATE read
_YEAR = re.compile(r"\b(?:nam|het|cuoi)\s+((?:19|20)\d\d)\b")
_MONTH = re.compile(r"\bthang\s+(\d{1,2})\s*(?:/|nam)\s*((?:19|20)\d\d)\b")
_ASCII_DATE = re.compile(r"\b(\d{1,2})\s+thang\s+(\d{1,2})\s+nam\s+((?:19|20)\d\d)\b")
_NOW = ("hien nay", "hien tai", "hien hanh", "bay gio", "moi nhat", "dang ap dung", "con hieu luc",
        "dang co hieu luc", "hom nay")
# Questions asking for a figure: the answer must then quote a sentence that states one.
_QUANTITY = ("bao nhieu", "toi thieu", "toi da", "bao lau", "may ", "so luong", "ngay nao", "khi nao", "bao gio",
             "thoi han", "nam nao")
_NEW_SET = ("bo tieu chi moi", "51/2025", "qd 51", "quyet dinh 51")


@dataclass(frozen=True)
class Criterion:
    """A criterion number resolved against the criteria set that governs the question's date."""

    number: int
    name: str
    decision: str  # the decision that numbers it, e.g. 318/QĐ-TTg


@dataclass(frozen=True)
class QueryPlan:
    """A question and what was understood from it; `search_text` is what retrieval embeds and matches."""

    original: str
    text: str
    search_text: str
    unaccented: bool
    numbers: tuple[str, ...]  # document numbers the question names, canonical spelling
    criterion: Criterion | None
    as_of: date
    as_of_source: str  # "request" | "question" | "period" | "today"
    period: str | None
    year: int | None
    wants_quantity: bool
    entities: tuple[tuple[str, ...], ...] = ()  # names the evidence must mention (each: alternative spellings)
    unresolved: tuple[str, ...] = ()  # document numbers written out in the question that nothing indexed has
    asks: tuple[tuple[Ask, "QueryPlan"], ...] = ()  # each ask with its own plan (the first MAX_ASKS)
    kind: str = "other"  # the kind of answer expected (retrieval.asks.KINDS)
    own_text: str = ""  # an ask's own words, when its search text also borrows the ask before's
    folded: str = ""  # the text folded, typos corrected: what the question words are read from
    extra_asks: tuple[str, ...] = ()  # asks beyond MAX_ASKS: the officer is asked to send them separately
    units: tuple = ()  # administrative units the message names (knowledge.unit_lookup.Lookup), set by the asker
    retrieval_extra: str = ""  # searched for but not required of a quote: a unit's names in the other era
    # a unit's name as asked (folded words) and its names in the other era: a sentence naming either holds it
    aliases: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = ()


def _criteria_set(entries: Sequence[CatalogueEntry], new_set: bool) -> CatalogueEntry | None:
    # Officers and nearly all documents number criteria as the 2021-2025 set (19 criteria); the 2026-2030 set
    # (10 criteria) is used only when the question points at it.
    with_criteria = [e for e in entries if e.criteria and e.level == "central"]
    if not with_criteria:
        return None
    with_criteria.sort(key=lambda e: e.signed or "", reverse=new_set)
    return with_criteria[0]


def _typed_known(cand: str, known: dict[str, str]) -> str | None:
    """"KH 88" → the one indexed number 88/…KH… (None when several documents could be meant)."""
    m = re.match(r"(" + _TYPE_WORDS + r")\.?\s*(?:so\s*)?(\d{1,5})(?:\s*/\s*((?:19|20)\d\d))?", cand)
    if not m:
        return None
    code, digits, year = TYPED_NUMBER_CODES[m.group(1)], m.group(2), m.group(3)
    hits = [n for k, n in known.items() if k.startswith(digits + "/") and (not year or f"/{year}/" in k)
            and code in k.split("/", 1)[1]]
    return hits[0] if len(hits) == 1 else None


def resolve_numbers(text: str, folded: str, entries: Sequence[CatalogueEntry],
                    known: dict[str, str]) -> list[str]:
    """Document numbers named in a text, in any spelling, resolved to the catalogue's or the index's."""
    found: list[str] = []
    whole = [m.group(0) for m in DOC_NUMBER_RE.finditer(text)]
    typed = [m.group(0) for m in _TYPED_NUMBER.finditer(folded)]
    for cand in whole + typed:
        entry = find_entry(entries, cand)
        number = entry.number if entry else known.get(number_key(cand))
        if number is None and cand in typed:
            number = _typed_known(cand, known)
        if number and number not in found:
            found.append(number)
    for m in _GENERIC_NUMBER.finditer(folded):  # "văn bản 5424": the one document with that number, if one
        hits = {n for n in [*(e.number for e in entries), *known.values()] if number_key(n).startswith(m.group(1) + "/")}
        if len(hits) == 1 and (number := hits.pop()) not in found:
            found.append(number)
    return found


def _as_of(text: str, folded: str, today: date) -> tuple[date | None, str | None, int | None]:
    """(date, period, year) named by the question's time words."""
    m = ANY_DATE.search(text) or _ASCII_DATE.search(folded)
    if m and (day := iso(m.groups())):
        return date.fromisoformat(day), None, None
    if pm := _PERIOD.search(folded):
        start, end = int(pm.group(1)), int(pm.group(2))
        if start < end:
            period = f"{start}-{end}"
            if any(w in folded for w in _NOW) or date(start, 1, 1) <= today <= date(end, 12, 31):
                return today, period, None
            return (date(end, 12, 31) if today.year > end else date(start, 1, 1)), period, None
    if mm := _MONTH.search(folded):
        month, year = int(mm.group(1)), int(mm.group(2))
        if 1 <= month <= 12:
            return date(year, month, calendar.monthrange(year, month)[1]), None, year
    if ym := _YEAR.search(folded):
        year = int(ym.group(1))
        return (date(year, 12, 31) if year < today.year else today if year == today.year else date(year, 1, 1)), None, year
    if any(w in folded for w in _NOW):
        return today, None, None
    return None, None, None


def _criterion(folded: str, decision: CatalogueEntry | None) -> Criterion | None:
    """The criterion a question names by number ("TC17", "tiêu chí số 10") or by name with "tiêu chí"/"chuẩn"."""
    if decision is None:
        return None
    if cm := _CRITERION.search(folded):
        n = int(cm.group(1))
        return Criterion(n, decision.criteria[n - 1], decision.number) if 1 <= n <= len(decision.criteria) else None
    if not any(w in folded for w in ("tieu chi", "dat chuan", "chi tieu", "tc ")):
        return None
    words = " ".join(re.findall(r"\w+", folded))
    for n, name in enumerate(decision.criteria, 1):
        key = " ".join(folded_words(name))
        # one-word names ("Điện", "Y tế" is two) are too common to identify a criterion by themselves
        if len(key.split()) >= 2 and re.search(rf"\b{re.escape(key)}\b", words):
            return Criterion(n, name, decision.number)
    return None


def understand(question: str, entries: Sequence[CatalogueEntry], abbreviations: dict[str, str], *,
               known_numbers: Iterable[str] = (), today: date | None = None, as_of: date | None = None) -> QueryPlan:
    """Parse a question as typed: it is normalised here (NFC, single spaces), then read by `parse_question`."""
    return parse_question(normalise_question(question or ""), entries, abbreviations, known_numbers=known_numbers,
                          today=today, as_of=as_of, original=question)


def parse_question(text: str, entries: Sequence[CatalogueEntry], abbreviations: dict[str, str], *,
                   known_numbers: Iterable[str] = (), today: date | None = None, as_of: date | None = None,
                   original: str | None = None) -> QueryPlan:
    """The plan of a question already normalised by `normalise_question`: named documents and criterion, as-of
    date, and the search text (the question plus expansions)."""
    today, known_numbers = today or date.today(), tuple(known_numbers)
    plan = _parse_one(text, entries, abbreviations, known_numbers, today, as_of, original)
    vocabulary = vocabulary_of(entries)
    asks = split_asks(text, vocabulary)
    corrected = [w for w in plan.folded.split() if w not in fold(text).split()]  # read once, in _parse_one
    if corrected:  # typos corrected against the domain's words are searched for too
        plan = replace(plan, search_text=f"{plan.search_text} {' '.join(dict.fromkeys(corrected))}")
    if len(asks) == 1:
        plan = replace(plan, kind=asks[0].kind)
        return replace(plan, asks=((asks[0], plan),))
    plans = tuple((a, _ask_plan(a, asks[i - 1] if i else None, plan, entries, abbreviations, known_numbers, today,
                                as_of)) for i, a in enumerate(asks[:MAX_ASKS]))
    return replace(plan, asks=plans, extra_asks=tuple(a.text for a in asks[MAX_ASKS:]))


def _ask_plan(ask: Ask, before: Ask | None, message: QueryPlan, entries: Sequence[CatalogueEntry],
              abbreviations: dict[str, str], known_numbers: Iterable[str], today: date, as_of: date | None) -> QueryPlan:
    """The plan of one ask: its own words and what it leans on; the message's date and places when it names none."""
    plan = _parse_one(ask.search_text, entries, abbreviations, known_numbers, today, as_of, ask.text)
    if before is not None and not (plan.numbers or plan.entities) and before.search_text not in ask.search_text:
        # "…mấy xã đạt chuẩn, mấy xã kiểu mẫu": an ask naming no document or place is about the one before's
        plan = _parse_one(f"{ask.search_text} {before.search_text}", entries, abbreviations, known_numbers, today,
                          as_of, ask.text)
    if plan.as_of_source == "today" and message.as_of_source != "today" and not A_YEAR.search(ask.text):
        # The message's date ("…, tính đến cuối năm 2023") dates its asks, except one that states its own year
        # ("Mục tiêu đến 2025 …, mà tỉnh X hết 2023 đạt bao nhiêu": the target is not dated 2023).
        plan = replace(plan, as_of=message.as_of, as_of_source=message.as_of_source, period=message.period,
                       year=message.year)
    own = place_names(ask.text, abbreviations)
    if own:  # "… còn tỉnh Sơn Lâm thì sao?": the place it names, not the one before's
        plan = replace(plan, entities=tuple(own))
    return replace(plan, wants_quantity=plan.wants_quantity and ask.kind in ("figure", "date", "other"),
                   kind=ask.kind, own_text=ask.text)


_VOCABULARIES: dict[int, tuple[Sequence[CatalogueEntry], Vocabulary]] = {}


def vocabulary_of(entries: Sequence[CatalogueEntry]) -> Vocabulary:
    """The domain's words (the catalogue's titles, summaries, topics, criteria; the question phrases), built once."""
    held = _VOCABULARIES.get(id(entries))
    if held is None or held[0] is not entries:
        # the question phrases and the time words read here are words of the domain too ("bao nhiu" → "bao
        # nhiêu"; "cuối 2023" must not become "dưới 2023")
        texts = [" ".join((e.title, e.summary, e.scope, *e.topics, *e.criteria, e.issuer))
                 for e in entries] + [" ".join(c for _, cues in KIND_CUES for c in cues)] * TYPO_MIN_COUNT
        texts += list(_TIME_WORDS) * TYPO_MIN_COUNT  # each alone: no word pairs with the phrases
        held = (entries, Vocabulary(texts))
        _VOCABULARIES.clear()
        _VOCABULARIES[id(entries)] = held
    return held[1]


def _parse_one(text: str, entries: Sequence[CatalogueEntry], abbreviations: dict[str, str],
               known_numbers: Iterable[str], today: date, as_of: date | None, original: str | None) -> QueryPlan:
    folded = vocabulary_of(entries).correct(fold(text))  # "bao nhiu" is read as "bao nhieu"
    known = {number_key(n): n for n in known_numbers if n}
    numbers = resolve_numbers(text, folded, entries, known)
    asked, period, year = _as_of(text, folded, today)
    source = "request" if as_of else ("question" if asked and not period else "period" if asked else "today")
    new_set = any(w in folded for w in _NEW_SET) or period == "2026-2030"
    criterion = _criterion(folded, _criteria_set(entries, new_set))
    expansions = _expansions(text, abbreviations, criterion, numbers)
    search_text = " ".join([text, *expansions])
    return QueryPlan(original=text if original is None else original, text=text, search_text=search_text, folded=folded,
                     unaccented=not has_diacritics(text), numbers=tuple(numbers), criterion=criterion,
                     as_of=as_of or asked or today, as_of_source=source, period=period, year=year,
                     wants_quantity=any(w in folded + " " for w in _QUANTITY),
                     entities=tuple(place_names(text, abbreviations)),
                     unresolved=tuple(n for n in (m.group(0) for m in DOC_NUMBER_RE.finditer(text))
                                      if not resolve_numbers(n, fold(n), entries, known)))


def _expansions(text: str, abbreviations: dict[str, str], criterion: Criterion | None,
                numbers: Sequence[str]) -> list[str]:
    """What the search text adds to the question: abbreviations spelled out, the criterion, canonical numbers."""
    expansions: list[str] = []
    without_numbers = DOC_NUMBER_RE.sub(" ", text)
    for token in re.findall(r"[\wĐđ&]+(?:-[\wĐđ]+)?", without_numbers):
        exp = abbreviations.get(fold(token).upper())
        # Abbreviations are written in capitals; "tt" or "cv" in lower case may be ordinary words.
        if exp and (token.isupper() or len(token) > 3 or token.lower() in ("cv", "qđ", "qd", "kh")) \
                and exp.lower() not in text.lower() and exp not in expansions:
            expansions.append(exp)
    if criterion and criterion.name.lower() not in text.lower():
        expansions.append(f"tiêu chí số {criterion.number} {criterion.name}")
    expansions += [number for number in numbers if number not in text]
    return expansions
