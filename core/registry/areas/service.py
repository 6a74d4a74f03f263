"""Areas (and, re-exported, grids and the batch import): the rules. No FastAPI here;
services flush, never commit.

Who may write: an admin anywhere; a coordinator strictly inside their own subtree
(a new area's parent must lie in their scope; their own root area is read-only to
them). Everyone authenticated reads, filtered to their scope; objects outside it
are 404. Boundaries are lon/lat degrees (EPSG:4326).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.auth.models import Invite, User
from core.auth.roles import Principal
from core.auth.scope import in_scope, scope_clause
from core.errors import Conflict, ErrorList, FieldError, Forbidden, Invalid
from core.registry.areas.grids import create_grid, delete_grid, get_grid, list_grids, update_grid
from core.registry.areas.importer import import_areas
from core.registry.areas.models import Area, AreaLevel, Grid
from core.registry.areas.rules import (
    area_in_scope_or_invalid,
    bbox_clause,
    emit_change,
    ensure_strictly_inside,
    ensure_writer,
    flush_or_conflict,
    get_area,
    get_area_by_code,
    parse_boundary,
    wrong_level,
)
from core.registry.areas.schemas import AreaCreate, AreaUpdate, BBox

__all__ = [
    "area_in_scope_or_invalid",
    "create_area",
    "create_grid",
    "delete_area",
    "delete_grid",
    "get_area",
    "get_area_by_code",
    "get_grid",
    "import_areas",
    "list_areas",
    "list_grids",
    "update_area",
    "update_grid",
]


# -- areas ---------------------------------------------------------------------------


async def create_area(*, session: AsyncSession, principal: Principal, data: AreaCreate) -> Area:
    """Create one area under its parent (exactly one level up); emits ``area.created``."""
    ensure_writer(principal)
    level = AreaLevel(data.level)
    errors = ErrorList()
    try:
        boundary = parse_boundary(data.boundary, ("body", "boundary"))
    except Invalid as exc:
        errors.errors.extend(exc.errors)
        boundary = None
    parent: Area | None = None
    if level is AreaLevel.province:
        if data.parent_code is not None:
            errors.add(("body", "parent_code"), "a province has no parent")
        elif not principal.is_admin:
            raise Forbidden("only an admin may create a province")
    elif data.parent_code is None:
        errors.add(("body", "parent_code"), "required for every level below the province")
    else:
        parent = await session.scalar(select(Area).where(Area.code == data.parent_code))
        if parent is None or not in_scope(principal, parent.area_path):
            errors.add(("body", "parent_code"), f"no area with code {data.parent_code}")
            parent = None
        elif parent.level != level - 1:
            errors.add(("body", "parent_code"), wrong_level(parent.code, parent.level, level))
    errors.raise_if_any(_detail(errors))
    await _ensure_code_free(session, data.code)
    now = clock.now()
    area = Area(
        code=data.code,
        name=data.name,
        level=int(level),
        parent_id=parent.id if parent else None,
        area_path=(parent.area_path if parent else "") + data.code + "/",
        urban_rural=data.urban_rural,
        created_at=now,
        updated_at=now,
    )
    area.set_boundary(boundary)
    message = f"area code {data.code} already exists"
    await flush_or_conflict(session, area, message, ("body", "code"))
    await emit_change(session, "area.created", area, level=int(level), parent_code=data.parent_code)
    return area


def _detail(errors: ErrorList) -> str:
    return "invalid fields: " + ", ".join(".".join(map(str, e.loc)) for e in errors.errors)


async def _ensure_code_free(session: AsyncSession, code: str) -> None:
    if await session.scalar(select(Area.id).where(Area.code == code)) is not None:
        message = f"area code {code} already exists"
        raise Conflict(message, errors=[FieldError(("body", "code"), message)], code=code)


async def list_areas(
    *,
    session: AsyncSession,
    principal: Principal,
    area_code: str | None = None,
    level: int | None = None,
    parent_code: str | None = None,
    bbox: BBox | None = None,
    after: str | None = None,
    limit: int,
) -> list[Area]:
    """Areas in scope ordered by code (keyset: ``after`` is the last code seen).

    ``area_code``: that area and everything below; ``parent_code``: its direct
    children; ``bbox`` (lon/lat degrees, EPSG:4326): areas whose bounding box
    intersects it (areas without a boundary never match).
    """
    stmt = select(Area).where(scope_clause(principal, Area.area_path))
    if area_code is not None:
        root = await area_in_scope_or_invalid(
            session=session, principal=principal, code=area_code, loc=("query", "area")
        )
        stmt = stmt.where(Area.area_path.startswith(root.area_path, autoescape=True))
    if parent_code is not None:
        parent = await area_in_scope_or_invalid(
            session=session, principal=principal, code=parent_code, loc=("query", "parent")
        )
        stmt = stmt.where(Area.parent_id == parent.id)
    if level is not None:
        stmt = stmt.where(Area.level == int(level))
    if bbox is not None:
        stmt = stmt.where(bbox_clause(Area, bbox))
    if after is not None:
        stmt = stmt.where(Area.code > after)
    return list((await session.scalars(stmt.order_by(Area.code).limit(limit))).all())


async def update_area(
    *, session: AsyncSession, principal: Principal, area_id: uuid.UUID, data: AreaUpdate
) -> Area:
    """Change name, urban/rural or boundary (explicit ``null`` clears); ``area.updated``."""
    ensure_writer(principal)
    area = await get_area(session=session, principal=principal, area_id=area_id)
    ensure_strictly_inside(principal, area)
    fields = data.model_fields_set
    if not fields:
        return area
    if "boundary" in fields:
        area.set_boundary(parse_boundary(data.boundary, ("body", "boundary")))
    if "name" in fields and data.name is not None:
        area.name = data.name
    if "urban_rural" in fields:
        area.urban_rural = data.urban_rural
    area.updated_at = clock.now()
    await session.flush()
    await emit_change(session, "area.updated", area, fields=sorted(fields))
    return area


async def delete_area(*, session: AsyncSession, principal: Principal, area_id: uuid.UUID) -> None:
    """Delete an area with nothing below or referring to it; 409 says what is in the way."""
    ensure_writer(principal)
    area = await get_area(session=session, principal=principal, area_id=area_id)
    ensure_strictly_inside(principal, area)
    blockers = {
        "children": await _count(session, Area, Area.parent_id == area.id),
        "grids": await _count(session, Grid, Grid.community_id == area.id),
        "users": await _count(session, User, User.area_id == area.id),
        "invites": await _count(session, Invite, Invite.area_id == area.id),
    }
    blockers = {k: v for k, v in blockers.items() if v}
    if blockers:
        what = ", ".join(f"{n} {k}" for k, n in blockers.items())
        raise Conflict(f"area {area.code} still has {what}; remove them first", **blockers)
    await emit_change(session, "area.deleted", area)
    try:
        async with session.begin_nested():
            await session.delete(area)
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"area {area.code} is still referred to by other records") from exc


async def _count(session: AsyncSession, model: Any, where: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(model).where(where)) or 0)
