"""``near=lon,lat&km=`` on both engines, with the same spherical answer.

A degree box prefilter (indexable lon/lat), then the exact test: ``ST_DWithin`` on the
generated geography column with ``use_spheroid => false`` on PostGIS, or the
registered ``huzhu_distance_m`` function (:func:`core.geo.distance.haversine_m`) on
SQLite. Both use the sphere of radius 6,371,008.8 m.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, func, text

from core.errors import Invalid
from core.geo.distance import degree_box
from core.geo.shapes import ShapeError, check_lon_lat

MAX_KM = 1000.0


def parse_near(near: str | None, km: float | None) -> tuple[float, float, float] | None:
    """``near`` as (lon, lat, km); 422 naming ``query.near`` or ``query.km``."""
    if near is None:
        if km is not None:
            raise Invalid.field(("query", "near"), "km needs near=lon,lat")
        return None
    try:
        lon, lat = (float(p) for p in near.split(","))
        check_lon_lat(lon, lat)
    except (ValueError, ShapeError) as exc:
        raise Invalid.field(("query", "near"), f"expected lon,lat in degrees: {exc}") from exc
    if km is None or not (0 < km <= MAX_KM):
        raise Invalid.field(("query", "km"), f"give km between 0 and {MAX_KM:g}")
    return lon, lat, km


def near_clause(
    model: Any, *, lon: float, lat: float, km: float, dialect: str
) -> ColumnElement[bool]:
    """Rows of ``model`` (with ``lon``/``lat``) within ``km`` of (lon, lat), spherically."""
    metres = km * 1000.0
    min_lon, min_lat, max_lon, max_lat = degree_box(lon, lat, metres)
    box = and_(model.lon.between(min_lon, max_lon), model.lat.between(min_lat, max_lat))
    if dialect == "postgresql":
        table = model.__table__.name
        exact = text(
            f"ST_DWithin({table}.geog, ST_SetSRID(ST_MakePoint(:near_lon, :near_lat), 4326)"
            "::geography, :near_m, false)"
        ).bindparams(near_lon=lon, near_lat=lat, near_m=metres)
        return and_(box, exact)
    return and_(box, func.huzhu_distance_m(model.lon, model.lat, lon, lat) <= metres)
