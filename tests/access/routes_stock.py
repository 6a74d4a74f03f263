"""Stock routes in the access matrix (issue "Stock API").

``stock_lot_tx`` also moves one fixed depot (:data:`TRANSFER_TO`) into the county it is
called for, so the fixed transfer body targets a depot of the county made last (A).
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.registry.areas.models import Area
from core.registry.depots.models import Depot
from core.stock import ledger, reserve
from core.stock.models import Move
from tests.access.matrix import ItemRoute, ListRoute, _township, factory
from tests.core.incidents.needs_world import make_incident
from tests.core.stock.test_ledger import make_item, make_need

TRANSFER_TO = uuid.UUID("00000000-0000-7000-8000-00000000d390")


async def _depot(session: AsyncSession, county: Area, depot_id: uuid.UUID | None = None) -> Depot:
    now = clock.now()
    depot = Depot(name="矩阵库", kind="warehouse", area_id=county.id, area_path=county.area_path,
                  lon=100.0, lat=25.5, address="", opening_hours={}, created_at=now,
                  updated_at=now)  # fmt: skip
    if depot_id is not None:
        depot.id = depot_id
    session.add(depot)
    await session.flush()
    return depot


async def _lot(session: AsyncSession, county: Area) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """(lot, depot, item) with 10 units received."""
    depot = await _depot(session, county)
    item_id = await make_item(session, f"MX-{uuid.uuid4().hex[:8]}")
    lot_id = await ledger.receive(session=session, actor_id=None, depot_id=depot.id,
                                  item_id=item_id, quantity=10, received_on=date(2024, 1, 1),
                                  source="donation")  # fmt: skip
    return lot_id, depot.id, item_id


@factory("stock_lot")
async def _stock_lot(session: AsyncSession, county: Area) -> uuid.UUID:
    return (await _lot(session, county))[0]


@factory("stock_lot_tx")
async def _stock_lot_tx(session: AsyncSession, county: Area) -> uuid.UUID:
    if await session.scalar(select(Depot.id).where(Depot.id == TRANSFER_TO)) is None:
        await _depot(session, county, TRANSFER_TO)
    else:
        await session.execute(update(Depot).where(Depot.id == TRANSFER_TO)
                              .values(area_id=county.id, area_path=county.area_path))  # fmt: skip
    return (await _lot(session, county))[0]


@factory("stock_reservation")
async def _stock_reservation(session: AsyncSession, county: Area) -> uuid.UUID:
    _, depot_id, item_id = await _lot(session, county)
    incident = await make_incident(session, [await _township(session, county)], title="矩阵")
    need_id = await make_need(session, incident, county.area_path, False)
    (result,) = await reserve.reserve_lines(session=session, actor_id=None, need_id=need_id,
                                            lines=[(item_id, depot_id, 4)])  # fmt: skip
    assert result.reservation_id is not None
    return result.reservation_id


@factory("stock_move")
async def _stock_move(session: AsyncSession, county: Area) -> uuid.UUID:
    lot_id = (await _lot(session, county))[0]
    return await session.scalar(select(Move.id).where(Move.lot_id == lot_id))  # type: ignore[return-value]


ITEM_ROUTES = [
    ItemRoute("GET", "/api/v1/stock/lots/{id}", "stock_lot"),
    ItemRoute(
        "POST",
        "/api/v1/stock/lots/{id}/transfer",
        "stock_lot_tx",
        body={"to_depot_id": str(TRANSFER_TO), "quantity": 3},
    ),
    ItemRoute(
        "POST", "/api/v1/stock/lots/{id}/adjust", "stock_lot", body={"delta": -1, "reason": "盘点"}
    ),
    ItemRoute(
        "POST",
        "/api/v1/stock/lots/{id}/write-off",
        "stock_lot",
        body={"quantity": 2, "reason": "damaged"},
    ),
    ItemRoute(
        "POST",
        "/api/v1/stock/reservations/{id}/release",
        "stock_reservation",
        body={"reason": "矩阵"},
    ),
    ItemRoute("POST", "/api/v1/stock/reservations/{id}/issue", "stock_reservation", body={}),
]

LIST_ROUTES = [
    ListRoute("/api/v1/stock/lots", "stock_lot"),
    ListRoute("/api/v1/stock/moves", "stock_move"),
]
