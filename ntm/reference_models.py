"""Response bodies of the reference routes: administrative units (GET /api/units) and criteria (GET /api/criteria)."""

from __future__ import annotations

from pydantic import BaseModel


class UnitLink(BaseModel):
    """A unit of the other era: `whole` when the old unit went entirely into the new one."""

    name: str
    province: str
    district: str = ""
    code: str = ""
    whole: bool = True


class UnitOut(BaseModel):
    """One unit, what it became (`now`) or what it was formed from (`formed_from`)."""

    name: str
    level: str
    tier: str  # commune, district or province
    era: str  # old (before 01/7/2025) or new
    province: str
    district: str = ""
    code: str = ""
    now: list[UnitLink] = []
    formed_from: list[UnitLink] = []


class UnitsResponse(BaseModel):
    """The lookup of one typed name: found (one place) or ambiguous (candidates), with the answer's sentences."""

    query: str
    status: str
    reason: str = ""
    units: list[UnitOut]
    text: str
    source: str
    version: str
    rearranged_from: str


class CriterionOut(BaseModel):
    """A criterion of a set, with its content group where the table gives one."""

    number: int
    name: str
    group: str | None = None


class StatedOut(BaseModel):
    """A threshold or condition a corpus file states, and the document it comes from."""

    indicator: str
    value: str
    document: str
    corpus_file: str
    criterion: int | None = None
    applies_to: str = ""


class CriteriaSetOut(BaseModel):
    """One criteria set of the table."""

    id: str
    period: str
    level: str
    grade: str
    document: str
    appendix: str = ""
    amended_by: list[str] = []
    criteria: list[CriterionOut] = []
    commune_groups: dict[int, str] = {}
    regions: list[str] = []
    stated: list[StatedOut] = []
    missing: str
    missing_where: str


class CriteriaResponse(BaseModel):
    """The sets matching the request and, when a criterion, region or group was asked, the answer's text."""

    sets: list[CriteriaSetOut]
    text: str = ""
    answered: bool = True
