"""Depots: the rules. No FastAPI here; services flush, never commit.

Who may do what (depots are places, not personal data):

* admin: anything, anywhere.
* coordinator: creates, changes and deletes depots whose area lies in their subtree,
  their own root area included (a county coordinator keeps the county warehouse);
  moving a depot needs the new area in scope too. An owner organization must be in
  their scope (an admin may name one from higher up).
* grid worker, volunteer, household contact, auditor: read depots in their scope
  (volunteers fetch stock there, households look for shelters); no writes (403).

Objects outside the caller's scope are 404. A depot's area is a county, township or
community (levels 3-5: county warehouses exist); its point (lon/lat, WGS-84) must lie
inside the area's boundary when the area has one.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import Principal
from core.auth.scope import ensure_in_scope, scope_clause
from core.errors import Conflict, NotFound
from core.events.outbox import emit
from core.geo.near import near_clause
from core.registry.areas.rules import area_in_scope_or_invalid
from core.registry.depots.batch import create_batch
from core.registry.depots.importer import import_depots
from core.registry.depots.models import Depot
from core.registry.depots.rules import ensure_writer
from core.registry.depots.schemas import DepotCreate, DepotUpdate
from core.registry.depots.update import apply_update

__all__ = [
    "create_depot",
    "create_depots",
    "delete_depot",
    "get_depot",
    "import_depots",
    "list_depots",
    "register_delete_blocker",
    "update_depot",
]

Blocker = Callable[[AsyncSession, uuid.UUID], Awaitable[int]]
_BLOCKERS: dict[str, Blocker] = {}


def register_delete_blocker(name: str) -> Callable[[Blocker], Blocker]:
    """Register ``async fn(session, depot_id) -> count`` of rows that refer to a depot.

    A depot with any such rows is not deleted (409 naming ``name`` and the count).
    The stock issue registers its lots here.
    """

    def register(fn: Blocker) -> Blocker:
        _BLOCKERS[name] = fn
        return fn

    return register


async def create_depots(
    *, session: AsyncSession, principal: Principal | None, rows: list[DepotCreate]
) -> list[uuid.UUID]:
    """Create many depots in one statement (all or nothing); their ids in row order.

    ``principal=None`` is the system (admin). Errors name ``("rows", i, field)``.
    Points are WGS-84 degrees (convert GCJ-02 first: :meth:`DepotCreate.in_wgs84`).
    """
    prefixes = [("rows", i) for i in range(len(rows))]
    return await create_batch(session=session, principal=principal, rows=rows, prefixes=prefixes)


async def create_depot(*, session: AsyncSession, principal: Principal, data: DepotCreate) -> Depot:
    """Create one depot (the batch with a list of one); errors name ``("body", field)``."""
    (depot_id,) = await create_batch(
        session=session, principal=principal, rows=[data], prefixes=[("body",)]
    )
    depot = await session.get(Depot, depot_id)
    assert depot is not None
    return depot


async def get_depot(*, session: AsyncSession, principal: Principal, depot_id: uuid.UUID) -> Depot:
    """A depot in the principal's scope; 404 otherwise."""
    depot = await session.get(Depot, depot_id)
    if depot is None:
        raise NotFound("depot not found")
    ensure_in_scope(principal, depot.area_path, what="depot")
    return depot


async def list_depots(
    *,
    session: AsyncSession,
    principal: Principal,
    area_code: str | None = None,
    kinds: Sequence[str] = (),
    owner_org_id: uuid.UUID | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    near: tuple[float, float, float] | None = None,
    after: uuid.UUID | None = None,
    limit: int,
) -> list[Depot]:
    """Depots in scope ordered by id (keyset: ``after`` is the last id seen).

    ``area_code``: that area and below; ``bbox`` (min_lon, min_lat, max_lon, max_lat)
    and ``near`` (lon, lat, km) are WGS-84 degrees, ``near`` by spherical distance.
    """
    stmt = select(Depot).where(scope_clause(principal, Depot.area_path))
    if area_code is not None:
        root = await area_in_scope_or_invalid(
            session=session, principal=principal, code=area_code, loc=("query", "area")
        )
        stmt = stmt.where(Depot.area_path.startswith(root.area_path, autoescape=True))
    if kinds:
        stmt = stmt.where(Depot.kind.in_(list(kinds)))
    if owner_org_id is not None:
        stmt = stmt.where(Depot.owner_org_id == owner_org_id)
    if bbox is not None:
        min_lon, min_lat, max_lon, max_lat = bbox
        stmt = stmt.where(
            and_(Depot.lon.between(min_lon, max_lon), Depot.lat.between(min_lat, max_lat))
        )
    if near is not None:
        lon, lat, km = near
        dialect = session.bind.dialect.name
        stmt = stmt.where(near_clause(Depot, lon=lon, lat=lat, km=km, dialect=dialect))
    if after is not None:
        stmt = stmt.where(Depot.id > after)
    return list((await session.scalars(stmt.order_by(Depot.id).limit(limit))).all())


async def update_depot(
    *, session: AsyncSession, principal: Principal, depot_id: uuid.UUID, data: DepotUpdate
) -> Depot:
    """Change fields; the result passes every create rule; emits ``depot.updated``."""
    ensure_writer(principal)
    depot = await get_depot(session=session, principal=principal, depot_id=depot_id)
    await apply_update(session=session, principal=principal, depot=depot, data=data)
    return depot


async def delete_depot(*, session: AsyncSession, principal: Principal, depot_id: uuid.UUID) -> None:
    """Delete a depot nothing refers to; 409 says what is in the way."""
    ensure_writer(principal)
    depot = await get_depot(session=session, principal=principal, depot_id=depot_id)
    blockers = {name: await count(session, depot.id) for name, count in _BLOCKERS.items()}
    blockers = {k: v for k, v in blockers.items() if v}
    if blockers:
        what = ", ".join(f"{n} {k}" for k, n in blockers.items())
        raise Conflict(f"depot {depot.name} still has {what}; remove them first", **blockers)
    event = {"id": depot.id, "name": depot.name, "kind": depot.kind, "area_path": depot.area_path}
    await emit(session, type="depot.deleted", data=event, streams=[f"area:{depot.area_path}"])
    try:
        async with session.begin_nested():
            await session.delete(depot)
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"depot {depot.name} is still referred to by other records") from exc
