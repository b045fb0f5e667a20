"""`ntm units`: what became of an administrative unit in the 2025 re-arrangement (no model or index needed)."""

from __future__ import annotations

import typer


def units(
    name: str = typer.Argument(..., help="A unit as typed: \"xã Long Trị A, Hậu Giang\", \"huyen nong cong\"."),
    as_json: bool = typer.Option(False, "--json", help="Print the same JSON as GET /api/units."),
) -> None:
    """Look up a commune, district or province before or after the 2025 re-arrangement.

    Exit codes: 0 found or several candidates listed, 1 no unit has that name, 2 the name is unusable.
    """
    from knowledge.admin_units import REARRANGED_FROM
    from knowledge.unit_lookup import lookup
    from ntm.reference_models import UnitsResponse
    from ntm.routes.reference import unit_out
    from ntm.services import load_units
    from retrieval.unit_text import describe

    data = load_units()
    found = lookup(data, name)
    lines = describe(data, found) if found.status == "found" else []
    if as_json:
        typer.echo(UnitsResponse(query=found.query, status=found.status, reason=found.reason,
                                 units=[unit_out(data, u) for u in found.units],
                                 text=" ".join(lines) or found.reason, source=data.source, version=data.version,
                                 rearranged_from=REARRANGED_FROM).model_dump_json())
    else:
        typer.echo("\n".join(([found.reason] if found.reason else []) + lines))
        if lines:
            typer.echo(f"(Nguồn: dữ liệu {data.source})")
    if found.status in ("invalid", "unknown"):
        raise typer.Exit(2 if found.status == "invalid" else 1)
