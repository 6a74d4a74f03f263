"""Two runs side by side (plan A against plan B, more depots against more volunteers):
the headline KPIs of two ``report.json`` files, the difference B − A, and whether B is
better or worse — the direction of each KPI is :mod:`plans.drills.kpi_table`'s ``better``.

A file is refused with a :class:`CompareError` naming it and each bad field: unreadable,
not JSON, not a report (``format``), no ``kpis`` object, a headline KPI missing or not a
number (``null`` is allowed: a figure that does not exist, e.g. a percentile over persons
never accounted for).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from plans.drills.kpi_table import DERIVED, HEADLINES, MissingKey, value_of, verdict
from plans.drills.report import FORMAT
from plans.drills.report_html import fmt, fmt_delta, page, table


class CompareError(ValueError):
    """A run file that cannot be compared: the file and ``(field, message)`` pairs."""

    def __init__(self, path: Path, errors: list[tuple[str, str]]) -> None:
        self.path, self.errors = path, errors
        super().__init__(f"{path}: " + "; ".join(f"{f}: {m}" for f, m in errors))


@dataclass(frozen=True, slots=True)
class Row:
    key: str
    label: str
    unit: str
    better: str | None
    a: Any
    b: Any
    delta: float | None
    verdict: str  # better | worse | same | "" (B against A)


def load_run(path: Path) -> dict[str, Any]:
    """A checked ``report.json`` (see the module docstring)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CompareError(path, [("file", f"cannot read it: {exc.strerror}")]) from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CompareError(path, [("file", f"not JSON: {exc}")]) from exc
    if not isinstance(doc, dict):
        raise CompareError(path, [("file", "not a report: a JSON object is expected")])
    if doc.get("format") != FORMAT:
        raise CompareError(path, [("format", f"expected {FORMAT!r}, got {doc.get('format')!r}")])
    kpis = doc.get("kpis")
    if not isinstance(kpis, dict):
        raise CompareError(path, [("kpis", "missing, or not an object")])
    errors = []
    for h in HEADLINES:
        if h.key in DERIVED:
            continue
        try:
            value = value_of(kpis, h.key)
        except MissingKey:
            errors.append((f"kpis.{h.key}", "missing"))
            continue
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            errors.append((f"kpis.{h.key}", f"must be a number or null, got {value!r}"))
    if not isinstance(kpis.get("stock", []), list):
        errors.append(("kpis.stock", "must be a list"))
    if errors:
        raise CompareError(path, errors)
    return doc


def compare_runs(a: dict[str, Any], b: dict[str, Any]) -> list[Row]:
    """One row per headline KPI: A, B, B − A and B's verdict."""
    rows = []
    for h in HEADLINES:
        va, vb = value_of(a["kpis"], h.key), value_of(b["kpis"], h.key)
        numbers = isinstance(va, int | float) and isinstance(vb, int | float)
        delta = round(vb - va, 4) if numbers else None
        rows.append(Row(h.key, h.label, h.unit, h.better, va, vb, delta, verdict(va, vb, h.better)))
    return rows


def name_of(doc: dict[str, Any], path: Path) -> str:
    """A run's name: its scenario (and plan) from the meta, else the file name."""
    meta = doc.get("meta") or {}
    parts = [str(meta[k]) for k in ("scenario", "plan") if isinstance(meta, dict) and meta.get(k)]
    return " / ".join(parts) or path.name


def as_json(names: tuple[str, str], rows: list[Row]) -> dict[str, Any]:
    """The comparison for scripts."""
    return {"a": names[0], "b": names[1], "rows": [asdict(r) for r in rows]}


def compare_html(names: tuple[str, str], rows: list[Row]) -> str:
    """A self-contained page: the table with better rows green and worse rows red."""
    head = ["KPI", f"A: {names[0]}", f"B: {names[1]}", "B − A", "B is"]
    cells = [[r.label, fmt(r.a, r.unit), fmt(r.b, r.unit), fmt_delta(r.delta, r.unit), r.verdict]
             for r in rows]  # fmt: skip
    body = [
        "<h1>对比 Comparison</h1>",
        "<p>B against A. Lower is better for times, unmet needs, overdue check-ins, declines, "
        "expiries and re-offers; higher for shares within a time, needs met and days of "
        'stock; no direction for volumes. <span class="better">better</span> '
        '<span class="worse">worse</span></p>',
        table(head, cells, [r.verdict if r.verdict in ("better", "worse") else "" for r in rows]),
    ]
    return page(f"对比 {names[0]} vs {names[1]}", body)
