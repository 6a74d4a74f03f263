"""Needs without a household: which affected community holds their point (or code).

``community_code`` must name a community the incident affects (a point given must
lie inside its boundary, if it has one); without it, the smallest affected community
whose boundary covers the point (a point on the edge is inside). Communities without
a boundary must be named. Points are lon/lat degrees, WGS-84 (EPSG:4326); covering
runs in shapely (an ``STRtree``) on both engines, after one SELECT of candidates.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

import shapely
from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import Principal
from core.incidents.models import IncidentArea
from core.incidents.need_access import may_raise_at
from core.incidents.need_schemas import NeedCreate
from core.registry.areas.models import Area

NO_COMMUNITY = (
    "no community affected by this incident covers this point; "
    "name the community_code or the household"
)
Found = tuple[uuid.UUID, str]
"""A community's id and ``area_path``."""


def affected(incident_id: uuid.UUID) -> ColumnElement[bool]:
    """``incident_area`` rows of the communities ``incident_id`` affects."""
    return and_(IncidentArea.incident_id == incident_id, IncidentArea.role == "affected")


async def place_points(
    *,
    session: AsyncSession,
    principal: Principal,
    incident_id: uuid.UUID,
    rows: Sequence[NeedCreate],
    indices: list[int],
    err: Callable[[int, str, str], None],
    homes: dict[int, tuple[uuid.UUID, uuid.UUID | None]] | None = None,
) -> dict[int, Found]:
    """The community of each row in ``indices``; problems go to ``err(i, field, msg)``.

    ``homes`` gives (household id, grid id) of rows raised for a household away from
    home, for the check of who may raise them.
    """
    homes = homes or {}
    todo = []
    for i in indices:
        if rows[i].lon is None:
            err(i, "lon", "give lon/lat, a household_id or a person_id")
        else:
            todo.append(i)
    if not todo:
        return {}
    communities = await _candidates(session, incident_id, [rows[i] for i in todo])
    by_code = {c.code: c for c in communities}
    shaped = [c for c in communities if c.boundary is not None]
    tree = shapely.STRtree([c.boundary for c in shaped]) if shaped else None
    out: dict[int, Found] = {}
    for i in todo:
        row = rows[i]
        point = shapely.Point(row.lon, row.lat)
        field = "community_code" if row.community_code else "lon"
        if row.community_code:
            found = by_code.get(row.community_code)
            if found is None:
                err(i, field, f"community {row.community_code} is not affected by this incident")
                continue
            if found.boundary is not None and not shapely.covers(found.boundary, point):
                err(i, "lon", f"the point is outside community {found.code}")
                continue
        else:
            hits = [] if tree is None else [shaped[j] for j in tree.query(point, "covered_by")]
            found = min(hits, key=lambda c: (shapely.area(c.boundary), c.code), default=None)
            if found is None:
                err(i, "community_code", NO_COMMUNITY)
                continue
        hid, grid_id = homes.get(i, (None, None))
        why = may_raise_at(principal, area_path=found.area_path, household_id=hid, grid_id=grid_id)
        if why is not None:
            err(i, field, why)
            continue
        out[i] = (found.id, found.area_path)
    return out


async def _candidates(
    session: AsyncSession, incident_id: uuid.UUID, rows: Sequence[NeedCreate]
) -> list[Any]:
    """Affected communities named by code, or whose bounding box meets the unnamed points."""
    codes = sorted({r.community_code for r in rows if r.community_code})
    free = [r for r in rows if not r.community_code]
    near: Any = false()
    if free:
        lons = [r.lon for r in free if r.lon is not None]
        lats = [r.lat for r in free if r.lat is not None]
        near = and_(
            Area.min_lon <= max(lons),
            Area.max_lon >= min(lons),
            Area.min_lat <= max(lats),
            Area.max_lat >= min(lats),
        )
    stmt = (
        select(Area.id, Area.code, Area.area_path, Area.boundary)
        .join(IncidentArea, IncidentArea.area_id == Area.id)
        .where(affected(incident_id), or_(Area.code.in_(codes), near))
    )
    shapes = list(await session.execute(stmt))
    for s in shapes:
        if s.boundary is not None:
            shapely.prepare(s.boundary)
    return shapes
