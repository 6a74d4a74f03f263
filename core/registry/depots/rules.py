"""Rules shared by depot create, update and import: writers, area, point, owner, events."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import shapely
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import Principal, Role
from core.auth.scope import in_scope
from core.errors import ErrorList, Forbidden
from core.events.outbox import EventIn
from core.registry.areas.models import Area, AreaLevel
from core.registry.depots.models import Depot
from core.registry.depots.schemas import DepotCreate
from core.registry.orgs.models import Organization

WRITERS = frozenset({Role.admin, Role.coordinator})
DEPOT_LEVELS = frozenset({AreaLevel.county, AreaLevel.township, AreaLevel.community})
_CHUNK = 5000
Loc = tuple[str | int, ...]


def ensure_writer(principal: Principal) -> None:
    """403 unless the principal may change depots at all (admin, coordinator)."""
    if principal.role not in WRITERS:
        raise Forbidden(f"role {principal.role.value} may not change depots")


@dataclass(frozen=True, slots=True)
class Placed:
    """Where a checked depot goes: its area's id and path."""

    area_id: uuid.UUID
    area_path: str


async def check_depots(
    *,
    session: AsyncSession,
    principal: Principal,
    rows: Sequence[DepotCreate],
    prefixes: Sequence[Loc],
    errors: ErrorList,
    point_field: str = "lon",
    points: bool = True,
) -> list[Placed | None]:
    """Check every row against the stored areas and organizations; record errors.

    ``prefixes[i]`` starts the error locations of ``rows[i]`` (``("body",)`` or
    ``("rows", i)``); a point outside its area's boundary is reported on
    ``point_field``. The point test is shapely's ``covers`` on the stored boundary
    (lon/lat degrees, EPSG:4326) on both engines, so both give the same answer, edges
    included (``points=False`` skips it). Returns a :class:`Placed` per row, ``None``
    where a row has errors.
    """
    areas = await _by_key(session, Area, Area.code, {r.area_code for r in rows})
    owners = {r.owner_org_id for r in rows if r.owner_org_id is not None}
    orgs = await _by_key(session, Organization, Organization.id, owners)
    placed: list[Placed | None] = []
    by_area: dict[str, list[int]] = defaultdict(list)
    for i, (row, prefix) in enumerate(zip(rows, prefixes, strict=True)):
        area = areas.get(row.area_code)
        ok = True
        if area is None or not in_scope(principal, area.area_path):
            errors.add((*prefix, "area_code"), f"no area with code {row.area_code}")
            ok = False
        elif area.level not in DEPOT_LEVELS:
            level = AreaLevel(area.level).name
            msg = f"depots belong to a county, township or community; {area.code} is a {level}"
            errors.add((*prefix, "area_code"), msg)
            ok = False
        org = orgs.get(row.owner_org_id) if row.owner_org_id is not None else None
        if row.owner_org_id is not None and (org is None or not in_scope(principal, org.area_path)):
            errors.add((*prefix, "owner_org_id"), f"no organization with id {row.owner_org_id}")
            ok = False
        if ok and points:
            assert area is not None
            by_area[area.code].append(i)
        placed.append(Placed(area.id, area.area_path) if ok and area is not None else None)
    for code, indices in by_area.items():
        boundary = areas[code].boundary
        if boundary is None:
            continue  # an area without a boundary takes any point (DESIGN.md: Areas)
        points = shapely.points([(rows[i].lon, rows[i].lat) for i in indices])
        shapely.prepare(boundary)
        for i, inside in zip(indices, shapely.covers(boundary, points), strict=True):
            if not inside:
                msg = (
                    f"the point ({rows[i].lon}, {rows[i].lat}) lies outside the boundary "
                    f"of area {code} ({areas[code].name})"
                )
                errors.add((*prefixes[i], point_field), msg)
                placed[i] = None
    return placed


async def _by_key(session: AsyncSession, model: Any, column: Any, keys: Iterable[Any]) -> dict:
    """Rows of ``model`` whose ``column`` is in ``keys``, by key (chunked for the engines)."""
    wanted = list(keys)
    found: dict[Any, Any] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        for row in await session.scalars(select(model).where(column.in_(chunk))):
            found[getattr(row, column.key)] = row
    return found


def depot_event(type_: str, depot: Depot | dict[str, Any], **data: Any) -> EventIn:
    """A ``depot.*`` event on the stream ``area:<area_path>`` of the depot's area."""
    get = depot.get if isinstance(depot, dict) else lambda k: getattr(depot, k)
    path = get("area_path")
    payload = {
        "id": get("id"),
        "name": get("name"),
        "kind": get("kind"),
        "area_path": path,
        "lon": get("lon"),
        "lat": get("lat"),
        **data,
    }
    return EventIn(type=type_, data=payload, streams=[f"area:{path}"])
