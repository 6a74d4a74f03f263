"""``huzhu drill compare A.json B.json [--html OUT] [--json]``: two runs side by side.

Registered by :mod:`plans.drills.cli`. Bad input (a file unreadable, not a report, a KPI
missing or not a number) prints the file and each field, and exits with code 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from plans.drills.compare import (
    CompareError,
    as_json,
    compare_html,
    compare_runs,
    load_run,
    name_of,
)
from plans.drills.report_html import fmt, fmt_delta

STYLES = {"better": "green", "worse": "red"}


def compare(
    a: Annotated[
        Path, typer.Argument(metavar="A.json", help="report.json of run A (the baseline)")
    ],
    b: Annotated[Path, typer.Argument(metavar="B.json", help="report.json of run B")],
    html: Annotated[Path | None, typer.Option("--html", help="Also write this HTML page")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON for scripts")] = False,
) -> None:
    """Set two drill (or incident) reports side by side; B's better KPIs green, worse red."""
    err = Console(stderr=True, soft_wrap=True)
    try:
        doc_a, doc_b = load_run(a), load_run(b)
    except CompareError as exc:
        err.print(f"[red]{exc.path}: cannot compare this file[/red]")
        for field, msg in exc.errors:
            err.print(f"  {field}: {msg}")
        raise typer.Exit(code=2) from exc
    names = (name_of(doc_a, a), name_of(doc_b, b))
    if names[0] == names[1]:  # the same scenario twice: tell the runs apart by their files
        names = (f"{names[0]} ({a})", f"{names[1]} ({b})")
    rows = compare_runs(doc_a, doc_b)
    if html is not None:
        html.write_text(compare_html(names, rows), encoding="utf-8")
    if json_out:
        print(json.dumps(as_json(names, rows), ensure_ascii=False))
        return
    table = Table(title=f"A: {names[0]}  ·  B: {names[1]}")
    for col, justify in (("KPI", "left"), ("A", "right"), ("B", "right"), ("B − A", "right"),
                         ("B is", "left")):  # fmt: skip
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for r in rows:
        table.add_row(r.label, fmt(r.a, r.unit), fmt(r.b, r.unit), fmt_delta(r.delta, r.unit),
                      r.verdict, style=STYLES.get(r.verdict))  # fmt: skip
    Console().print(table)
    if html is not None:
        Console().print(f"wrote {html}")
