"""``huzhu drill report INCIDENT_ID --report out/``: the KPI report of any incident on the
configured database — a real one, a live drill, or a drill database kept with
``--database`` — read-only, with the same KPIs and page as a drill's own report.

Registered by :mod:`plans.drills.cli`. A malformed id or time exits with code 2 naming
it; an unknown incident with code 1.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from core.config import get_settings
from core.db import Database
from core.errors import NotFound
from core.sync import run
from plans.drills.report import build_report


def _bad(what: str, value: str, why: str) -> typer.Exit:
    Console(stderr=True, soft_wrap=True).print(f"[red]{what}: {value!r} {why}[/red]")
    return typer.Exit(code=2)


def report(
    incident: Annotated[str, typer.Argument(metavar="INCIDENT_ID", help="The incident's id")],
    out: Annotated[Path, typer.Option("--report", help="Directory for report.html and .json")],
    until: Annotated[
        str | None,
        typer.Option(help="Score up to this ISO 8601 time (default: stand-down, or now)"),
    ] = None,
) -> None:
    """Write the KPI report (report.json, report.html) of an incident on the configured
    database, read-only."""
    try:
        incident_id = uuid.UUID(incident)
    except ValueError:
        raise _bad("INCIDENT_ID", incident, "is not a UUID") from None
    try:
        end = datetime.fromisoformat(until.replace("Z", "+00:00")) if until else None
    except ValueError:
        raise _bad("--until", str(until), "is not an ISO 8601 time") from None
    if end is not None and end.tzinfo is None:
        end = end.replace(tzinfo=UTC)

    async def go() -> tuple[Path, Path]:
        db = Database.configured(get_settings())
        try:
            async with db.reader() as session:
                meta = {"source": "database", "incident_id": str(incident_id)}
                return await build_report(session, incident_id=incident_id, out_dir=out,
                                          meta=meta, until=end)  # fmt: skip
        finally:
            await db.dispose()

    try:
        paths = run(go())
    except NotFound as exc:
        Console(stderr=True).print(f"[red]{exc.detail}[/red]")
        raise typer.Exit(code=1) from exc
    for path in paths:
        Console().print(f"wrote {path}")
