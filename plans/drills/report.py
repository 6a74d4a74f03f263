"""A drill's (or a real incident's) report: ``report.json`` (meta, every KPI and its
series) and a self-contained ``report.html`` (KPI table, plots over time, a map of
needs and coverage) that works offline."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from plans.drills.kpis import incident_kpis
from plans.drills.report_html import render
from plans.drills.report_map import draw_map, map_layers
from plans.drills.report_plots import plots

FORMAT = "huzhu.kpi-report/1"


async def build_report(
    session: AsyncSession,
    *,
    incident_id: uuid.UUID,
    out_dir: Path,
    meta: dict[str, Any],
    until: datetime | None = None,
) -> tuple[Path, Path]:
    """Write ``report.json`` and ``report.html`` into ``out_dir``; their paths.

    ``meta`` (JSON-able: scenario, seed, plan, wall time …) is stored as given and its
    scalar values are listed at the top of the page."""
    kpis = await incident_kpis(session, incident_id=incident_id, until=until)
    layers = await map_layers(session, incident_id)
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, html_path = out_dir / "report.json", out_dir / "report.html"
    doc = {"format": FORMAT, "meta": meta, "kpis": kpis}
    json_path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    drew_from = {d["depot_id"] for d in kpis["stock"]}
    html = render(meta, kpis, plots(kpis), draw_map(layers, drew_from))
    html_path.write_text(html, encoding="utf-8")
    return json_path, html_path
