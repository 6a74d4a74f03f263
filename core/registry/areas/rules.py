"""Shared by the area, grid and import services: who writes, lookups, shapes, events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from shapely.geometry import MultiPolygon
from shapely.geometry.base import BaseGeometry
from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import Principal, Role
from core.auth.scope import ensure_in_scope, in_scope
from core.errors import Conflict, FieldError, Forbidden, Invalid, NotFound
from core.events.outbox import EventIn, emit
from core.geo.shapes import ShapeError, to_multipolygon
from core.registry.areas.models import Area, AreaLevel, Grid
from core.registry.areas.schemas import BBox

WRITERS = frozenset({Role.admin, Role.coordinator})


def ensure_writer(principal: Principal) -> None:
    """403 unless the principal may change areas at all (admin, coordinator)."""
    if principal.role not in WRITERS:
        raise Forbidden(f"role {principal.role.value} may not change areas")


def ensure_strictly_inside(principal: Principal, area: Area) -> None:
    """A coordinator may change areas below their root, never the root itself (403)."""
    if not principal.is_admin and area.area_path == principal.scope_path:
        raise Forbidden("a coordinator may not change the area of their own scope")


def parse_boundary(
    geometry: dict[str, Any] | BaseGeometry | None, loc: Sequence[str | int]
) -> MultiPolygon | None:
    """A validated MultiPolygon in lon/lat degrees (EPSG:4326), or None.

    Raises :class:`~core.errors.Invalid` naming ``loc`` with the reason (empty,
    self-intersecting, out-of-range coordinates, not a polygon …).
    """
    if geometry is None:
        return None
    try:
        return to_multipolygon(geometry)
    except ShapeError as exc:
        raise Invalid.field(loc, str(exc)) from exc


def wrong_level(parent_code: str, parent_level: int, level: AreaLevel) -> str:
    """The message for a parent that is not exactly one level up."""
    want = AreaLevel(level - 1).name
    return (
        f"area {parent_code} is a {AreaLevel(parent_level).name}; "
        f"a {level.name} needs a {want} as parent"
    )


def area_event(type_: str, *, id: uuid.UUID, code: str, area_path: str, **data: Any) -> EventIn:
    """An ``area.*``/``grid.*`` event on the stream ``area:<area_path>``."""
    return EventIn(
        type=type_,
        data={"id": id, "code": code, "area_path": area_path, **data},
        streams=[f"area:{area_path}"],
    )


async def emit_change(session: AsyncSession, type_: str, row: Area | Grid, **data: Any) -> None:
    """Emit one :func:`area_event` for ``row`` in the caller's transaction."""
    event = area_event(type_, id=row.id, code=row.code, area_path=row.area_path, **data)
    await emit(session, type=event.type, data=event.data, streams=event.streams)


async def flush_or_conflict(session: AsyncSession, row: Any, message: str, loc: tuple) -> None:
    """Add ``row`` and flush in a savepoint; a unique violation becomes 409."""
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(message, errors=[FieldError(loc, message)]) from exc


def bbox_clause(model: type[Area] | type[Grid], bbox: BBox) -> Any:
    """Rows whose bounding box intersects ``bbox`` (lon/lat degrees, EPSG:4326)."""
    min_lon, min_lat, max_lon, max_lat = bbox
    return and_(
        model.min_lon <= max_lon,
        model.max_lon >= min_lon,
        model.min_lat <= max_lat,
        model.max_lat >= min_lat,
    )


async def get_area(*, session: AsyncSession, principal: Principal, area_id: uuid.UUID) -> Area:
    """An area in the principal's scope; 404 otherwise."""
    area = await session.get(Area, area_id)
    if area is None:
        raise NotFound("area not found")
    ensure_in_scope(principal, area.area_path, what="area")
    return area


async def get_area_by_code(*, session: AsyncSession, principal: Principal, code: str) -> Area:
    """An area by its 12-digit code, in the principal's scope; 404 otherwise."""
    area = await session.scalar(select(Area).where(Area.code == code))
    if area is None:
        raise NotFound("area not found")
    ensure_in_scope(principal, area.area_path, what="area")
    return area


async def area_in_scope_or_invalid(
    *, session: AsyncSession, principal: Principal, code: str, loc: Sequence[str | int]
) -> Area:
    """The area with ``code`` if the principal sees it; else 422 naming ``loc``.

    Absent and out-of-scope areas get the same message, so existence is not disclosed.
    Other domains use it for their ``area=<code>`` filters.
    """
    area = await session.scalar(select(Area).where(Area.code == code))
    if area is None or not in_scope(principal, area.area_path):
        raise Invalid.field(loc, f"no area with code {code}")
    return area
