"""Days of stock left per depot, against this incident's consumption rate.

* **Consumed** at a depot, per item: what this incident's ledger moves (``reserve``,
  ``release``, ``issue`` with its ``incident_id``, up to ``until``) took out of available
  stock — ``−Σ(on_hand_delta − reserved_delta)``: a reservation takes stock, a release
  gives it back, issuing reserved stock changes nothing more, issuing unreserved stock
  takes it.
* **Rate**: consumed / incident days elapsed since the start (a live drill's wall days ×
  its speed-up).
* **Available**: free, unexpired stock now in the lots this incident may draw from
  (:func:`core.stock.take.serving`: real lots for a real incident; drill lots, its own
  shadow lots included, for a drill).
* **Days left** of an item: available / rate; of a depot: its first item to run out.
  Only depots this incident drew from are listed (``None``: nothing consumed net).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from core.registry.depots.models import Depot
from core.registry.items.models import Item
from core.stock.models import Lot, Move
from core.stock.take import serving
from plans.drills.kpi_timeline import Scope

KINDS = ("reserve", "release", "issue")


async def stock_kpis(session: AsyncSession, scope: Scope) -> list[dict[str, Any]]:
    """One row per depot this incident drew from, worst first."""
    taken = -func.sum(Move.on_hand_delta - Move.reserved_delta)
    stmt = (
        select(Move.depot_id, Move.item_id, taken)
        .where(Move.incident_id == scope.incident_id, Move.kind.in_(KINDS),
               Move.at <= scope.until)
        .group_by(Move.depot_id, Move.item_id)
    )  # fmt: skip
    consumed = {(d, i): int(q or 0) for d, i, q in await session.execute(stmt)}
    if not consumed:
        return []
    free = func.sum(Lot.on_hand - Lot.reserved)
    stmt = (
        select(Lot.depot_id, Lot.item_id, free)
        .where(tuple_(Lot.depot_id, Lot.item_id).in_(list(consumed)),
               serving(is_drill=scope.is_drill, incidents=[scope.incident_id]))
        .group_by(Lot.depot_id, Lot.item_id)
    )  # fmt: skip
    available = {(d, i): int(q or 0) for d, i, q in await session.execute(stmt)}
    days = max(scope.minutes(scope.until) / 1440.0, 1e-9)
    names = await _names(session, {d for d, _ in consumed}, {i for _, i in consumed})
    depots: dict[Any, dict[str, Any]] = {}
    for (depot_id, item_id), used in sorted(consumed.items(), key=lambda kv: str(kv[0])):
        name, lon, lat = names[depot_id]
        row = depots.setdefault(
            depot_id,
            {"depot_id": str(depot_id), "name": name, "lon": lon, "lat": lat, "items": []},
        )
        left = available.get((depot_id, item_id), 0)
        rate = used / days
        row["items"].append({
            "item": names[item_id], "consumed": used, "available": left,
            "per_day": round(rate, 2),
            "days_left": round(left / rate, 2) if rate > 0 else None,
        })  # fmt: skip
    for row in depots.values():
        known = [i["days_left"] for i in row["items"] if i["days_left"] is not None]
        row["days_left"] = min(known) if known else None
    big = float("inf")
    return sorted(depots.values(), key=lambda r: (r["days_left"] if r["days_left"] is not None
                                                  else big, r["depot_id"]))  # fmt: skip


async def _names(session: AsyncSession, depots: set[Any], items: set[Any]) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    stmt = select(Depot.id, Depot.name, Depot.lon, Depot.lat).where(Depot.id.in_(list(depots)))
    out.update({d: (n, lon, lat) for d, n, lon, lat in await session.execute(stmt)})
    stmt = select(Item.id, Item.code).where(Item.id.in_(list(items)))
    out.update({i: code for i, code in await session.execute(stmt)})
    return out
