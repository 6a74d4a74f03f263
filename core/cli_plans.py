"""``huzhu plan …``: contingency plans from the command line (part of the composition root)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from core.cli_support import fail, in_transaction
from core.errors import DomainError
from plans import cli_commands

plan_app = typer.Typer(help="Contingency plans and classification handbooks.", no_args_is_help=True)
console = Console()


def _print(data: Any) -> None:
    print(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, indent=2))


@plan_app.command("templates")
def templates() -> None:
    """List the shipped handbooks (分类手册)."""
    table = Table("name", "hazard", "category", "title")
    for t in cli_commands.plan_templates():
        table.add_row(t["name"], t["hazard"], str(t.get("category")), t["title"])
    console.print(table)


@plan_app.command("new")
def new(
    area_code: str,
    hazard: str,
    template: Annotated[str | None, typer.Option(help="Handbook to start from")] = None,
) -> None:
    """Start a plan for AREA_CODE and HAZARD from its handbook (version 1, a draft)."""
    _print(in_transaction(lambda s: cli_commands.plan_new(
        session=s, area_code=area_code, hazard=hazard, template=template)))  # fmt: skip


@plan_app.command("show")
def show(
    plan_id: uuid.UUID,
    version: Annotated[int | None, typer.Option(help="Version number (default: latest)")] = None,
    as_yaml: Annotated[bool, typer.Option("--yaml", help="Print the document as YAML")] = False,
) -> None:
    """Show a plan version."""
    _print(in_transaction(lambda s: cli_commands.plan_show(
        session=s, plan_id=plan_id, version=version, as_yaml=as_yaml)))  # fmt: skip


@plan_app.command("validate")
def validate(file: Path) -> None:
    """Check a plan file (YAML or JSON) offline; errors name the path inside the file."""
    try:
        _print(cli_commands.plan_validate(file))
    except DomainError as exc:
        raise fail(exc) from exc


@plan_app.command("approve")
def approve(version_id: uuid.UUID) -> None:
    """Approve a draft version; it becomes immutable and the previous one is retired."""
    _print(in_transaction(lambda s: cli_commands.plan_approve(session=s, version_id=version_id)))


@plan_app.command("diff")
def diff(v1: uuid.UUID, v2: uuid.UUID) -> None:
    """What changed between two versions."""
    _print(in_transaction(lambda s: cli_commands.plan_diff(session=s, v1=v1, v2=v2)))


@plan_app.command("readiness")
def readiness(
    plan_or_version: uuid.UUID,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Readiness of a plan (its approved version) or of a version id: stock, volunteers and
    shelters of its area against the plan, and every gap."""
    report = in_transaction(lambda s: cli_commands.plan_readiness(session=s, ref=plan_or_version))
    if as_json:
        _print(report)
        return
    _print_readiness(report)


def _print_readiness(r: dict[str, Any]) -> None:
    pop = r["population"]
    console.print(
        f"[bold]{r['title']}[/bold] v{r['version']} ({r['status']}) · {r['area_name']} "
        f"{r['area_code']} · as of {r['as_of']}\n"
        f"residents {pop['persons']} in {pop['households']} households, "
        f"vulnerable {pop['vulnerable']} · supply days {r['supply_days']}"
    )
    stock = Table("item", "basis", "available", "need", "days / coverage", "shortfall",
                  title="Materials (base units)")  # fmt: skip
    for m in r["materials"]:
        cover = m["days_of_supply"] if m["basis"] == "per_person_day" else m["coverage"]
        mark = "[red]" if m["gap"] else ""
        stock.add_row(f"{mark}{m['item_code']}", m["basis"], str(m["available"]),
                      str(m["need"]), "—" if cover is None else f"{cover:g}",
                      str(m["shortfall"] or ""))  # fmt: skip
    console.print(stock)
    people = Table("skill", "per 1,000", "required", "active", "insured", "shortfall",
                   title="Volunteers")  # fmt: skip
    for v in r["volunteers"]:
        mark = "[red]" if v["gap"] else ""
        people.add_row(f"{mark}{v['skill']}", f"{v['per_thousand']:g}", str(v["required"]),
                       str(v["active"]), str(v["counted"]), str(v["shortfall"] or ""))  # fmt: skip
    console.print(people)
    s = r["shelters"]
    console.print(f"Shelters: {s['shelters']} listed, capacity {s['capacity']} for {s['need']}")
    if not r["gaps"]:
        console.print("[green]No gaps.[/green]")
        return
    gaps = Table("kind", "what", "have", "need", "shortfall", title=f"Gaps ({len(r['gaps'])})")
    for g in r["gaps"]:
        gaps.add_row(g["kind"], g["what"], str(g["have"]), str(g["need"]), str(g["shortfall"]))
    console.print(gaps)
    for g in r["gaps"]:
        console.print(f"• {g['message_zh']}\n  {g['message_en']}", highlight=False)
