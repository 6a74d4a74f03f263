"""Stock alerts: lots expiring soon (or expired with stock left) and depots under a minimum.

Only real stock counts (drill and shadow lots never raise alerts). ``available`` is the
sum of ``on_hand - reserved`` over a depot's unexpired real lots of the item, so an
expired lot never makes a depot look stocked. Minimums are set per (depot, item).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, insert, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import Principal
from core.auth.scope import scope_clause
from core.events.outbox import emit
from core.registry.depots.models import Depot
from core.registry.items.models import Item
from core.stock.ledger import streams, today
from core.stock.models import Lot, StockMinimum

_NO_SYNC = {"synchronize_session": False}


@dataclass(frozen=True, slots=True)
class LotAlert:
    """A real lot with stock on hand that expires soon (or has expired)."""

    lot_id: uuid.UUID
    depot_id: uuid.UUID
    depot_name: str
    item_code: str
    area_path: str
    on_hand: int
    reserved: int
    expires_on: date
    days_left: int  # negative once expired


@dataclass(frozen=True, slots=True)
class MinimumAlert:
    """A depot holding less of an item than its minimum."""

    depot_id: uuid.UUID
    depot_name: str
    item_code: str
    area_path: str
    minimum: int
    available: int

    @property
    def short(self) -> int:
        return self.minimum - self.available


@dataclass(frozen=True, slots=True)
class Alerts:
    today: date
    days: int
    expiring: list[LotAlert]
    expired: list[LotAlert]
    under_minimum: list[MinimumAlert]


def _under(path_column: Any, area_path: str | None) -> ColumnElement[bool]:
    """Rows at or below ``area_path`` (every row when None)."""
    return true() if area_path is None else path_column.startswith(area_path, autoescape=True)


async def lot_alerts(
    *, session: AsyncSession, principal: Principal, days: int, area_path: str | None = None
) -> tuple[list[LotAlert], list[LotAlert]]:
    """(expiring within ``days`` from today, already expired) real lots with stock on hand."""
    now = today()
    stmt = (
        select(Lot.id, Lot.depot_id, Depot.name, Item.code, Lot.area_path, Lot.on_hand,
               Lot.reserved, Lot.expires_on)
        .join(Depot, Depot.id == Lot.depot_id).join(Item, Item.id == Lot.item_id)
        .where(scope_clause(principal, Lot.area_path), _under(Lot.area_path, area_path),
               Lot.is_drill.is_(False), Lot.on_hand > 0, Lot.expires_on.is_not(None),
               Lot.expires_on <= now + timedelta(days=days))
        .order_by(Lot.expires_on, Lot.id)
    )  # fmt: skip
    expiring, expired = [], []
    for r in await session.execute(stmt):
        alert = LotAlert(r[0], r[1], r[2], r[3], r[4], int(r[5]), int(r[6]), r[7],
                         (r[7] - now).days)  # fmt: skip
        (expired if r.expires_on < now else expiring).append(alert)
    return expiring, expired


async def minimum_alerts(
    *, session: AsyncSession, principal: Principal, area_path: str | None = None
) -> list[MinimumAlert]:
    """Every (depot, item) whose available real, unexpired stock is below its minimum."""
    free = (
        select(Lot.depot_id, Lot.item_id, func.sum(Lot.on_hand - Lot.reserved).label("free"))
        .where(Lot.is_drill.is_(False), or_(Lot.expires_on.is_(None), Lot.expires_on >= today()))
        .group_by(Lot.depot_id, Lot.item_id)
        .subquery()
    )  # fmt: skip
    available = func.coalesce(free.c.free, 0)
    stmt = (
        select(Depot.id, Depot.name, Item.code, Depot.area_path, StockMinimum.minimum, available)
        .select_from(StockMinimum)
        .join(Depot, Depot.id == StockMinimum.depot_id)
        .join(Item, Item.id == StockMinimum.item_id)
        .outerjoin(free, and_(free.c.depot_id == StockMinimum.depot_id,
                              free.c.item_id == StockMinimum.item_id))
        .where(scope_clause(principal, Depot.area_path), _under(Depot.area_path, area_path),
               available < StockMinimum.minimum)
        .order_by(Depot.area_path, Depot.id, Item.code)
    )  # fmt: skip
    rows = await session.execute(stmt)
    return [MinimumAlert(r[0], r[1], r[2], r[3], int(r[4]), int(r[5])) for r in rows]


async def alerts(
    *, session: AsyncSession, principal: Principal, days: int = 30, area_path: str | None = None
) -> Alerts:
    """Both alert lists for the caller's scope (optionally below ``area_path``)."""
    expiring, expired = await lot_alerts(
        session=session, principal=principal, days=days, area_path=area_path
    )
    under = await minimum_alerts(session=session, principal=principal, area_path=area_path)
    return Alerts(today(), days, expiring, expired, under)


async def set_minimum(
    *, session: AsyncSession, depot_id: uuid.UUID, item_id: uuid.UUID, minimum: int,
    area_path: str,
) -> None:  # fmt: skip
    """Upsert a depot's minimum for an item: UPDATE, else INSERT (a racing INSERT that
    wins makes ours fail on the primary key; then the UPDATE is retried). Works alike on
    SQLite and PostgreSQL; flushes, never commits."""
    key = and_(StockMinimum.depot_id == depot_id, StockMinimum.item_id == item_id)
    change = update(StockMinimum).where(key).values(minimum=minimum).execution_options(**_NO_SYNC)
    if (await session.execute(change)).rowcount != 1:
        try:
            async with session.begin_nested():
                await session.execute(insert(StockMinimum).values(
                    depot_id=depot_id, item_id=item_id, minimum=minimum))  # fmt: skip
        except IntegrityError:
            await session.execute(change)
    data = {"depot_id": depot_id, "item_id": item_id, "minimum": minimum}
    await emit(session, type="stock.minimum_set", data=data, streams=streams(area_path))


async def list_minimums(
    *, session: AsyncSession, principal: Principal, depot_id: uuid.UUID | None = None,
    after: tuple[uuid.UUID, str] | None = None, limit: int,
) -> list[tuple[uuid.UUID, str, str, int]]:  # fmt: skip
    """(depot_id, item_code, area_path, minimum) in scope, by depot then item code."""
    stmt = (
        select(StockMinimum.depot_id, Item.code, Depot.area_path, StockMinimum.minimum)
        .join(Depot, Depot.id == StockMinimum.depot_id)
        .join(Item, Item.id == StockMinimum.item_id)
        .where(scope_clause(principal, Depot.area_path))
    )
    if depot_id is not None:
        stmt = stmt.where(StockMinimum.depot_id == depot_id)
    if after is not None:
        depot, code = after
        same = and_(StockMinimum.depot_id == depot, Item.code > code)
        stmt = stmt.where(or_(StockMinimum.depot_id > depot, same))
    stmt = stmt.order_by(StockMinimum.depot_id, Item.code).limit(limit)
    return [(r[0], r[1], r[2], int(r[3])) for r in await session.execute(stmt)]
