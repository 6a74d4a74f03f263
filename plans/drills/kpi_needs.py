"""Needs: met and time to fulfilment by priority band; unmet needs by item.

* **Priority band** of a need: from its base priority ``10 · severity + vulnerability``
  (the stored formula of :mod:`core.incidents.priority` without the waiting bonus, so a
  need keeps its band): ``P1`` ≥ 50, ``P2`` ≥ 40, ``P3`` ≥ 30, ``P4`` below.
* **Met**: status ``fulfilled`` with ``closed_at`` at or before ``until``; time to
  fulfilment is ``closed_at − created_at`` in minutes. **Cancelled** needs count apart.
  Every other need raised by ``until`` is **unmet**.
* **Unmet by item**: the items those unmet needs ask for (``need_item``): needs and
  quantity in the item's base unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import distinct, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.incidents.need_models import Need, NeedItem
from core.incidents.priority import priority
from core.registry.items.models import Item
from plans.drills.kpi_math import INF, active, cumulative, spread
from plans.drills.kpi_timeline import Scope

BANDS = (("P1", 50.0), ("P2", 40.0), ("P3", 30.0), ("P4", float("-inf")))


def band(severity: int, vulnerability: float) -> str:
    """The priority band of a need (see the module docstring)."""
    base = priority(severity, vulnerability, 0)
    return next(name for name, floor in BANDS if base >= floor)


async def need_kpis(
    session: AsyncSession, scope: Scope, at: Sequence[int]
) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """Needs per band, unmet needs per item, and the open / fulfilled series."""
    stmt = select(
        Need.severity, Need.vulnerability, Need.status, Need.created_at, Need.closed_at
    ).where(Need.incident_id == scope.incident_id, Need.created_at <= scope.until)
    bands: dict[str, dict[str, Any]] = {
        name: {"raised": 0, "met": 0, "cancelled": 0, "unmet": 0, "_t": []} for name, _ in BANDS
    }
    spans: list[tuple[float, float]] = []
    met_at: list[float] = []
    for severity, vulnerability, status, created, closed in await session.execute(stmt):
        row = bands[band(severity, vulnerability)]
        row["raised"] += 1
        t0 = scope.minutes(created)
        closed_by = closed is not None and closed <= scope.until
        end = scope.minutes(closed) if closed_by else INF
        spans.append((t0, end))
        if status == "fulfilled" and closed_by:
            row["met"] += 1
            row["_t"].append(end - t0)
            met_at.append(end)
        elif status == "cancelled" and closed_by:
            row["cancelled"] += 1
        else:
            row["unmet"] += 1
    for row in bands.values():
        taken = row.pop("_t")
        row["met_share"] = round(row["met"] / row["raised"], 4) if row["raised"] else None
        row["fulfil_minutes"] = spread(taken)
    total = {k: sum(b[k] for b in bands.values()) for k in ("raised", "met", "cancelled", "unmet")}
    unmet = await _unmet(session, scope)
    figures = {"needs": total, "needs_by_band": bands, "unmet_by_item": unmet}
    series = {"needs_open": active(spans, at), "needs_met": cumulative(met_at, at)}
    return figures, series


async def _unmet(session: AsyncSession, scope: Scope) -> list[dict[str, Any]]:
    unmet = or_(
        Need.status.not_in(("fulfilled", "cancelled")),
        Need.closed_at.is_(None),
        Need.closed_at > scope.until,
    )
    stmt = (
        select(
            Item.code,
            Item.name_zh,
            Item.base_unit,
            func.count(distinct(Need.id)),
            func.sum(NeedItem.quantity),
        )
        .join(NeedItem, NeedItem.need_id == Need.id)
        .join(Item, Item.id == NeedItem.item_id)
        .where(Need.incident_id == scope.incident_id, Need.created_at <= scope.until, unmet)
        .group_by(Item.code, Item.name_zh, Item.base_unit)
        .order_by(func.sum(NeedItem.quantity).desc(), Item.code)
    )
    return [
        {"item": code, "name": name, "unit": unit, "needs": int(n), "quantity": int(q or 0)}
        for code, name, unit, n, q in await session.execute(stmt)
    ]
