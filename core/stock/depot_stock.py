"""Stock per depot and item, for the map: on hand, reserved, available, next expiry.

One GROUP BY over the lots of the depots asked for. ``on_hand`` and ``reserved`` sum
every lot still holding stock; ``available`` (on hand − reserved) and ``next_expiry``
count unexpired lots only, as reservations never take expired stock.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.registry.items.models import Item
from core.stock.ledger import today
from core.stock.models import Lot

_CHUNK = 5000


@dataclass(frozen=True, slots=True)
class ItemStock:
    item_code: str
    on_hand: int
    reserved: int
    available: int
    next_expiry: date | None


async def stock_by_depot(
    *, session: AsyncSession, depot_ids: Sequence[uuid.UUID], drill: bool = False
) -> dict[uuid.UUID, list[ItemStock]]:
    """Depot id → its items' stock (by item code); drill stock instead of real if ``drill``."""
    now = today()
    fresh = or_(Lot.expires_on.is_(None), Lot.expires_on >= now)
    available = func.sum(case((fresh, Lot.on_hand - Lot.reserved), else_=0))
    next_expiry = func.min(case((Lot.expires_on >= now, Lot.expires_on), else_=None))
    stmt = (
        select(Lot.depot_id, Item.code, func.sum(Lot.on_hand), func.sum(Lot.reserved),
               available, next_expiry)
        .join(Item, Item.id == Lot.item_id)
        .where(Lot.is_drill.is_(drill), Lot.on_hand > 0)
        .group_by(Lot.depot_id, Item.code)
        .order_by(Lot.depot_id, Item.code)
    )  # fmt: skip
    out: dict[uuid.UUID, list[ItemStock]] = {d: [] for d in depot_ids}
    ids = list(depot_ids)
    for start in range(0, len(ids), _CHUNK):
        rows = await session.execute(stmt.where(Lot.depot_id.in_(ids[start : start + _CHUNK])))
        for depot_id, code, on_hand, reserved, free, soonest in rows:
            out[depot_id].append(ItemStock(code, int(on_hand), int(reserved), int(free), soonest))
    return out
