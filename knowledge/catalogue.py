"""Document catalogue: facts about NTM documents (number, dates, status, relations) kept in YAML; the entry
model, its validation, and lookups by number as people type it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

import yaml

from knowledge import CATALOGUE_PATH as DEFAULT_PATH
from knowledge.dates import earliest_day
from knowledge.doctypes import CATALOGUE_TYPE_WORDS, CATALOGUE_TYPES, words_pattern
from knowledge.text import fold, nfc

STATUSES = ("in_force", "amended", "replaced", "expired", "guidance", "local_plan")
LEVELS = ("central", "local")
COMPLETENESS = ("full", "partial", "summary", "none")
RELATIONS = ("amends", "amended_by", "replaces", "replaced_by", "follows", "followed_by", "related")
INVERSE = {"amends": "amended_by", "replaces": "replaced_by", "follows": "followed_by", "related": "related"}
INVERSE.update({v: k for k, v in INVERSE.items()})
_REQUIRED = ("id", "number", "type", "title", "issuer", "signed", "status", "status_as_of", "scope",
             "summary", "completeness_note")
_LISTS = ("aliases", "topics") + RELATIONS
_OPTIONAL_TEXT = ("signer", "period", "corpus_file", "note", "effective", "expires", "level", "criteria")
# Every answer looks numbers up in the catalogue thousands of times (find_entry keys each entry's number and
# aliases): kept keys saved ~3-4 ms of ~45 ms CPU per answer. More than the catalogue's numbers and aliases.
NUMBER_KEYS_KEPT = 4096
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")  # ISO date; "YYYY" and "YYYY-MM" only where partial is allowed
_QUERY = re.compile(r"(?:(?<![a-z])(?P<kind>" + words_pattern(CATALOGUE_TYPE_WORDS)
                    + r")[\s.:]*)?(?:so\s*)?(?P<num>\d{1,5})(?:\s*/\s*(?P<year>(?:19|20)\d{2})(?!\d))?"
                    r"(?P<rest>[/\-][\w/\-]*)?")


class CatalogueError(ValueError):
    """A catalogue entry is invalid; `entry_id` and `field` say where."""

    def __init__(self, entry_id: str, field: str, message: str) -> None:
        super().__init__(f"catalogue entry {entry_id}, field {field}: {message}")
        self.entry_id = entry_id
        self.field = field


@dataclass(frozen=True)
class CatalogueEntry:
    """Facts about one document; dates are ISO strings (`signed` may be just "YYYY" or "YYYY-MM")."""

    id: str
    number: str
    type: str
    title: str
    issuer: str
    signed: str | None
    status: str
    status_as_of: str
    scope: str
    summary: str
    completeness_note: str
    aliases: tuple[str, ...] = ()
    level: str = "central"
    signer: str | None = None
    effective: str | None = None
    expires: str | None = None
    period: str | None = None
    amends: tuple[str, ...] = ()
    amended_by: tuple[str, ...] = ()
    replaces: tuple[str, ...] = ()
    replaced_by: tuple[str, ...] = ()
    follows: tuple[str, ...] = ()
    followed_by: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    criteria: tuple[str, ...] = ()
    corpus_file: str | None = None
    note: str | None = None


@lru_cache(maxsize=NUMBER_KEYS_KEPT)
def number_key(text: str) -> str:
    """Spelling-insensitive key for a document number or alias ("QĐ 318" -> "qd318")."""
    return re.sub(r"[^a-z0-9/]", "", fold(text))


def _date_text(value: Any, eid: str, field: str, partial: bool) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    try:
        if not _DATE.match(text) or (len(text) != 10 and not partial):
            raise ValueError
        earliest_day(text)
    except ValueError as exc:
        raise CatalogueError(eid, field, f"not a valid ISO date: {value!r}") from exc
    return text


def _criteria(value: Any, eid: str) -> tuple[str, ...]:
    names = [x.get("ten") if isinstance(x, dict) and x.get("so") == pos else x for pos, x in enumerate(value or [], 1)]
    bad = [pos for pos, name in enumerate(names, 1) if not isinstance(name, str) or not name.strip()]
    if bad:
        raise CatalogueError(eid, "criteria", f"item {bad[0]} must be a name or {{so: {bad[0]}, ten: ...}}")
    return tuple(name.strip() for name in names)


def _entry(raw: Any, index: int, as_of: Any) -> CatalogueEntry:
    if not isinstance(raw, dict):
        raise CatalogueError(f"#{index}", "entry", "must be a mapping")
    eid = str(raw.get("id") or f"#{index}")
    unknown = sorted(set(raw) - set(_REQUIRED) - set(_LISTS) - set(_OPTIONAL_TEXT))
    if unknown:
        raise CatalogueError(eid, unknown[0], "unknown field")
    raw = {"status_as_of": as_of, **raw}
    for key in _REQUIRED:
        if key not in raw or (key != "signed" and not str(raw[key] or "").strip()):
            raise CatalogueError(eid, key, "required field is missing or empty")
    period = raw.get("period")
    checks = [(re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", eid), "id", "must be a lowercase slug"),
              (re.fullmatch(r"\d{1,5}[/-]\S.*", str(raw["number"])), "number", "is not a document number"),
              (raw["type"] in CATALOGUE_TYPES, "type", f"must be one of {CATALOGUE_TYPES}"),
              (raw["status"] in STATUSES, "status", f"must be one of {STATUSES}"),
              (raw.get("level", "central") in LEVELS, "level", f"must be one of {LEVELS}"),
              (str(raw["completeness_note"]).split(":")[0].strip() in COMPLETENESS, "completeness_note",
               f"must start with one of {COMPLETENESS}"),
              (period is None or re.fullmatch(r"\d{4}(-\d{4})?", str(period)), "period", "must be YYYY or YYYY-YYYY")]
    for ok, field, message in checks:
        if not ok:
            raise CatalogueError(eid, field, message)
    lists = {}
    for key in _LISTS:
        value = raw.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise CatalogueError(eid, key, "must be a list of non-empty strings")
        lists[key] = tuple(v.strip() for v in value)
    texts = {k: str(raw[k]).strip() for k in ("number", "title", "issuer", "scope", "summary", "completeness_note")}
    dates = {k: _date_text(raw.get(k), eid, k, k == "signed")
             for k in ("signed", "effective", "expires", "status_as_of")}
    entry = CatalogueEntry(id=eid, type=raw["type"], status=raw["status"], level=raw.get("level", "central"),
                           signer=raw.get("signer"), period=None if period is None else str(period),
                           criteria=_criteria(raw.get("criteria"), eid), corpus_file=raw.get("corpus_file"),
                           note=raw.get("note"), **texts, **dates, **lists)
    if entry.status == "replaced" and not entry.replaced_by:
        raise CatalogueError(eid, "replaced_by", "status replaced needs replaced_by")
    if entry.status == "expired" and not (entry.expires or entry.period):
        raise CatalogueError(eid, "expires", "status expired needs expires or period")
    return entry


class _Loader(yaml.SafeLoader):  # keeps dates as text so that our validation sees them
    yaml_implicit_resolvers = {k: [r for r in v if r[0] != "tag:yaml.org,2002:timestamp"]
                               for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def load_catalogue(path: Path = DEFAULT_PATH) -> list[CatalogueEntry]:
    """Load and validate the catalogue YAML (a list, or a mapping with as_of/external/entries).

    The file is parsed once per process for as long as its bytes stay the same: every caller shares that parse.
    """
    return list(_parsed(Path(path).read_bytes()))


@lru_cache(maxsize=4)
def _parsed(content: bytes) -> tuple[CatalogueEntry, ...]:
    """The validated entries of a catalogue file's bytes (cached: equal bytes share one parse)."""
    try:
        data = yaml.load(nfc(content.decode("utf-8")), Loader=_Loader)  # the file is an entry point: NFC here
    except yaml.YAMLError as exc:
        raise CatalogueError("-", "yaml", str(exc)) from exc
    data = {"entries": data} if isinstance(data, list) else data
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise CatalogueError("-", "entries", "catalogue must be a list of entries or have an 'entries' list")
    external = {str(x["number"] if isinstance(x, dict) else x).strip() for x in data.get("external") or []}
    entries = [_entry(raw, i, data.get("as_of")) for i, raw in enumerate(data["entries"])]
    owners: dict[str, str] = {}
    for i, e in enumerate(entries):
        if any(other.id == e.id for other in entries[:i]):
            raise CatalogueError(e.id, "id", "duplicate id")
        for field, text in [("number", e.number)] + [("aliases", a) for a in e.aliases]:
            owner = owners.setdefault(number_key(text), e.id)
            if owner != e.id:
                raise CatalogueError(e.id, field, f"{text!r} already names entry {owner}")
    numbers = {e.number for e in entries} | external
    for e in entries:
        for field in RELATIONS:
            for n in getattr(e, field):
                if n not in numbers:
                    raise CatalogueError(e.id, field, f"{n!r} is neither a catalogue number nor external")
    return tuple(entries)


