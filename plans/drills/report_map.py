"""The report's map, drawn with matplotlib from lon/lat (no tiles, no network): the
affected area (circle or polygon), needs by status (colour) and priority band (size),
depots (squares; those this incident drew from outlined), and volunteers of the
incident's area (dots; those offered work in it darker). Longitude is scaled by
``1 / cos(latitude)`` so distances look right."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.incidents.match_models import Assignment
from core.incidents.models import Incident
from core.incidents.need_models import Need
from core.registry.depots.models import Depot
from core.registry.volunteers.models import Volunteer
from plans.drills.kpi_needs import band
from plans.drills.report_plots import data_uri, pyplot

EARTH_M = 6_371_008.8
STATUS_COLOURS = {"open": "#d62728", "matched": "#ff7f0e", "in_progress": "#bcbd22",
                  "fulfilled": "#2ca02c", "cancelled": "#7f7f7f"}  # fmt: skip
BAND_SIZES = {"P1": 40, "P2": 26, "P3": 16, "P4": 9}


async def map_layers(session: AsyncSession, incident_id: Any) -> dict[str, Any]:
    """Points to draw: the incident's needs, and the depots and volunteers of its area."""
    incident = await session.get(Incident, incident_id)
    assert incident is not None
    under = incident.area_path
    needs = await session.execute(
        select(Need.lon, Need.lat, Need.status, Need.severity, Need.vulnerability).where(
            Need.incident_id == incident_id
        )
    )
    depots = await session.execute(
        select(Depot.id, Depot.lon, Depot.lat).where(Depot.area_path.startswith(under))
    )
    volunteers = await session.execute(
        select(Volunteer.id, Volunteer.lon, Volunteer.lat).where(
            Volunteer.area_path.startswith(under)
        )
    )
    offered = set(await session.scalars(
        select(Assignment.volunteer_id).where(Assignment.incident_id == incident_id).distinct()
    ))  # fmt: skip
    return {
        "area": _outline(incident),
        "needs": [(lon, lat, st, band(sev, v)) for lon, lat, st, sev, v in needs],
        "depots": [(str(d), lon, lat) for d, lon, lat in depots],
        "volunteers": [(lon, lat, v in offered) for v, lon, lat in volunteers],
    }


def _outline(incident: Incident) -> list[list[tuple[float, float]]]:
    """Rings of the affected area in lon/lat: a circle as 72 points, or the polygon."""
    if incident.radius_m is not None and incident.centre_lon is not None:
        lon0, lat0 = incident.centre_lon, incident.centre_lat or 0.0
        d = incident.radius_m / EARTH_M
        ring = [
            (lon0 + math.degrees(d * math.sin(a) / math.cos(math.radians(lat0))),
             lat0 + math.degrees(d * math.cos(a)))
            for a in (2 * math.pi * k / 72 for k in range(73))
        ]  # fmt: skip
        return [ring]
    if incident.boundary is not None:
        return [list(p.exterior.coords) for p in incident.boundary.geoms]
    return []


def draw_map(layers: dict[str, Any], drew_from: set[str]) -> str:
    """The map as a PNG data URI (``drew_from``: depot ids the incident took stock from)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 7.5))
    for ring in layers["area"]:
        xs, ys = zip(*ring, strict=True)
        ax.fill(xs, ys, color="#1f77b4", alpha=0.08, label="affected area 受灾范围")
        ax.plot(xs, ys, color="#1f77b4", lw=1)
    vols = layers["volunteers"]
    for busy, colour, label in ((False, "#c7c7c7", "volunteers 志愿者"),
                                (True, "#17becf", "offered work 已派单")):  # fmt: skip
        pts = [(x, y) for x, y, b in vols if b is busy]
        if pts:
            ax.scatter(*zip(*pts, strict=True), s=6, c=colour, label=label, zorder=2)
    depots = layers["depots"]
    if depots:
        _, xs, ys = zip(*depots, strict=True)
        edges = ["black" if d in drew_from else "none" for d, _, _ in depots]
        ax.scatter(xs, ys, s=50, marker="s", c="#9467bd", edgecolors=edges, linewidths=1.5,
                   label="depots 物资点", zorder=3)  # fmt: skip
    for status, colour in STATUS_COLOURS.items():
        pts = [(x, y, BAND_SIZES[b]) for x, y, s, b in layers["needs"] if s == status]
        if pts:
            xs, ys, sizes = zip(*pts, strict=True)
            ax.scatter(xs, ys, s=sizes, c=colour, alpha=0.75, label=f"needs {status}", zorder=4)
    lats = [y for ring in layers["area"] for _, y in ring] + [p[1] for p in layers["needs"]]
    mid = sum(lats) / len(lats) if lats else 25.0
    ax.set_aspect(1.0 / math.cos(math.radians(mid)))
    ax.set(title="需求与覆盖 Needs and coverage", xlabel="lon", ylabel="lat")
    ax.legend(loc="upper right", fontsize=7, markerscale=0.8)
    ax.grid(alpha=0.2)
    return data_uri(fig)
