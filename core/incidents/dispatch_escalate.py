"""Escalation: needs nobody is left to ask for are shown to coordinators, once each.

The rule, checked after a matching batch: a need of the incident is *stuck* when it is
``open``, has no live assignment (the batch just run found nobody for it), and at least
one volunteer has already let it go (an assignment ``declined``, ``expired`` or
``failed``: those who turned it down are not asked again, see
:data:`core.incidents.match_batch.TURNED_DOWN`). Each stuck need gets ``escalated_at``
and one ``need.escalated`` on ``incident:<id>`` and ``area:<path>`` — never a second
one, even if it is matched and turned down again later.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.db import chunks
from core.events.outbox import EventIn, emit_many
from core.incidents.match_models import LIVE_STATUSES, Assignment
from core.incidents.need_models import Need, NeedStatus
from core.incidents.need_status import need_streams

LET_GO = ("declined", "expired", "failed")


async def escalate_stuck(
    *, session: AsyncSession, incident_id: uuid.UUID, now: datetime | None = None
) -> int:
    """Escalate the incident's stuck needs (see the module docstring); how many."""
    now = now or clock.now()
    live = exists().where(Assignment.need_id == Need.id, Assignment.status.in_(LIVE_STATUSES))
    let_go = list(await session.scalars(  # the few needs someone let go, not every open one
        select(Assignment.need_id).distinct().where(
            Assignment.incident_id == incident_id, Assignment.status.in_(LET_GO))
    ))  # fmt: skip
    stuck: list[uuid.UUID] = []
    for part in chunks(sorted(let_go, key=lambda n: n.int)):  # by key: SQLite would walk
        stuck += await session.scalars(  # every open need of the (incident, status) index
            select(Need.id).where(
                Need.id.in_(part), Need.status == NeedStatus.open.value,
                Need.escalated_at.is_(None), ~live,
            ).order_by(Need.id)
        )  # fmt: skip
    rows = []
    for part in chunks(stuck):
        stmt = (
            update(Need)
            .where(Need.id.in_(part), Need.escalated_at.is_(None))
            .values(escalated_at=now)
            .returning(Need.id, Need.area_path, Need.kind, Need.priority, Need.is_drill)
            .execution_options(synchronize_session=False)
        )
        rows += list(await session.execute(stmt))
    if not rows:
        return 0
    tries = dict((await session.execute(
        select(Assignment.need_id, func.count()).where(
            Assignment.need_id.in_([r.id for r in rows]), Assignment.status.in_(LET_GO))
        .group_by(Assignment.need_id)
    )).all())  # fmt: skip
    events = [
        EventIn("need.escalated", {
            "id": r.id, "incident_id": incident_id, "area_path": r.area_path, "kind": r.kind,
            "priority": r.priority, "is_drill": r.is_drill, "turned_down": tries.get(r.id, 0),
            "reason": "every volunteer asked so far let it go and nobody else is eligible",
            "at": now,
        }, need_streams(incident_id, r.area_path))
        for r in rows
    ]  # fmt: skip
    await emit_many(session, events)
    return len(rows)
