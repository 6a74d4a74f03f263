"""Loading a batch's stock: free, unexpired lots of the demanded items, and depot points.

Real lots for a real incident; for a drill incident drill lots of no drill or of that
drill (:func:`core.stock.take.serving`, the rule reservations follow). Depots under the
covered areas, or pinned.
"""

from __future__ import annotations

from operator import attrgetter

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.incidents.match_batch import Loaded, under_any
from core.registry.depots.models import Depot
from core.stock.models import Lot
from core.stock.take import serving

_DEPOT_ID = attrgetter("depot_id")


async def load_supply(session: AsyncSession, w: Loaded, covered: list[str]) -> None:
    """Free unexpired stock per (depot, item) of the demanded items, and depot points."""
    items = set().union(*w.demand.values())  # each need's items still wanted (> 0)
    if not items:
        return
    pins = [o.pin_depot for o in w.overrides.values() if o.pin_depot]
    free = Lot.on_hand - Lot.reserved
    stmt = (
        select(Lot.depot_id, Lot.item_id, func.sum(free))
        .where(
            Lot.item_id.in_(items),
            serving(is_drill=w.is_drill, incidents=[w.incident_id]),
            or_(under_any(Lot.area_path, covered), Lot.depot_id.in_(pins)),
        )
        .group_by(Lot.depot_id, Lot.item_id)
    )
    w.supply = {(d, i): int(q) for d, i, q in await session.execute(stmt)}


async def load_depot_points(session: AsyncSession, w: Loaded) -> None:
    """Points of the depots with stock and of the re-entering tasks' depots."""
    ids = {d for d, _ in w.supply} | set(map(_DEPOT_ID, w.old))
    ids.discard(None)
    if ids:
        found = await session.execute(
            select(Depot.id, Depot.lon, Depot.lat).where(Depot.id.in_(ids))
        )
        w.depots = {d: (lon, lat) for d, lon, lat in found}
