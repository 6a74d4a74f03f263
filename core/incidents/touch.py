"""Which communities (村/社区, level 5) an incident area touches — the same answer on both engines.

* A community with a boundary: for a polygon, its interior meets the polygon's
  (sharing only an edge or a corner is not touching: neighbours drawn along the
  same line stay out); for a circle, its great-circle distance to the centre is at
  most the radius (:func:`core.incidents.sphere.distances_m`, 0 when it contains
  the centre). The area bounding-box columns prefilter in SQL; shapely decides.
* A community without a boundary (DESIGN.md Decisions: Incident areas) is touched
  when at least one of its households is inside: covered by the polygon (a point
  on the edge is inside), or within the radius by :func:`core.geo.near.near_clause`
  (PostGIS ``ST_DWithin`` on the sphere, or the same haversine on SQLite).

All coordinates are WGS-84 lon/lat degrees (EPSG:4326); radii are metres. Either
way it takes two or three SELECTs, whatever the number of communities and households.
"""

from __future__ import annotations

import uuid

import numpy as np
import shapely
from shapely.geometry import MultiPolygon
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.geo.distance import degree_box
from core.geo.near import near_clause
from core.incidents.sphere import distances_m
from core.registry.areas.models import Area, AreaLevel
from core.registry.areas.rules import bbox_clause
from core.registry.households.models import Household

BBox = tuple[float, float, float, float]


async def touched_communities(
    *,
    session: AsyncSession,
    polygon: MultiPolygon | None = None,
    centre: tuple[float, float] | None = None,
    radius_m: float | None = None,
) -> list[Area]:
    """Communities touched by ``polygon``, or by the circle ``centre`` (lon, lat) + ``radius_m``.

    Returns them ordered by ``area_path``. Give exactly one of the two shapes.
    """
    if polygon is not None:
        found = await _by_polygon(session, polygon)
    elif centre is not None and radius_m is not None:
        found = await _by_circle(session, centre, radius_m)
    else:
        raise ValueError("give a polygon, or a centre and a radius")
    return sorted(found, key=lambda a: a.area_path)


def _with_boundary(box: BBox) -> Select[tuple[Area]]:
    return select(Area).where(
        Area.level == int(AreaLevel.community), Area.min_lon.is_not(None), bbox_clause(Area, box)
    )


def _without_boundary() -> Select[tuple[uuid.UUID]]:
    return select(Area.id).where(Area.level == int(AreaLevel.community), Area.min_lon.is_(None))


async def _by_polygon(session: AsyncSession, polygon: MultiPolygon) -> list[Area]:
    box: BBox = polygon.bounds
    shapely.prepare(polygon)
    candidates = list((await session.scalars(_with_boundary(box))).all())
    shapes = np.asarray([a.boundary for a in candidates], dtype=object)
    hit = shapely.intersects(polygon, shapes) & ~shapely.touches(polygon, shapes)
    found = [a for a, h in zip(candidates, hit, strict=True) if h]
    min_lon, min_lat, max_lon, max_lat = box
    points = (
        await session.execute(
            select(Household.community_id, Household.lon, Household.lat).where(
                Household.community_id.in_(_without_boundary()),
                Household.lon.between(min_lon, max_lon),
                Household.lat.between(min_lat, max_lat),
            )
        )
    ).all()
    if points:
        lon = np.fromiter((p[1] for p in points), float, len(points))
        lat = np.fromiter((p[2] for p in points), float, len(points))
        inside = shapely.intersects_xy(polygon, lon, lat)
        ids = {p[0] for p, keep in zip(points, inside, strict=True) if keep}
        if ids:
            found += (await session.scalars(select(Area).where(Area.id.in_(ids)))).all()
    return found


async def _by_circle(
    session: AsyncSession, centre: tuple[float, float], radius_m: float
) -> list[Area]:
    lon, lat = centre
    candidates = list((await session.scalars(_with_boundary(degree_box(lon, lat, radius_m)))).all())
    far = distances_m([a.boundary for a in candidates], lon, lat)
    found = [a for a, d in zip(candidates, far, strict=True) if d <= radius_m]
    near = near_clause(
        Household, lon=lon, lat=lat, km=radius_m / 1000.0, dialect=session.bind.dialect.name
    )
    households = select(Household.community_id).where(
        Household.community_id.in_(_without_boundary()), near
    )
    found += (await session.scalars(select(Area).where(Area.id.in_(households)))).all()
    return found
