"""Placing households in their community (村/社区, level 5) and grid (网格).

Point-in-polygon runs in Python with shapely on both engines (so both give the same
answer): a bounding-box prefilter on the area bbox columns, then an ``STRtree`` of
the candidate boundaries queried with ``covered_by`` (a point on the edge is inside).
All coordinates are lon/lat degrees (EPSG:4326); "smallest" compares planar areas
in square degrees, which orders nearby polygons correctly.

Rules, per household:

* ``community_code`` given: the community must exist, be level 5 and lie in the
  caller's scope; if it has a boundary, the point must be covered by it.
* no ``community_code``: the smallest in-scope community whose boundary covers the
  point; none → error on ``community_code``.
* ``grid_code`` given: a grid of that community; a point outside its boundary is
  rejected. Otherwise the smallest grid of the community whose boundary covers the
  point, or no grid.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import Principal
from core.auth.scope import in_scope, scope_clause
from core.registry.areas.models import Area, AreaLevel, Grid

_CHUNK = 5000
NO_COMMUNITY = "no community with a boundary contains this point; name the community"


@dataclass(frozen=True, slots=True)
class Spot:
    """Where the client says one household is (lon/lat WGS-84 degrees)."""

    lon: float
    lat: float
    community_code: str | None = None
    grid_code: str | None = None


@dataclass(frozen=True, slots=True)
class Place:
    """The resolved community (its ``area_path``) and grid of one household."""

    community_id: uuid.UUID
    community_code: str
    area_path: str
    grid_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class PlaceError:
    """A placement problem of spot ``index`` on ``field``."""

    index: int
    field: str
    msg: str


@dataclass(frozen=True, slots=True)
class _Shape:
    id: uuid.UUID
    code: str
    name: str
    path: str
    level: int
    boundary: BaseGeometry | None


def _shape(*row: object) -> _Shape:
    shape = _Shape(*row)  # type: ignore[arg-type]
    if shape.boundary is not None:
        shapely.prepare(shape.boundary)  # many points are tested against each shape
    return shape


def _covers(shape: _Shape, spot: Spot) -> bool:
    return shape.boundary is None or bool(
        shapely.covers(shape.boundary, shapely.Point(spot.lon, spot.lat))
    )


def _at(spot: Spot) -> str:
    return f"point ({spot.lon:.6f}, {spot.lat:.6f})"


async def place(
    *, session: AsyncSession, principal: Principal, spots: Sequence[Spot]
) -> tuple[list[Place | None], list[PlaceError]]:
    """Places for ``spots`` (``None`` where an error was recorded) and the errors."""
    errors: list[PlaceError] = []
    codes = {s.community_code for s in spots if s.community_code}
    named = await _areas_by_code(session, codes)
    chosen: list[_Shape | None] = [None] * len(spots)
    for i, spot in enumerate(spots):
        if spot.community_code:
            chosen[i] = _check_named(i, spot, named.get(spot.community_code), principal, errors)
    unnamed = [i for i, s in enumerate(spots) if not s.community_code]
    if unnamed:
        found = await _covering(session, principal, [spots[i] for i in unnamed])
        for i, community in zip(unnamed, found, strict=True):
            if community is None:
                errors.append(PlaceError(i, "community_code", NO_COMMUNITY))
            chosen[i] = community
    grids = await _grids_of(session, {c.id for c in chosen if c is not None})
    places: list[Place | None] = []
    for i, (spot, community) in enumerate(zip(spots, chosen, strict=True)):
        if community is None:
            places.append(None)
            continue
        ok, grid_id = _grid_for(i, spot, community, grids.get(community.id, []), errors)
        places.append(Place(community.id, community.code, community.path, grid_id) if ok else None)
    return places, sorted(errors, key=lambda e: e.index)


def _check_named(
    i: int, spot: Spot, area: _Shape | None, principal: Principal, errors: list[PlaceError]
) -> _Shape | None:
    code = spot.community_code
    if area is None or not in_scope(principal, area.path):
        errors.append(PlaceError(i, "community_code", f"no community with code {code}"))
        return None
    if area.level != AreaLevel.community:
        level = AreaLevel(area.level).name
        msg = f"area {code} is a {level}; a household belongs to a community (level 5)"
        errors.append(PlaceError(i, "community_code", msg))
        return None
    if not _covers(area, spot):
        msg = f"{_at(spot)} is outside the boundary of community {code} {area.name}"
        errors.append(PlaceError(i, "lon", msg))
        return None
    return area


def _grid_for(
    i: int, spot: Spot, community: _Shape, grids: list[_Shape], errors: list[PlaceError]
) -> tuple[bool, uuid.UUID | None]:
    if spot.grid_code:
        grid = next((g for g in grids if g.code == spot.grid_code), None)
        if grid is None:
            msg = f"no grid {spot.grid_code} in community {community.code}"
            errors.append(PlaceError(i, "grid_code", msg))
            return False, None
        if not _covers(grid, spot):
            msg = f"{_at(spot)} is outside grid {grid.code} of community {community.code}"
            errors.append(PlaceError(i, "lon", msg))
            return False, None
        return True, grid.id
    hits = [g for g in grids if g.boundary is not None and _covers(g, spot)]
    best = _smallest(hits)
    return True, best.id if best is not None else None


def _smallest(shapes: Iterable[_Shape]) -> _Shape | None:
    return min(shapes, key=lambda s: (shapely.area(s.boundary), s.code), default=None)


async def _areas_by_code(session: AsyncSession, codes: Iterable[str]) -> dict[str, _Shape]:
    codes = sorted(codes)
    found: dict[str, _Shape] = {}
    cols = (Area.id, Area.code, Area.name, Area.area_path, Area.level, Area.boundary)
    for start in range(0, len(codes), _CHUNK):
        chunk = codes[start : start + _CHUNK]
        for row in await session.execute(select(*cols).where(Area.code.in_(chunk))):
            found[row.code] = _shape(*row)
    return found


async def _covering(
    session: AsyncSession, principal: Principal, spots: Sequence[Spot]
) -> list[_Shape | None]:
    """For each spot, the smallest in-scope community whose boundary covers it."""
    lons = [s.lon for s in spots]
    lats = [s.lat for s in spots]
    cols = (Area.id, Area.code, Area.name, Area.area_path, Area.level, Area.boundary)
    stmt = select(*cols).where(
        Area.level == int(AreaLevel.community),
        Area.min_lon.is_not(None),
        scope_clause(principal, Area.area_path),
        and_(Area.min_lon <= max(lons), Area.max_lon >= min(lons)),
        and_(Area.min_lat <= max(lats), Area.max_lat >= min(lats)),
    )
    candidates = [_shape(*row) for row in await session.execute(stmt)]
    if not candidates:
        return [None] * len(spots)
    tree = shapely.STRtree([c.boundary for c in candidates])
    points = shapely.points(list(zip(lons, lats, strict=True)))
    spot_idx, tree_idx = tree.query(points, predicate="covered_by")
    hits: list[list[_Shape]] = [[] for _ in spots]
    for s, t in zip(spot_idx.tolist(), tree_idx.tolist(), strict=True):
        hits[s].append(candidates[t])
    return [_smallest(h) for h in hits]


async def _grids_of(
    session: AsyncSession, community_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[_Shape]]:
    ids = sorted(community_ids)
    out: dict[uuid.UUID, list[_Shape]] = {}
    cols = (Grid.id, Grid.code, Grid.name, Grid.area_path, Grid.community_id, Grid.boundary)
    for start in range(0, len(ids), _CHUNK):
        stmt = select(*cols).where(Grid.community_id.in_(ids[start : start + _CHUNK]))
        for gid, code, name, path, community_id, boundary in await session.execute(stmt):
            out.setdefault(community_id, []).append(
                _shape(gid, code, name, path, AreaLevel.community, boundary)
            )
    return out
