"""Timed escalation of overdue check-ins: grid → community → township (``checkin.escalated``).

When persons go overdue (:mod:`plans.overdue`), :func:`first_alerts` emits one event per
starting level — ``grid`` for households whose grid has an active worker, else
``community`` — and :func:`schedule_step` stores one durable timer per (incident,
deadline) for the ``community`` step, due one :func:`~plans.escalation.escalation_interval`
later. Its handler :func:`on_escalate` takes that deadline's overdue households whose
check-in is still not confirmed (a report meanwhile drops a household out), emits one
event for them and schedules the ``township`` step; with none left it stops. Households
that started at ``community`` are not alerted there twice: they wait for ``township``.

Event data: ``incident_id``, ``level``, ``household_ids``, ``users`` (recipients' ids) —
no personal data; streams ``incident:<id>`` and ``area:<path>`` of the level's area (the
community for ``grid`` and ``community``, the township for ``township``). Each timer
fires once across workers (:mod:`core.events.timers`), so each step emits once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from pydantic_core import to_jsonable_python
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.events.models import Timer
from core.events.outbox import EventIn, emit_many
from core.events.timers import DueTimer, timer_handler
from core.ids import uuid7
from core.incidents.models import Incident, IncidentStatus
from plans.chain_models import HouseholdCheckin, HouseholdCheckinStatus, PersonCheckin
from plans.escalation import (
    ESCALATE_TIMER,
    NEXT_LEVEL,
    Escalation,
    escalate_key,
    escalation_for,
    escalation_interval,
    level_path,
)

PC, HC = PersonCheckin, HouseholdCheckin
CONFIRMED = HouseholdCheckinStatus.confirmed.value


class Overdue(NamedTuple):
    """One overdue household of a batch (ids and its community's path only)."""

    household_id: uuid.UUID
    grid_id: uuid.UUID | None
    area_path: str


def escalated_event(
    incident_id: uuid.UUID, level: str, households: Sequence[Overdue], esc: Escalation
) -> EventIn:
    """The ``checkin.escalated`` event of ``households`` at ``level``."""
    users = {
        u
        for h in households
        for u in esc.users(level, grid_id=h.grid_id, community_path=h.area_path)
    }
    paths = sorted({level_path(level, h.area_path) for h in households})
    data = {
        "incident_id": incident_id,
        "level": level,
        "household_ids": sorted({h.household_id for h in households}),
        "users": sorted(users),
    }
    streams = [f"incident:{incident_id}", *(f"area:{p}" for p in paths)]
    return EventIn(type="checkin.escalated", data=data, streams=streams)


async def first_alerts(
    *,
    session: AsyncSession,
    incident_id: uuid.UUID,
    households: Sequence[Overdue],
    esc: Escalation,
) -> None:
    """One event per starting level (``grid``, then ``community``) of newly overdue ones."""
    by_level: dict[str, list[Overdue]] = {"grid": [], "community": []}
    for h in households:
        by_level[esc.first_level(h.grid_id)].append(h)
    await emit_many(
        session,
        [escalated_event(incident_id, lv, hs, esc) for lv, hs in by_level.items() if hs],
    )


async def schedule_step(
    *,
    session: AsyncSession,
    incident: Incident,
    deadlines: Sequence[datetime],
    level: str,
    now: datetime,
) -> None:
    """One ``level`` timer per deadline batch, due an interval after ``now`` (kept if any)."""
    if not deadlines:
        return
    due = now + escalation_interval(incident.speedup)
    rows = [
        {
            "id": uuid7(),
            "kind": ESCALATE_TIMER,
            "key": escalate_key(incident.id, at, level),
            "due_at": due,
            "payload": to_jsonable_python(
                {"incident_id": incident.id, "deadline_at": at, "level": level}
            ),
            "created_at": now,
            "attempts": 0,
        }
        for at in sorted(set(deadlines))
    ]
    dialect_insert: Any = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        dialect_insert(Timer).on_conflict_do_nothing(index_elements=["key"]), rows
    )


async def still_overdue(
    session: AsyncSession, incident_id: uuid.UUID, deadline_at: datetime
) -> list[Overdue]:
    """Households of one deadline batch with an overdue member and no confirmed check-in."""
    stmt = (
        select(HC.household_id, HC.grid_id, HC.area_path)
        .join(PC, PC.household_checkin_id == HC.id)
        .where(
            PC.incident_id == incident_id,
            PC.deadline_at == deadline_at,
            PC.overdue_at.is_not(None),
            HC.status != CONFIRMED,
        )
        .distinct()
        .order_by(HC.household_id)
    )
    return [Overdue(*row) for row in await session.execute(stmt)]


@timer_handler(ESCALATE_TIMER)
async def on_escalate(*, session: AsyncSession, timer: DueTimer) -> None:
    """Payload: ``incident_id``, ``deadline_at`` (ISO 8601), ``level``."""
    incident = await session.get(Incident, uuid.UUID(str(timer.payload["incident_id"])))
    if incident is None or incident.status == IncidentStatus.stood_down.value:
        return
    deadline_at = datetime.fromisoformat(str(timer.payload["deadline_at"]))
    level = str(timer.payload["level"])
    households = await still_overdue(session, incident.id, deadline_at)
    if not households:
        return
    esc = await escalation_for(
        session=session,
        grid_ids=[h.grid_id for h in households],
        community_paths=[h.area_path for h in households],
    )
    if level == "community":  # those that started here wait for the township step
        targets = [h for h in households if esc.first_level(h.grid_id) == "grid"]
    else:
        targets = households
    if targets:
        await emit_many(session, [escalated_event(incident.id, level, targets, esc)])
    if level in NEXT_LEVEL:
        await schedule_step(
            session=session,
            incident=incident,
            deadlines=[deadline_at],
            level=NEXT_LEVEL[level],
            now=clock.now(),
        )
