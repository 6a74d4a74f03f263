"""The deadline timer: persons not accounted for by their deadline become overdue, and each
such household one visit need (neighbours first), escalated grid → community → township
(the first ``checkin.escalated`` alert here, the later steps by timer: :mod:`plans.escalate`).

The handler of :data:`plans.deadlines.DEADLINE_TIMER` runs in the timer's claiming
transaction (:mod:`core.events.timers`), so each timer fires once across workers; the
persons are also claimed by one conditional UPDATE (``overdue_at IS NULL``) under a
per-incident advisory lock on PostgreSQL (SQLite has one writer), so two timers of the
same incident firing at once never raise two needs for one household. A household that
still has a live visit need (open, matched, in progress) gets no second one: its newly
overdue members point at the same need. A stood-down incident raises nothing.

A person reported after becoming overdue leaves the overdue state (the report wins,
see :mod:`plans.reports`); the visit need stays for the coordinator to close or cancel.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, exists, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.events.outbox import EventIn, emit_many
from core.events.timers import DueTimer, timer_handler
from core.incidents.models import Incident, IncidentStatus
from core.incidents.need_models import Need, NeedStatus
from plans.chain_models import HouseholdCheckin, HouseholdCheckinStatus, PersonCheckin
from plans.deadlines import DEADLINE_TIMER
from plans.escalate import Overdue, first_alerts, schedule_step
from plans.escalation import NEXT_LEVEL, escalation_for, township_path
from plans.visits import OverduePerson, raise_visit_needs

PENDING = HouseholdCheckinStatus.pending.value
LIVE_NEEDS = (NeedStatus.open.value, NeedStatus.matched.value, NeedStatus.in_progress.value)
PC, HC = PersonCheckin, HouseholdCheckin


@timer_handler(DEADLINE_TIMER)
async def on_deadline(*, session: AsyncSession, timer: DueTimer) -> None:
    """Payload: ``incident_id`` and ``deadline_at`` (ISO 8601)."""
    await mark_overdue(
        session=session,
        incident_id=uuid.UUID(str(timer.payload["incident_id"])),
        due=datetime.fromisoformat(str(timer.payload["deadline_at"])),
    )


async def mark_overdue(*, session: AsyncSession, incident_id: uuid.UUID, due: datetime) -> int:
    """Mark pending persons with ``deadline_at <= due`` overdue; returns households newly
    given a visit need. Set-based: a fixed number of statements for any number of rows."""
    incident = await session.get(Incident, incident_id)
    if incident is None or incident.status == IncidentStatus.stood_down.value:
        return 0
    if session.bind.dialect.name == "postgresql":
        key = int.from_bytes(incident_id.bytes[8:], "big", signed=True)
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
    now = clock.now()
    claim = (
        update(PC)
        .where(
            PC.incident_id == incident_id,
            PC.status == PENDING,
            PC.overdue_at.is_(None),
            PC.deadline_at <= due,
        )
        .values(overdue_at=now)
        .execution_options(synchronize_session=False)
    )
    if not (await session.execute(claim)).rowcount:
        return 0
    groups = await _claimed_by_household(session, incident_id)
    live = await _live_needs(session, incident_id, groups)
    fresh = [hc_id for hc_id in groups if hc_id not in live]
    need_ids = await raise_visit_needs(
        session=session, incident_id=incident_id, households=[groups[h] for h in fresh]
    )
    needs = {**live, **dict(zip(fresh, need_ids, strict=True))}
    await _link_needs(session, needs, list(groups))
    await _mark_households(session, incident_id)
    await _emit_overdue(session, incident_id, groups, needs, now)
    batches = [p.deadline_at for persons in groups.values() for p in persons]
    await schedule_step(
        session=session, incident=incident, deadlines=batches, level=NEXT_LEVEL["grid"], now=now
    )
    return len(fresh)


def _claimed() -> list[ColumnElement[bool]]:
    """Persons overdue and not yet linked to a visit need (this transaction's claim)."""
    return [PC.status == PENDING, PC.overdue_at.is_not(None), PC.visit_need_id.is_(None)]


async def _claimed_by_household(
    session: AsyncSession, incident_id: uuid.UUID
) -> dict[uuid.UUID, list[OverduePerson]]:
    stmt = (
        select(
            PC.id,
            PC.person_id,
            PC.household_checkin_id,
            HC.household_id,
            HC.community_id,
            HC.grid_id,
            HC.area_path,
            PC.deadline_class,
            PC.deadline_at,
            PC.vulnerable,
        )
        .join(HC, HC.id == PC.household_checkin_id)
        .where(PC.incident_id == incident_id, *_claimed())
        .order_by(PC.household_checkin_id, PC.deadline_at, PC.person_id)
    )
    groups: dict[uuid.UUID, list[OverduePerson]] = defaultdict(list)
    for row in await session.execute(stmt):
        person = OverduePerson(*row)
        groups[person.household_checkin_id].append(person)
    return dict(groups)


async def _live_needs(
    session: AsyncSession, incident_id: uuid.UUID, households: dict[uuid.UUID, Any]
) -> dict[uuid.UUID, uuid.UUID]:
    """Which of ``households`` (check-in ids) already have a live visit need.

    Only persons already linked to a need are looked at (a plain filter, no semi-join:
    planners misjudge one over rows inserted in the same transaction)."""
    stmt = (
        select(PC.household_checkin_id, PC.visit_need_id)
        .join(Need, Need.id == PC.visit_need_id)
        .where(
            PC.incident_id == incident_id,
            PC.visit_need_id.is_not(None),
            Need.status.in_(LIVE_NEEDS),
        )
        .order_by(PC.household_checkin_id, PC.visit_need_id)
    )
    out: dict[uuid.UUID, uuid.UUID] = {}
    for hc_id, need_id in await session.execute(stmt):
        if hc_id in households:
            out.setdefault(hc_id, need_id)
    return out


async def _link_needs(
    session: AsyncSession, needs: dict[uuid.UUID, uuid.UUID], households: list[uuid.UUID]
) -> None:
    table = PC.__table__
    stmt = (
        update(table)
        .where(
            table.c.household_checkin_id == bindparam("b_hc"),
            table.c.status == PENDING,
            table.c.overdue_at.is_not(None),
            table.c.visit_need_id.is_(None),
        )
        .values(visit_need_id=bindparam("b_need"))
    )
    await session.execute(stmt, [{"b_hc": h, "b_need": needs[h]} for h in households])


async def _mark_households(session: AsyncSession, incident_id: uuid.UUID) -> None:
    overdue_member = exists().where(
        and_(PC.household_checkin_id == HC.id, PC.status == PENDING, PC.overdue_at.is_not(None))
    )
    await session.execute(
        update(HC)
        .where(HC.incident_id == incident_id, HC.status == PENDING, overdue_member)
        .values(status=HouseholdCheckinStatus.overdue.value)
        .execution_options(synchronize_session=False)
    )


async def _emit_overdue(
    session: AsyncSession,
    incident_id: uuid.UUID,
    groups: dict[uuid.UUID, list[OverduePerson]],
    needs: dict[uuid.UUID, uuid.UUID],
    now: datetime,
) -> None:
    firsts = {h: persons[0] for h, persons in groups.items()}
    esc = await escalation_for(
        session=session,
        grid_ids=[p.grid_id for p in firsts.values()],
        community_paths=[p.area_path for p in firsts.values()],
    )
    events = []
    for hc_id, persons in groups.items():
        first = firsts[hc_id]
        data = {
            "incident_id": incident_id,
            "household_checkin_id": hc_id,
            "household_id": first.household_id,
            "community_id": first.community_id,
            "grid_id": first.grid_id,
            "area_path": first.area_path,
            "persons": len(persons),
            "vulnerable": sum(p.vulnerable for p in persons),
            "deadline_at": min(p.deadline_at for p in persons),
            "overdue_at": now,
            "visit_need_id": needs[hc_id],
            "escalate_to": esc.levels(grid_id=first.grid_id, community_path=first.area_path),
            "level": esc.first_level(first.grid_id),
        }
        streams = [f"incident:{incident_id}", f"area:{first.area_path}"]
        streams.append(f"area:{township_path(first.area_path)}")
        events.append(EventIn(type="checkin.overdue", data=data, streams=streams))
    await emit_many(session, events)
    households = [Overdue(p.household_id, p.grid_id, p.area_path) for p in firsts.values()]
    await first_alerts(session=session, incident_id=incident_id, households=households, esc=esc)
