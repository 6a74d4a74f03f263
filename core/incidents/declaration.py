"""Checks on a declaration that span fields; each error names its field."""

from __future__ import annotations

from dataclasses import dataclass

from shapely.geometry import MultiPolygon

from core.errors import ErrorList
from core.geo.shapes import ShapeError, to_multipolygon
from core.incidents.hazards import category_problem
from core.incidents.models import IncidentMode
from core.incidents.schemas import IncidentCreate


@dataclass(frozen=True, slots=True)
class Declaration:
    """The validated shape: a polygon, or a centre (lon, lat degrees) and radius in metres."""

    polygon: MultiPolygon | None = None
    centre: tuple[float, float] | None = None
    radius_m: float | None = None


def check_declaration(data: IncidentCreate) -> Declaration:
    """The shape of ``data`` (WGS-84), or 422 listing every problem with its ``body.*`` field."""
    errors = ErrorList()
    shape = Declaration()
    circle = data.centre is not None or data.radius_m is not None
    if data.area is not None and circle:
        errors.add(("body", "area"), "give either area (a polygon) or centre and radius_m")
    elif data.area is not None:
        try:
            shape = Declaration(polygon=to_multipolygon(data.area))
        except ShapeError as exc:
            errors.add(("body", "area"), str(exc))
    elif not circle:
        errors.add(
            ("body", "area"), "give area (GeoJSON Polygon/MultiPolygon) or centre and radius_m"
        )
    elif data.centre is None:
        errors.add(("body", "centre"), "required with radius_m: {lon, lat} in degrees")
    elif data.radius_m is None:
        errors.add(("body", "radius_m"), "required with centre: metres, at most 300 km")
    else:
        shape = Declaration(centre=(data.centre.lon, data.centre.lat), radius_m=data.radius_m)
    problem = category_problem(data.hazard, data.category)
    if problem is not None:
        errors.add(("body", "category"), problem)
    if data.speedup is not None and IncidentMode(data.mode) is not IncidentMode.live_drill:
        errors.add(("body", "speedup"), "only a live drill has a speed-up")
    fields = ", ".join(".".join(map(str, e.loc)) for e in errors.errors)
    errors.raise_if_any(f"invalid fields: {fields}")
    return shape
