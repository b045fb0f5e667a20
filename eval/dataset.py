"""Question-answering evaluation sets: the JSONL format, its loader and a validator against the corpus.

A set is a UTF-8 JSONL file (e.g. `eval/datasets/ntm_dev.jsonl`), one JSON object per line, with keys:

  id                unique string, e.g. "dev-001"
  question          the question as an officer would type it (Vietnamese, with or without diacritics)
  category          one of CATEGORIES (fact, which_document, procedure, validity, no_diacritics,
                    abbreviation, multi_document, unanswerable)
  expected_sources  file paths relative to the corpus root, e.g. "ntm/QD-318-2022-TTg.txt", or a prefix that
                    only one file has ("ntm/related/baohatinh-2023", for a file name long enough to read as
                    prose); for an unanswerable item, the documents closest to the topic (may be empty)
  answer_facts      list of facts, each a list of accepted alternative strings, e.g. [["15", "mười lăm"]];
                    a correct answer contains at least one alternative of every fact; [] when unanswerable
  answerable        true, or false when the corpus does not contain the answer
  reference_answer  one or two short sentences written in our own words (never copied from the sources)
  as_of             optional ISO date ("2024-06-01") when the answer depends on the date
  tags              optional list of TAGS: how the message is written and what it is about (multi_ask,
                    no_diacritics, typo, chatty, abbreviation, admin_units, validity, metadata, criteria,
                    new_name, old_name, ambiguous, threshold_absent, group_definition); an expected source may
                    also be the data package "vietnamadminunits" (its facts are checked by its own tests)
  split             optional "dev" (tune on it) or "test" (frozen: report it, never tune to it, never edit it);
                    set once, at random, by `python -m eval.split`

Strings are NFC-normalised on load; blank lines are skipped. Every fact must have at least one
alternative that occurs literally (case-insensitive, NFC, whitespace collapsed) in one of the item's
expected sources; `validate_dataset` checks that.

    python -m eval.dataset eval/datasets/ntm_dev.jsonl --corpus ../shared/corpus

prints the number of items per category and any problems (exit code 1 when there are problems).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from knowledge.admin_units import PACKAGE as UNITS_PACKAGE
from knowledge.text import nfc

DATA_SOURCES = frozenset({UNITS_PACKAGE})  # expected sources that are data packages, not corpus files
CATEGORIES = (
    "fact", "which_document", "procedure", "validity", "no_diacritics", "abbreviation", "multi_document", "unanswerable",
    "metadata",
)
TAGS = ("multi_ask", "no_diacritics", "typo", "chatty", "abbreviation", "admin_units", "validity", "metadata",
        "criteria", "new_name", "old_name", "ambiguous", "threshold_absent", "group_definition")
SPLITS = ("dev", "test")
REQUIRED_KEYS = ("id", "question", "category", "expected_sources", "answer_facts", "answerable", "reference_answer")
OPTIONAL_KEYS = ("as_of", "tags", "split")
DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


class DatasetError(ValueError):
    """A malformed line of a dataset file; `line` and `field` say where."""

    def __init__(self, path: str | Path, line: int, field: str, message: str):
        super().__init__(f"{path}:{line}: {field}: {message}")
        self.line, self.field = line, field


@dataclass(frozen=True)
class QAItem:
    """One question of an evaluation set; the fields are those of a JSONL line (see the module docstring)."""

    id: str
    question: str
    category: str
    expected_sources: tuple[str, ...]
    answer_facts: tuple[tuple[str, ...], ...]
    answerable: bool
    reference_answer: str
    as_of: str | None = None
    tags: tuple[str, ...] = ()
    split: str | None = None


def normalize_for_match(text: str) -> str:
    """NFC, case-folded and with runs of whitespace collapsed to one space: the form facts are matched in."""
    return " ".join(nfc(text).casefold().split())


def _parse(obj: object, fail) -> QAItem:
    if not isinstance(obj, dict):
        fail("line", "expected a JSON object")
    for key in [k for k in obj if k not in REQUIRED_KEYS + OPTIONAL_KEYS] + [k for k in REQUIRED_KEYS if k not in obj]:
        fail(key, "unknown key" if key in obj else "missing key")
    for key in ("id", "question", "reference_answer", "category"):
        if not isinstance(obj[key], str) or not obj[key].strip():
            fail(key, "must be a non-empty string")
    if obj["category"] not in CATEGORIES:
        fail("category", f"unknown category {obj['category']!r}; expected one of {', '.join(CATEGORIES)}")
    if not isinstance(obj["answerable"], bool):
        fail("answerable", "must be true or false")
    sources = obj["expected_sources"]
    if not isinstance(sources, list) or not all(isinstance(s, str) and s.strip() for s in sources):
        fail("expected_sources", "must be a list of non-empty strings")
    facts = obj["answer_facts"]
    if not isinstance(facts, list) or not all(
        isinstance(f, list) and f and all(isinstance(a, str) and a.strip() for a in f) for f in facts
    ):
        fail("answer_facts", "must be a list of non-empty lists of non-empty strings")
    if obj["answerable"] and not (facts and sources):
        fail("answer_facts" if not facts else "expected_sources", "an answerable item needs facts and sources")
    if not obj["answerable"] and facts:
        fail("answer_facts", "an unanswerable item must have no facts")
    as_of = obj.get("as_of")
    if as_of is not None:
        try:
            dt.date.fromisoformat(as_of)
        except (TypeError, ValueError):
            fail("as_of", f"must be an ISO date YYYY-MM-DD, got {as_of!r}")
    tags = obj.get("tags", [])
    if not isinstance(tags, list) or any(t not in TAGS for t in tags):
        fail("tags", f"must be a list of tags from {', '.join(TAGS)}")
    if obj.get("split") not in (None, *SPLITS):
        fail("split", f"must be one of {', '.join(SPLITS)}")
    return QAItem(
        id=nfc(obj["id"]),
        question=nfc(obj["question"]),
        category=obj["category"],
        expected_sources=tuple(nfc(s) for s in sources),
        answer_facts=tuple(tuple(nfc(a) for a in f) for f in facts),
        answerable=obj["answerable"],
        reference_answer=nfc(obj["reference_answer"]),
        as_of=as_of,
        tags=tuple(tags),
        split=obj.get("split"),
    )


def load_dataset(path: str | Path) -> list[QAItem]:
    """Read a JSONL dataset; raise DatasetError naming the line and field of the first malformed line."""
    items: list[QAItem] = []
    seen: dict[str, int] = {}
    with open(path, encoding="utf-8") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue

            def fail(field: str, message: str, _n: int = lineno):
                raise DatasetError(path, _n, field, message)

            try:
                obj = json.loads(raw)
            except json.JSONDecodeError as exc:
                fail("line", f"not valid JSON ({exc.msg})")
            item = _parse(obj, fail)
            if item.id in seen:
                fail("id", f"duplicate id {item.id!r} (first on line {seen[item.id]})")
            seen[item.id] = lineno
            items.append(item)
    return items


def to_dict(item: QAItem) -> dict:
    """The JSON object for one item, in the file's key order (as_of, tags and split only when set)."""
    out = {"id": item.id, "question": item.question, "category": item.category,
           "expected_sources": list(item.expected_sources), "answer_facts": [list(f) for f in item.answer_facts],
           "answerable": item.answerable, "reference_answer": item.reference_answer}
    out |= {"as_of": item.as_of} if item.as_of is not None else {}
    out |= {"tags": list(item.tags)} if item.tags else {}
    return out | ({"split": item.split} if item.split else {})


