"""``huzhu stock …``: alerts, the audit and stock-count imports (acting as the system)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import SYSTEM
from core.cli_support import err, in_transaction
from core.registry.areas.rules import area_in_scope_or_invalid
from core.stock import alerts_schemas as s
from core.stock.alerts import alerts
from core.stock.audit import audit
from core.stock.counts import import_counts, read_count_csv

stock_app = typer.Typer(help="Relief stock: alerts, audit, stock counts.", no_args_is_help=True)
console = Console()
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
AreaOption = Annotated[str | None, typer.Option("--area", help="12-digit area code: subtree")]


async def _area_path(session: AsyncSession, code: str | None) -> str | None:
    if code is None:
        return None
    area = await area_in_scope_or_invalid(session=session, principal=SYSTEM, code=code,
                                          loc=("area",))  # fmt: skip
    return area.area_path


def _dump(model: Any) -> None:
    print(json.dumps(model.model_dump(mode="json"), ensure_ascii=False, indent=2))


@stock_app.command("alerts")
def stock_alerts(
    days: Annotated[int, typer.Option(min=0, max=3650, help="Expiring within N days")] = 30,
    area: AreaOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Real lots expiring within N days or expired with stock left; depots under a minimum."""

    async def work(session: AsyncSession) -> s.AlertsRead:
        path = await _area_path(session, area)
        return s.AlertsRead.of(
            await alerts(session=session, principal=SYSTEM, days=days, area_path=path)
        )

    found = in_transaction(work)
    if as_json:
        _dump(found)
        return
    for title, lots in ((f"expiring within {days} days", found.expiring),
                        ("expired, stock still on hand", found.expired)):  # fmt: skip
        table = Table("expires", "days", "item", "on hand", "reserved", "depot", "lot",
                      title=f"{len(lots)} lot(s) {title}")  # fmt: skip
        for column in table.columns[2:3] + table.columns[-1:]:  # item, lot: whole, folded
            column.overflow = "fold"
        for x in lots:
            table.add_row(str(x.expires_on), str(x.days_left), x.item_code, str(x.on_hand),
                          str(x.reserved), x.depot_name, str(x.lot_id))  # fmt: skip
        console.print(table)
    title = f"{len(found.under_minimum)} depot item(s) under their minimum"
    table = Table("depot", "item", "minimum", "available", "short", "depot id", title=title)
    for m in found.under_minimum:
        table.add_row(m.depot_name, m.item_code, str(m.minimum), str(m.available), str(m.short),
                      str(m.depot_id))  # fmt: skip
    console.print(table)


@stock_app.command("audit")
def stock_audit(area: AreaOption = None, as_json: JsonFlag = False) -> None:
    """Recompute every real lot, reservation and fund from its ledger; exit 1 on any drift."""

    async def work(session: AsyncSession) -> s.AuditRead:
        path = await _area_path(session, area)
        return s.AuditRead.of(await audit(session=session, principal=SYSTEM, area_path=path))

    report = in_transaction(work)
    checked = ", ".join(f"{n} {what}" for what, n in report.checked.items())
    if as_json:
        _dump(report)
    elif report.clean:
        console.print(f"audit clean: checked {checked}")
    else:
        table = Table("what", "id", "stored", "ledger", "depot", "item",
                      title=f"{len(report.drifts)} drift(s) (checked {checked})")  # fmt: skip
        for d in report.drifts:
            table.add_row(d.what, str(d.id), str(d.stored), str(d.ledger),
                          str(d.depot_id or ""), d.item_code or "")  # fmt: skip
        console.print(table)
    if not report.clean:
        raise typer.Exit(code=1)


@stock_app.command("count-import")
def count_import(file: Path, as_json: JsonFlag = False) -> None:
    """Apply a stock count CSV (depot_id, item_code, counted[, lot_id, expires_on, reason])."""
    try:
        content = file.read_bytes()
    except OSError as exc:
        err.print(f"[red]error:[/red] cannot read {file}: {exc.strerror}")
        raise typer.Exit(code=1) from exc

    async def work(session: AsyncSession) -> Any:
        rows = read_count_csv(content)
        return await import_counts(session=session, principal=None, rows=rows)

    done = in_transaction(work)
    if as_json:
        print(json.dumps({**asdict(done), "created": [str(i) for i in done.created]}))
    else:
        console.print(f"stock count from {file}: {done.adjusted} lot(s) adjusted, "
                      f"{done.unchanged} unchanged, {len(done.created)} new lot(s)")  # fmt: skip
