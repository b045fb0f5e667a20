"""The criteria table (knowledge/criteria.yaml): for each NTM criteria set (period, level, grade) its document,
groups or regions, the thresholds an indexed document states, and where the ones the corpus lacks are."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import yaml

from knowledge.catalogue import CatalogueEntry, entry_for
from knowledge.text import fold

DEFAULT_PATH = Path(__file__).with_name("criteria.yaml")


class CriteriaError(ValueError):
    """The criteria table is malformed; says which set and field."""


@dataclass(frozen=True)
class Stated:
    """A threshold or condition a corpus file states, in our words, with the document it comes from."""

    indicator: str
    value: str
    corpus_file: str
    document: str
    criterion: int | None = None
    applies_to: str = ""
    find: str = ""  # words to find the passage in its file, in the file's language (an English rendering)


@dataclass(frozen=True)
class CriteriaSet:
    """One criteria set: `zoning` is "regions" (7 regions), "groups" (commune groups 1-3) or ""."""

    id: str
    period: str
    level: str
    grade: str
    document: str
    missing: str
    missing_where: str
    appendix: str = ""
    amended_by: tuple[str, ...] = ()
    zoning: str = ""
    zoning_note: str = ""
    zoning_source: str = ""
    indicators: int | None = None
    groups: tuple[tuple[str, tuple[int, ...]], ...] = ()  # content groups: (name, criterion numbers)
    groups_in_corpus: bool = True
    commune_groups: tuple[tuple[int, str], ...] = ()  # commune group number → definition
    stated: tuple[Stated, ...] = ()

    def criteria(self, catalogue: Sequence[CatalogueEntry]) -> tuple[str, ...]:
        """The criterion names, from the catalogue entry of the set's document (one list, kept there)."""
        entry = entry_for(catalogue, self.document)
        return entry.criteria if entry and self.grade == "NTM" and self.level == "xã" else ()

    def group_of(self, number: int) -> str | None:
        """The content group a criterion belongs to."""
        return next((name for name, members in self.groups if number in members), None)


@dataclass(frozen=True)
class Region:
    """One of the seven regions of the 2021-2025 sets, with the short forms officers type."""

    name: str
    short: tuple[str, ...]

    def named_in(self, folded: str) -> bool:
        """True when the folded text names the region by its name or a short form."""
        return any(f" {fold(n)} " in f" {folded} " for n in (self.name, *self.short))


@dataclass(frozen=True)
class CriteriaTable:
    """Every set and region of the table."""

    sets: tuple[CriteriaSet, ...]
    regions: tuple[Region, ...]


def _stated(raw: dict, sid: str) -> Stated:
    try:
        return Stated(str(raw["indicator"]), str(raw["value"]), str(raw["corpus_file"]), str(raw["document"]),
                      raw.get("criterion"), str(raw.get("applies_to") or ""), str(raw.get("find") or ""))
    except KeyError as missing:
        raise CriteriaError(f"set {sid}: a stated fact lacks {missing}") from None


def _set(raw: dict[str, Any]) -> CriteriaSet:
    sid = str(raw.get("id") or "?")
    for key in ("id", "period", "level", "grade", "document", "missing", "missing_where"):
        if not raw.get(key):
            raise CriteriaError(f"set {sid}: missing {key}")
    return CriteriaSet(
        sid, str(raw["period"]), str(raw["level"]), str(raw["grade"]), str(raw["document"]), str(raw["missing"]),
        str(raw["missing_where"]), str(raw.get("appendix") or ""), tuple(raw.get("amended_by") or ()),
        str(raw.get("zoning") or ""), str(raw.get("zoning_note") or "").strip(), str(raw.get("zoning_source") or ""),
        raw.get("indicators"), tuple((g["name"], tuple(g["criteria"])) for g in raw.get("groups") or ()),
        bool(raw.get("groups_in_corpus", True)),
        tuple((int(g["n"]), str(g["definition"])) for g in raw.get("commune_groups") or ()),
        tuple(_stated(s, sid) for s in raw.get("stated") or ()))


def load_criteria(path: Path = DEFAULT_PATH) -> CriteriaTable:
    """Read and check the table; raises CriteriaError naming the set at fault."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    sets = tuple(_set(s) for s in raw.get("sets") or ())
    regions = tuple(Region(r["name"], tuple(r.get("short") or ())) for r in raw.get("regions") or ())
    if len({s.id for s in sets}) != len(sets):
        raise CriteriaError("two sets share an id")
    return CriteriaTable(sets, regions)