def find_entry(entries: Sequence[CatalogueEntry], query_number: str) -> CatalogueEntry | None:
    """Resolve a number as people type it ("QĐ 318", "cv 267", "318/QD-TTg") to one entry, or None."""
    key = number_key(query_number)
    for e in entries:
        if key == number_key(e.number) or key in {number_key(a) for a in e.aliases}:
            return e
    m = _QUERY.search(fold(query_number))
    if not m:
        return None
    kind, num, year = CATALOGUE_TYPE_WORDS.get(m["kind"] or ""), int(m["num"]), m["year"]
    rest = number_key(m["rest"] or "")
    cands = [e for e in entries if int(re.match(r"\d+", e.number).group()) == num]
    if year:
        cands = [e for e in cands if f"/{year}/" in e.number or (e.signed or "").startswith(year)]
    if rest:
        cands = [e for e in cands if re.sub(r"^\d+(/(19|20)\d\d)?", "", number_key(e.number)).startswith(rest)]
    if kind:
        cands = [e for e in cands if e.type == kind] or cands
    return cands[0] if len(cands) == 1 else None


def entry_for(entries: Sequence[CatalogueEntry], number: str | None) -> CatalogueEntry | None:
    """The central catalogue entry for a document number (local numbers repeat across provinces)."""
    entry = find_entry(entries, number) if number else None
    return entry if entry and entry.level == "central" else None