def source_path(corpus_root: str | Path, source: str) -> str | None:
    """The corpus-relative path an expected source names: the file itself, or the one file with that prefix."""
    root = Path(corpus_root)
    if (root / source).is_file():
        return source
    folder, _, stem = source.rpartition("/")
    base = root / folder
    hits = [p for p in base.iterdir() if p.is_file() and p.name.startswith(stem)] if stem and base.is_dir() else []
    return f"{folder}/{hits[0].name}".lstrip("/") if len(hits) == 1 else None


def resolve_sources(items: list[QAItem], corpus_root: str | Path) -> list[QAItem]:
    """The items with each expected source written as its full corpus-relative path (unresolvable ones kept)."""
    return [replace(it, expected_sources=tuple(source_path(corpus_root, s) or s for s in it.expected_sources))
            for it in items]


def validate_dataset(items: list[QAItem], corpus_root: str | Path) -> list[str]:
    """Problems (missing source files, facts found in none of their sources) as readable strings."""
    root = Path(corpus_root)
    texts: dict[str, str | None] = {}
    problems: list[str] = []
    for item in items:
        found: list[str] = []
        for source in item.expected_sources:
            if source in DATA_SOURCES:  # a data package, checked by its own tests rather than by text search
                continue
            if source not in texts:
                path = source_path(root, source)
                texts[source] = normalize_for_match((root / path).read_text(encoding="utf-8")) if path else None
            if texts[source] is None:
                problems.append(f"{item.id}: expected source {source!r} does not exist under {root} "
                                "(nor is it the prefix of exactly one file)")
            else:
                found.append(texts[source])
        for n, fact in enumerate(item.answer_facts, start=1):
            if DATA_SOURCES & set(item.expected_sources):  # the data package may hold the fact: not a text check
                break
            if not any(normalize_for_match(alt) in text for alt in fact for text in found):
                problems.append(f"{item.id}: fact {n} {list(fact)} occurs in none of {list(item.expected_sources)}")
    return problems


def category_counts(items: list[QAItem]) -> dict[str, int]:
    """Number of items per category, in CATEGORIES order (zero counts included)."""
    counts = Counter(item.category for item in items)
    return {c: counts.get(c, 0) for c in CATEGORIES}


def main(argv: list[str] | None = None) -> int:
    """Command line: print counts per category and the problems of a dataset; 1 when there are problems."""
    parser = argparse.ArgumentParser(prog="python -m eval.dataset", description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="JSONL dataset")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="corpus root (default: ../shared/corpus)")
    args = parser.parse_args(argv)
    try:
        items = load_dataset(args.path)
    except (DatasetError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    unanswerable = sum(not i.answerable for i in items)
    print(f"{args.path}: {len(items)} items, {unanswerable} unanswerable ({unanswerable / max(len(items), 1):.0%})")
    for category, n in category_counts(items).items():
        print(f"  {category:<15} {n}")
    problems = validate_dataset(items, args.corpus)
    for problem in problems:
        print(f"problem: {problem}")
    print(f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
