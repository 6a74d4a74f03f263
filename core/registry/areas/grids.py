"""Grids (网格) inside communities: the rules. Services flush, never commit."""

from __future__ import annotations

import uuid

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.auth.roles import Principal
from core.auth.scope import ensure_in_scope, scope_clause
from core.errors import Conflict, FieldError, Invalid, NotFound
from core.registry.areas.models import AreaLevel, Grid
from core.registry.areas.rules import (
    area_in_scope_or_invalid,
    bbox_clause,
    emit_change,
    ensure_writer,
    flush_or_conflict,
    get_area,
    parse_boundary,
)
from core.registry.areas.schemas import BBox, GridCreate, GridUpdate


async def create_grid(
    *, session: AsyncSession, principal: Principal, community_id: uuid.UUID, data: GridCreate
) -> Grid:
    """A grid inside a community (level 5); its code is unique within the community."""
    ensure_writer(principal)
    community = await get_area(session=session, principal=principal, area_id=community_id)
    if community.level != AreaLevel.community:
        level = AreaLevel(community.level).name
        raise Invalid.field(
            ("path", "area_id"), f"grids belong to a community (level 5); this is a {level}"
        )
    boundary = parse_boundary(data.boundary, ("body", "boundary"))
    message = f"grid code {data.code} already exists in community {community.code}"
    taken = await session.scalar(
        select(Grid.id).where(Grid.community_id == community.id, Grid.code == data.code)
    )
    if taken is not None:
        raise Conflict(message, errors=[FieldError(("body", "code"), message)], code=data.code)
    now = clock.now()
    grid = Grid(
        community_id=community.id,
        code=data.code,
        name=data.name,
        area_path=community.area_path,
        created_at=now,
        updated_at=now,
    )
    grid.set_boundary(boundary)
    await flush_or_conflict(session, grid, message, ("body", "code"))
    await emit_change(session, "grid.created", grid, community_id=community.id)
    return grid


async def get_grid(*, session: AsyncSession, principal: Principal, grid_id: uuid.UUID) -> Grid:
    """A grid in the principal's scope; 404 otherwise."""
    grid = await session.get(Grid, grid_id)
    if grid is None:
        raise NotFound("grid not found")
    ensure_in_scope(principal, grid.area_path, what="grid")
    return grid


async def list_grids(
    *,
    session: AsyncSession,
    principal: Principal,
    area_code: str | None = None,
    community_code: str | None = None,
    bbox: BBox | None = None,
    after: tuple[str, str] | None = None,
    limit: int,
) -> list[Grid]:
    """Grids in scope ordered by (area_path, code); ``after`` is the last such key seen."""
    stmt = select(Grid).where(scope_clause(principal, Grid.area_path))
    if area_code is not None:
        root = await area_in_scope_or_invalid(
            session=session, principal=principal, code=area_code, loc=("query", "area")
        )
        stmt = stmt.where(Grid.area_path.startswith(root.area_path, autoescape=True))
    if community_code is not None:
        community = await area_in_scope_or_invalid(
            session=session, principal=principal, code=community_code, loc=("query", "community")
        )
        stmt = stmt.where(Grid.community_id == community.id)
    if bbox is not None:
        stmt = stmt.where(bbox_clause(Grid, bbox))
    if after is not None:
        path, code = after
        stmt = stmt.where(
            or_(Grid.area_path > path, and_(Grid.area_path == path, Grid.code > code))
        )
    stmt = stmt.order_by(Grid.area_path, Grid.code).limit(limit)
    return list((await session.scalars(stmt)).all())


async def update_grid(
    *, session: AsyncSession, principal: Principal, grid_id: uuid.UUID, data: GridUpdate
) -> Grid:
    """Change a grid's name or boundary (explicit ``null`` clears); ``grid.updated``."""
    ensure_writer(principal)
    grid = await get_grid(session=session, principal=principal, grid_id=grid_id)
    fields = data.model_fields_set
    if not fields:
        return grid
    if "boundary" in fields:
        grid.set_boundary(parse_boundary(data.boundary, ("body", "boundary")))
    if "name" in fields and data.name is not None:
        grid.name = data.name
    grid.updated_at = clock.now()
    await session.flush()
    await emit_change(session, "grid.updated", grid, fields=sorted(fields))
    return grid


async def delete_grid(*, session: AsyncSession, principal: Principal, grid_id: uuid.UUID) -> None:
    """Delete a grid (its grid workers lose it); 409 if other records still refer to it."""
    ensure_writer(principal)
    grid = await get_grid(session=session, principal=principal, grid_id=grid_id)
    await emit_change(session, "grid.deleted", grid, community_id=grid.community_id)
    try:
        async with session.begin_nested():
            await session.delete(grid)
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"grid {grid.code} is still referred to by other records") from exc
