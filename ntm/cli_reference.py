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
    from knowledge.unit_lookup import lookup
    from ntm.routes.reference import units_response
    from ntm.services import load_units
    from retrieval.unit_text import unit_report

    data = load_units()
    found = lookup(data, name)
    typer.echo(units_response(data, found).model_dump_json() if as_json else unit_report(data, found))
    if found.status in ("invalid", "unknown"):
        raise typer.Exit(2 if found.status == "invalid" else 1)
