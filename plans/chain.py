"""Opening the chain: on activation every household of the affected communities gets a
check-in, and every member a person check-in with the deadline of their class.

:func:`open_checkins` is the activation hook (:mod:`core.incidents.hooks`; the composition
root registers it after the plans' own hook, which writes ``incident_plan``). It is
set-based whatever the size: one ``INSERT … SELECT`` for the households, one per distinct
deadline table for the persons (usually one), one SELECT for the distinct deadlines, one
INSERT of their timers, one GROUP BY for the counts and one ``checkin.opened`` event per
community — a county of 30,000 households is about a dozen statements.

Scope of "the affected area": every household of every affected community the incident
names (``community_ids``), whether the incident's polygon or circle covers the community
wholly or in part — a community team checks all its households. Running it again for the
same communities adds only what is missing (households or members registered since).

Timers ("kept as a durable timer"): each person's deadline is stored on their row
(``person_checkin.deadline_at``); one durable timer of kind ``chain.deadline`` per
distinct (incident, deadline) fires for every person sharing it
(:func:`plans.deadlines.schedule_deadlines`), so a county needs a dozen timer rows, not
90,000 (:mod:`plans.overdue` handles them).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, and_, case, exists, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.db import UtcDateTime
from core.events.outbox import EventIn, emit_many
from core.incidents.models import Incident
from core.registry.households.models import Household, Person, PersonTag
from plans.chain_models import HouseholdCheckin, HouseholdCheckinStatus, PersonCheckin
from plans.deadlines import (
    Table,
    class_clause,
    deadline_times,
    schedule_deadlines,
    tables_by_community,
)
from plans.sqlids import uuid7_sql
from plans.vocab import DEFAULT_CLASS

PENDING = HouseholdCheckinStatus.pending.value


async def open_checkins(
    *,
    session: AsyncSession,
    incident_id: uuid.UUID,
    hazard: str,
    community_ids: Sequence[uuid.UUID],
) -> int:
    """Open the chain for ``community_ids`` of the incident; returns household check-ins made.

    ``hazard`` is part of the hook's signature; the deadlines come from the plan version
    each community activated (``incident_plan``), else the default table.
    """
    del hazard  # the activated plan version already belongs to the hazard
    if not community_ids:
        return 0
    incident = await session.get_one(Incident, incident_id)
    now = clock.now()
    made = await _open_households(session, incident, list(community_ids), now)
    groups = await tables_by_community(
        session=session, incident_id=incident_id, community_ids=community_ids
    )
    for table, members in groups.items():
        await _open_persons(session, incident, table, members)
    await schedule_deadlines(
        session=session, incident_id=incident.id, community_ids=list(community_ids), now=now
    )
    await _emit_opened(session, incident.id, list(community_ids))
    return made


async def open_chain(
    *,
    session: AsyncSession,
    incident_id: uuid.UUID,
    hazard: str,
    community_ids: Sequence[uuid.UUID],
) -> None:
    """:func:`open_checkins` with the exact hook signature (``-> None``): register it with
    ``core.incidents.hooks.on_activation(open_chain)`` after ``plans.activation``'s hook."""
    await open_checkins(
        session=session, incident_id=incident_id, hazard=hazard, community_ids=community_ids
    )


async def _open_households(
    session: AsyncSession,
    incident: Incident,
    community_ids: list[uuid.UUID],
    now: datetime,
) -> int:
    h = Household.__table__
    done = exists().where(
        HouseholdCheckin.incident_id == incident.id, HouseholdCheckin.household_id == h.c.id
    )
    rows = select(
        uuid7_sql(order_by=h.c.id),
        literal(incident.id),
        h.c.id,
        h.c.community_id,
        h.c.grid_id,
        h.c.area_path,
        literal(PENDING),
        literal(incident.is_drill, Boolean()),
        literal(now, UtcDateTime()),
    ).where(h.c.community_id.in_(community_ids), ~done)
    columns = ["id", "incident_id", "household_id", "community_id", "grid_id", "area_path"]
    columns += ["status", "is_drill", "created_at"]
    result = await session.execute(insert(HouseholdCheckin).from_select(columns, rows))
    return max(result.rowcount or 0, 0)


async def _open_persons(
    session: AsyncSession,
    incident: Incident,
    table: Table,
    community_ids: list[uuid.UUID],
) -> None:
    p, hc = Person.__table__, HouseholdCheckin.__table__
    done = exists().where(
        PersonCheckin.incident_id == incident.id, PersonCheckin.person_id == p.c.id
    )
    inner = (
        select(
            p.c.id.label("person_id"),
            hc.c.id.label("checkin_id"),
            p.c.area_path,
            class_clause(table, p.c.id).label("cls"),
            exists().where(PersonTag.person_id == p.c.id).label("vulnerable"),
        )
        .select_from(
            p.join(hc, and_(hc.c.household_id == p.c.household_id, hc.c.incident_id == incident.id))
        )
        .where(hc.c.community_id.in_(community_ids), ~done)
        .subquery()
    )
    due = deadline_times(table, declared_at=incident.declared_at, speedup=incident.speedup)
    deadline: Any = literal(due.pop(DEFAULT_CLASS), UtcDateTime())
    if due:
        whens = {cls: literal(at, UtcDateTime()) for cls, at in due.items()}
        deadline = case(whens, value=inner.c.cls, else_=deadline)
    rows = select(
        uuid7_sql(order_by=inner.c.person_id),
        literal(incident.id),
        inner.c.checkin_id,
        inner.c.person_id,
        inner.c.area_path,
        literal(PENDING),
        inner.c.vulnerable,
        inner.c.cls,
        deadline,
        literal(incident.is_drill, Boolean()),
    )
    columns = ["id", "incident_id", "household_checkin_id", "person_id", "area_path"]
    columns += ["status", "vulnerable", "deadline_class", "deadline_at", "is_drill"]
    await session.execute(insert(PersonCheckin).from_select(columns, rows))


async def _emit_opened(
    session: AsyncSession, incident_id: uuid.UUID, community_ids: list[uuid.UUID]
) -> None:
    """One ``checkin.opened`` per community, with its counts (never one per household)."""
    hc, pc = HouseholdCheckin, PersonCheckin
    stmt = (
        select(
            hc.community_id,
            func.min(hc.area_path),
            func.count(func.distinct(hc.id)),
            func.count(pc.id),
            func.coalesce(func.sum(case((pc.vulnerable, 1), else_=0)), 0),
            func.min(pc.deadline_at),
        )
        .outerjoin(pc, pc.household_checkin_id == hc.id)
        .where(hc.incident_id == incident_id, hc.community_id.in_(community_ids))
        .group_by(hc.community_id)
    )
    events = [
        EventIn(
            type="checkin.opened",
            data={
                "incident_id": incident_id,
                "community_id": cid,
                "community_code": path.rstrip("/").rsplit("/", 1)[-1],
                "households": int(households),
                "persons": int(persons),
                "vulnerable": int(vulnerable),
                "first_deadline_at": first,
            },
            streams=[f"incident:{incident_id}", f"area:{path}"],
        )
        for cid, path, households, persons, vulnerable, first in await session.execute(stmt)
    ]
    await emit_many(session, events)
