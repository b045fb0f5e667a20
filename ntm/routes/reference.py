"""Reference lookups without a question: GET /api/units (administrative units before and after the 2025
re-arrangement) and GET /api/criteria (the criteria table by period, level, grade, criterion, region or group)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from knowledge.admin_units import REARRANGED_FROM, AdminUnits, Unit
from knowledge.criteria import CriteriaSet, CriteriaTable
from knowledge.text import fold, nfc
from knowledge.unit_lookup import Lookup, lookup
from ntm.api_models import ErrorResponse
from ntm.deps import ServicesDep, error_response
from ntm.reference_models import (CriteriaResponse, CriteriaSetOut, CriterionOut, StatedOut, UnitLink, UnitOut,
                                  UnitsResponse)
from retrieval.criteria_answers import criteria_answer
from retrieval.criteria_asks import CriteriaAsk
from retrieval.unit_text import describe

router = APIRouter(tags=["reference"])
MAX_QUERY_CHARS = 200  # a unit name with its district and province fits well within this
_ERRORS = {400: {"model": ErrorResponse}, 404: {"model": ErrorResponse}, 503: {"model": ErrorResponse}}


def _link(unit: Unit, whole: bool) -> UnitLink:
    return UnitLink(name=unit.name, province=unit.province, district=unit.district, code=unit.code, whole=whole)


def unit_out(units: AdminUnits, unit: Unit) -> UnitOut:
    """A unit with its links to the other era."""
    return UnitOut(name=unit.name, level=unit.level, tier=unit.tier, era=unit.era, province=unit.province,
                   district=unit.district, code=unit.code,
                   now=[_link(x.unit, x.whole) for x in units.to_new.get(unit, ())],
                   formed_from=[_link(x.unit, x.whole) for x in units.from_old.get(unit, ())])


@router.get("/api/units", response_model=UnitsResponse, responses=_ERRORS)
def api_units(services: ServicesDep, q: Annotated[str, Query(max_length=MAX_QUERY_CHARS)] = ""):
    """A unit by name (with or without diacritics, level word, old district or province): what it became."""
    units = services.units.load()
    found = lookup(units, q)
    if found.status == "invalid":
        return error_response(400, "invalid_unit_name", found.reason)
    if found.status == "unknown":
        return error_response(404, "unknown_unit", found.reason)
    return units_response(units, found)


def units_response(units: AdminUnits, found: Lookup) -> UnitsResponse:
    """The JSON of a lookup (GET /api/units and `ntm units --json`)."""
    text = " ".join(describe(units, found)) if found.status == "found" else found.reason
    return UnitsResponse(query=found.query, status=found.status, reason=found.reason,
                         units=[unit_out(units, u) for u in found.units], text=text, source=units.source,
                         version=units.version, rearranged_from=REARRANGED_FROM)


def set_out(s: CriteriaSet, table: CriteriaTable, catalogue) -> CriteriaSetOut:
    """A set of the table, with its criterion names from the catalogue."""
    names = s.criteria(catalogue)
    return CriteriaSetOut(
        id=s.id, period=s.period, level=s.level, grade=s.grade, document=s.document, appendix=s.appendix,
        amended_by=list(s.amended_by), missing=s.missing, missing_where=s.missing_where,
        criteria=[CriterionOut(number=i, name=n, group=s.group_of(i)) for i, n in enumerate(names, 1)],
        commune_groups=dict(s.commune_groups), regions=[r.name for r in table.regions] if s.zoning == "regions" else [],
        stated=[StatedOut(indicator=x.indicator, value=x.value, document=x.document, corpus_file=x.corpus_file,
                          criterion=x.criterion, applies_to=x.applies_to) for x in s.stated])


@router.get("/api/criteria", response_model=CriteriaResponse, responses=_ERRORS)
def api_criteria(services: ServicesDep, period: Annotated[str, Query(max_length=20)] = "",
                 level: Annotated[str, Query(max_length=20)] = "", grade: Annotated[str, Query(max_length=20)] = "",
                 number: Annotated[int | None, Query(ge=1, le=99)] = None,
                 region: Annotated[str, Query(max_length=60)] = "", group: Annotated[int | None, Query(ge=1, le=9)] = None):
    """The criteria sets, narrowed by period, level (xã, huyện, tỉnh) and grade; with a criterion number, a region
    or a commune group, the table's answer for it (the threshold where a document states it, else where it is)."""
    table, catalogue = services.criteria, services.catalogue
    period, level, grade, region = (nfc(x).strip() for x in (period, level, grade, region))
    sets = [s for s in table.sets if (not period or s.period == period) and (not level or s.level == level)
            and (not grade or grade in s.grade.split(", "))]
    if not sets:
        return error_response(404, "no_criteria_set", f"Không có bộ tiêu chí nào khớp (giai đoạn “{period}”, cấp "
                              f"“{level}”, hạng “{grade}”); bảng có các giai đoạn "
                              f"{', '.join(sorted({s.period for s in table.sets}))}.")
    out = CriteriaResponse(sets=[set_out(s, table, catalogue) for s in sets])
    if number is None and not region and group is None:
        return out
    named = next((r for r in table.regions if r.named_in(fold(region))), None) if region else None
    if region and named is None:
        return error_response(400, "unknown_region", f"Không có vùng “{region}”; các vùng: "
                              f"{', '.join(r.name for r in table.regions)}.")
    chosen = next((s for s in sets if s.grade == "NTM"), sets[0])  # the base set when several grades match
    ask = CriteriaAsk(chosen, number, named, group, wants_threshold=True, numbers=(number,) if number else ())
    answer = criteria_answer(ask, "", date.today(), catalogue, lambda e: [], table)
    return out.model_copy(update={"text": answer.text, "answered": answer.answered})
