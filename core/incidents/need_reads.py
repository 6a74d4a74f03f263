"""Reading needs: one, a filtered list (most urgent first), and their read shapes.

Who sees what is :mod:`.need_access`. Lists are ordered by priority (highest first),
then age (oldest first), then id; the keyset is that triple. ``bbox``/``near`` match
only needs whose exact point the caller may read (like households), so a filter never
reveals a point the answer would round. Every answer carrying a description is
logged as a personal-data read (``subject_kind`` ``need``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import Principal
from core.auth.service import log_personal_read
from core.errors import NotFound
from core.geo.near import near_clause
from core.incidents.need_access import need_personal_clause, personal
from core.incidents.need_models import Need, NeedItem
from core.incidents.need_schemas import NeedItemRead, NeedRead
from core.registry.areas.rules import area_in_scope_or_invalid
from core.registry.households.access import in_reach, reach_clause
from core.registry.households.models import Household
from core.registry.households.schemas import ROUNDED_DIGITS
from core.registry.items.models import Item

Key = tuple[float, datetime, uuid.UUID]
"""The list order: (priority, created_at, id)."""


async def get_need(*, session: AsyncSession, principal: Principal, need_id: uuid.UUID) -> Need:
    """A need in the principal's reach; 404 otherwise."""
    need = await session.get(Need, need_id)
    if need is None or not in_reach(
        principal, area_path=need.area_path, household_id=need.household_id
    ):
        raise NotFound("need not found")
    return need


async def list_needs(
    *,
    session: AsyncSession,
    principal: Principal,
    incident_id: uuid.UUID | None = None,
    statuses: Sequence[str] = (),
    kinds: Sequence[str] = (),
    sources: Sequence[str] = (),
    area_code: str | None = None,
    household_id: uuid.UUID | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    near: tuple[float, float, float] | None = None,
    after: Key | None = None,
    limit: int,
) -> list[Need]:
    """Needs in reach, most urgent first. ``bbox`` (minlon, minlat, maxlon, maxlat) and
    ``near`` (lon, lat, km; spherical) are WGS-84 degrees."""
    stmt = select(Need).where(
        reach_clause(principal, area_path=Need.area_path, household_id=Need.household_id)
    )
    for column, wanted in ((Need.status, statuses), (Need.kind, kinds), (Need.source, sources)):
        if wanted:
            stmt = stmt.where(column.in_([str(v) for v in wanted]))
    if incident_id is not None:
        stmt = stmt.where(Need.incident_id == incident_id)
    if household_id is not None:
        stmt = stmt.where(Need.household_id == household_id)
    if area_code is not None:
        root = await area_in_scope_or_invalid(
            session=session, principal=principal, code=area_code, loc=("query", "area")
        )
        stmt = stmt.where(Need.area_path.startswith(root.area_path, autoescape=True))
    if bbox is not None or near is not None:
        stmt = stmt.outerjoin(Household, Household.id == Need.household_id).where(
            need_personal_clause(
                principal,
                area_path=Need.area_path,
                household_id=Need.household_id,
                grid_id=Household.grid_id,
            )
        )
    if bbox is not None:
        min_lon, min_lat, max_lon, max_lat = bbox
        stmt = stmt.where(Need.lon.between(min_lon, max_lon), Need.lat.between(min_lat, max_lat))
    if near is not None:
        lon, lat, km = near
        dialect = session.bind.dialect.name
        stmt = stmt.where(near_clause(Need, lon=lon, lat=lat, km=km, dialect=dialect))
    if after is not None:
        stmt = stmt.where(_after(after))
    order = (Need.priority.desc(), Need.created_at, Need.id)
    return list((await session.scalars(stmt.order_by(*order).limit(limit))).all())


def _after(key: Key) -> Any:
    p, at, nid = key
    return or_(
        Need.priority < p,
        and_(
            Need.priority == p,
            or_(Need.created_at > at, and_(Need.created_at == at, Need.id > nid)),
        ),
    )


def key_of(need: NeedRead | Need) -> list[Any]:
    """The cursor key of ``need`` (JSON-able)."""
    return [need.priority, need.created_at.isoformat(), str(need.id)]


async def present_needs(
    *, session: AsyncSession, principal: Principal, needs: Sequence[Need], purpose: str
) -> list[NeedRead]:
    """Needs as :class:`NeedRead`; descriptions shown are logged as personal reads."""
    ids = [n.id for n in needs]
    grids = await _grids(session, {n.household_id for n in needs if n.household_id})
    lines = await _lines(session, ids)
    out = []
    shown = []
    for n in needs:
        grid_id = grids.get(n.household_id) if n.household_id else None
        allowed = personal(
            principal, area_path=n.area_path, household_id=n.household_id, grid_id=grid_id
        )
        if allowed and n.description:
            shown.append(n.id)
        out.append(_read(n, allowed, lines.get(n.id, [])))
    if shown:
        await log_personal_read(
            session=session,
            principal=principal,
            subject_kind="need",
            subject_ids=shown,
            purpose=purpose,
        )
    return out


def _read(n: Need, allowed: bool, items: list[NeedItemRead]) -> NeedRead:
    lon, lat = (
        (n.lon, n.lat) if allowed else (round(n.lon, ROUNDED_DIGITS), round(n.lat, ROUNDED_DIGITS))
    )
    return NeedRead(
        id=n.id,
        incident_id=n.incident_id,
        community_id=n.community_id,
        community_code=n.area_path.rstrip("/").rsplit("/", 1)[-1],
        area_path=n.area_path,
        household_id=n.household_id,
        person_id=n.person_id,
        source=n.source,  # type: ignore[arg-type]
        kind=n.kind,  # type: ignore[arg-type]
        status=n.status,  # type: ignore[arg-type]
        severity=n.severity,
        vulnerability=n.vulnerability,
        priority=n.priority,
        neighbours_first=n.neighbours_first,
        skills=list(n.skills or []),
        languages=list(n.languages or []),
        items=items,
        is_drill=n.is_drill,
        lon=lon,
        lat=lat,
        point_exact=allowed,
        personal=allowed,
        description=n.description if allowed else None,
        created_by=n.created_by,
        created_at=n.created_at,
        updated_at=n.updated_at,
        closed_at=n.closed_at,
    )


async def _grids(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID | None]:
    if not ids:
        return {}
    stmt = select(Household.id, Household.grid_id).where(Household.id.in_(sorted(ids)))
    return {hid: gid for hid, gid in await session.execute(stmt)}


async def _lines(
    session: AsyncSession, ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[NeedItemRead]]:
    if not ids:
        return {}
    stmt = (
        select(NeedItem.need_id, NeedItem.item_id, Item.code, Item.base_unit, NeedItem.quantity)
        .join(Item, Item.id == NeedItem.item_id)
        .where(NeedItem.need_id.in_(ids))
        .order_by(NeedItem.need_id, Item.code)
    )
    out: dict[uuid.UUID, list[NeedItemRead]] = {}
    for nid, iid, code, unit, qty in await session.execute(stmt):
        out.setdefault(nid, []).append(
            NeedItemRead(item_id=iid, item_code=code, base_unit=unit, quantity=qty)
        )
    return out
