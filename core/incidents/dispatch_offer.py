"""Offers: proposed assignments become ``offered`` with a deadline and a durable timer.

The deadline is ``HUZHU_OFFER_SECONDS`` after now (a live drill divides it by its
speed-up); the timer (kind ``dispatch.offer_expiry``, key ``offer:<assignment id>``)
expires the offer if nobody answered (:mod:`.dispatch_timers`). ``assignment.offered``
carries what a phone shows (see :func:`offer_data`).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.config import get_settings
from core.db import chunks
from core.events.models import Timer
from core.events.outbox import EventIn, emit_many
from core.ids import uuid7
from core.incidents.dispatch_close import offer_key
from core.incidents.dispatch_core import load, move
from core.incidents.dispatch_rules import event
from core.incidents.match_models import Assignment, AssignmentStatus, TaskLine
from core.incidents.models import IncidentMode
from core.incidents.need_models import Need
from core.registry.depots.models import Depot
from core.registry.items.models import Item

OFFER_TIMER = "dispatch.offer_expiry"


def offer_window(*, mode: str, speedup: float) -> timedelta:
    """``HUZHU_OFFER_SECONDS``, divided by a live drill's speed-up."""
    base = timedelta(seconds=get_settings().offer_seconds)
    return base / speedup if mode == IncidentMode.live_drill.value and speedup > 1 else base


async def offer_proposed(
    *,
    session: AsyncSession,
    incident_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> list[uuid.UUID]:
    """Offer every ``proposed`` assignment (of the incident, or all); the offered ids."""
    now = now or clock.now()
    stmt = select(Assignment.id).where(Assignment.status == AssignmentStatus.proposed.value)
    if incident_id is not None:
        stmt = stmt.where(Assignment.incident_id == incident_id)
    ids = list(await session.scalars(stmt))
    rows = list((await load(session, ids, where=Assignment.status == "proposed")).values())
    if not rows:
        return []
    deadline = {r.id: now + offer_window(mode=r.mode, speedup=r.speedup) for r in rows}
    by_deadline: dict[datetime, list[Any]] = defaultdict(list)
    for row in rows:
        by_deadline[deadline[row.id]].append(row)
    for due, group in by_deadline.items():  # one UPDATE per deadline (per incident, really)
        await move(session, group, AssignmentStatus.offered, now, offer_deadline=due)
    await session.execute(
        insert(Timer.__table__),
        [
            {"id": uuid7(), "kind": OFFER_TIMER, "key": offer_key(r.id), "due_at": deadline[r.id],
             "payload": {"assignment_id": str(r.id)}, "created_at": now, "attempts": 0}
            for r in rows
        ],
    )  # fmt: skip
    details = await offer_details(session, rows)
    events: list[EventIn] = [
        event(r, AssignmentStatus.offered, now, **details[r.id], deadline=deadline[r.id])
        for r in rows
    ]
    await emit_many(session, events)
    return [r.id for r in rows]


async def offer_details(session: AsyncSession, rows: list[Any]) -> dict[uuid.UUID, dict[str, Any]]:
    """Per assignment: the need's summary and point, travel, the items to pick up and the
    depot (None for a task without one)."""
    needs: dict[uuid.UUID, Any] = {}
    depots: dict[uuid.UUID, Any] = {}
    lines: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    need_ids = sorted({r.need_id for r in rows})
    depot_ids = sorted({r.depot_id for r in rows if r.depot_id is not None})
    task_ids = sorted({r.task_id for r in rows})
    need_cols = (Need.id, Need.kind, Need.priority, Need.description, Need.severity, Need.lon,
                 Need.lat, Need.household_id, Need.person_id)  # fmt: skip
    for part in chunks(need_ids):
        needs.update({n.id: n for n in await session.execute(
            select(*need_cols).where(Need.id.in_(part)))})  # fmt: skip
    for part in chunks(depot_ids):
        stmt = select(Depot.id, Depot.name, Depot.lon, Depot.lat).where(Depot.id.in_(part))
        depots.update({d.id: d for d in await session.execute(stmt)})
    for part in chunks(task_ids):
        stmt = (
            select(TaskLine.task_id, TaskLine.item_id, TaskLine.quantity, Item.name_zh,
                   Item.name_en, Item.base_unit)
            .join(Item, Item.id == TaskLine.item_id)
            .where(TaskLine.task_id.in_(part))
            .order_by(TaskLine.task_id, Item.code)
        )  # fmt: skip
        for line in await session.execute(stmt):
            lines[line.task_id].append({
                "item_id": line.item_id, "name": line.name_zh, "name_en": line.name_en,
                "unit": line.base_unit, "quantity": line.quantity})  # fmt: skip
    out = {}
    for r in rows:
        n = needs[r.need_id]
        d = depots.get(r.depot_id) if r.depot_id is not None else None
        out[r.id] = {
            "need": {"id": n.id, "kind": n.kind, "priority": n.priority, "severity": n.severity,
                     "summary": n.description, "lon": n.lon, "lat": n.lat},
            "distance_m": r.distance_m,
            "eta_s": r.eta_s,
            "items": lines.get(r.task_id, []),
            "depot": None if d is None else {"id": d.id, "name": d.name, "lon": d.lon,
                                             "lat": d.lat},
        }  # fmt: skip
    return out
