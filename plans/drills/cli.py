"""``huzhu drill run|live|compare|report``: the Typer app the composition root adds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from core.sync import run
from plans.drills.cli_compare import compare
from plans.drills.cli_report import report
from plans.drills.scenario import SHIPPED, ScenarioError, load_scenario

drill_app = typer.Typer(help="Drills: scenarios through the real engine.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)
ScenarioArg = Annotated[
    str, typer.Argument(help=f"A scenario YAML file, or a shipped one: {', '.join(SHIPPED)}")
]


def _scenario(path: str) -> Any:
    try:
        return load_scenario(path)
    except ScenarioError as exc:
        err.print(f"[red]{exc.source}: invalid scenario[/red]")
        for loc, msg in exc.errors:
            err.print(f"  {loc}: {msg}")
        raise typer.Exit(code=1) from exc
    except OSError as exc:
        err.print(f"[red]cannot read {path}: {exc.strerror}[/red]")
        raise typer.Exit(code=1) from exc


@drill_app.command("run")
def drill_run(
    scenario: ScenarioArg,
    report: Annotated[Path, typer.Option(help="Directory for report.html and report.json")],
    source_db: Annotated[
        str | None, typer.Option(help="Copy the registry of this database (read-only)")
    ] = None,
    database: Annotated[
        str | None, typer.Option(help="An EMPTY database for the drill (default: temp SQLite)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON")] = False,
) -> None:
    """Run SCENARIO in an isolated database on a simulated clock; write the report."""
    from plans.drills.runner import run_drill

    s = _scenario(scenario)
    try:
        result = run(run_drill(s, out_dir=report, database_url=database, source_db=source_db,
                               progress=not as_json))  # fmt: skip
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(code=1) from exc
    summary = {"incident_id": str(result.incident_id), "phases_s": result.phases,
               "rows_written": sum(result.rows.values()), "speedup": result.meta["speedup"],
               "plan_versions": result.meta["plan_versions"], "counts": result.counts,
               "reports": [str(p) for p in result.reports or ()]}  # fmt: skip
    if as_json:
        print(json.dumps(summary, ensure_ascii=False, default=str))
        return
    table = Table(title=f"drill {s.name} (seed {s.seed})")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for phase, seconds in result.phases.items():
        table.add_row(f"wall: {phase}", f"{seconds:.1f} s")
    table.add_row("speed-up over real time", f"{result.meta['speedup']:.0f}×")
    table.add_row("rows written", f"{summary['rows_written']:,}")
    for key, n in sorted(result.counts.items()):
        table.add_row(key, f"{n:,}")
    console.print(table)
    for v in result.meta["plan_versions"]:
        console.print(
            f"plan exercised: {v['plan']} v{v['version']} ({v['communities']} communities)"
        )
    for path in result.reports or ():
        console.print(f"wrote {path}")


@drill_app.command("live")
def drill_live(
    scenario: ScenarioArg,
    speed: Annotated[float, typer.Option(min=1, max=1000, help="Speed-up over wall time")] = 60,
    match: Annotated[
        bool, typer.Option(help="Also run matching batches (when no app serves this database)")
    ] = False,
) -> None:
    """Play SCENARIO on the configured database on wall time, as a live drill with shadow
    stock, beside the running app (coordinators watch it on the map)."""
    from plans.drills.live import run_live

    s = _scenario(scenario)
    incident_id = run(run_live(s, speed=speed, match=match, progress=True))
    console.print(f"live drill {incident_id} finished")


drill_app.command("compare")(compare)
drill_app.command("report")(report)
