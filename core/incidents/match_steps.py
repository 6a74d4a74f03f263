"""The re-checks and status steps of writing a batch (see :mod:`core.incidents.match_write`).

Rows are locked ``FOR UPDATE`` in id order on PostgreSQL (SQLite has one writer); every
set-based statement goes in chunks of 5,000 ids.
"""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.db import chunks
from core.events.outbox import EventIn
from core.incidents.match_batch import EMPTY_OUTBOX, LIVE_NEEDS, Loaded
from core.incidents.match_build import Index
from core.incidents.match_memo import outbox_head
from core.incidents.match_models import LIVE_STATUSES, Assignment, Task
from core.incidents.match_solve import SolveOutput
from core.incidents.need_models import NeedStatus
from core.registry.volunteers.models import Volunteer

PENDING = ("proposed", "offered")


async def locked(session: AsyncSession, col: Any, ids: list[Any], *cols: Any) -> list[Any]:
    """``cols`` of the rows whose ``col`` (a UUID key) is in ``ids``, locked in id order."""
    out: list[Any] = []
    for part in chunks(sorted(set(ids), key=lambda u: u.int)):  # C-speed int comparisons
        stmt = select(*cols).where(col.in_(part)).order_by(col).with_for_update()
        out += list(await session.execute(stmt))
    return out


async def as_loaded(session: AsyncSession, w: Loaded) -> bool:
    """Whether the batch's needs and tasks are still as loaded, known without reading
    them again: on SQLite (one writer, whose write lock this transaction holds) when no
    event was committed since the load — every write to a need, its tasks, assignments,
    reservations or overrides emits one (:mod:`core.incidents.match_memo`). PostgreSQL
    always reads and locks them."""
    if session.bind.dialect.name != "sqlite" or w.head is None:
        return False
    return (await outbox_head(session) or EMPTY_OUTBOX) == w.head


async def valid_old(session: AsyncSession, w: Loaded, status: dict[uuid.UUID, str]) -> list[bool]:
    """Per old task: its need still live and its live assignment what was loaded."""
    ids = [t.id for t in w.old if t.id is not None]
    rows = await locked(session, Task.id, ids, Task.id, Task.status)
    task_status = dict(rows)
    live_of_incident = select(Assignment.id, Assignment.task_id).where(
        Assignment.incident_id == w.incident_id, Assignment.status.in_(LIVE_STATUSES)
    )  # the incident's few live assignments, not a list of every old task's id
    live = {t: a for a, t in await session.execute(live_of_incident) if t in task_status}
    out: list[bool] = []
    for t in w.old:
        need_ok = status.get(t.need_id) in (LIVE_NEEDS if t.id else (NeedStatus.open.value,))
        if t.id is None:
            out.append(need_ok)
            continue
        was = t.incumbent[0] if t.incumbent else None
        same = task_status.get(t.id) in ("open", "assigned") and live.get(t.id) == was
        out.append(need_ok and same)
    return out


async def withdraw(session: AsyncSession, ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Withdraw the still-pending ones among ``ids``; the ids actually withdrawn."""
    done: set[uuid.UUID] = set()
    for part in chunks(ids):
        stmt = (
            update(Assignment)
            .where(Assignment.id.in_(part), Assignment.status.in_(PENDING))
            .values(status="withdrawn", updated_at=clock.now())
            .returning(Assignment.id)
            .execution_options(synchronize_session=False)
        )
        done |= set((await session.execute(stmt)).scalars())
    return done


async def capacity(
    session: AsyncSession, w: Loaded, ix: Index, out: SolveOutput, tasks: list[int]
) -> set[int]:
    """The tasks whose volunteer still has a free slot (most urgent first)."""
    vols = [ix.vols[out.task_vol[t]] for t in tasks]
    limit = dict(
        await locked(session, Volunteer.id, vols, Volunteer.id, Volunteer.max_active_tasks)
    )
    busy: Counter[uuid.UUID] = Counter()
    for part in chunks(sorted(set(vols))):
        for (vid,) in await session.execute(
            select(Assignment.volunteer_id).where(
                Assignment.volunteer_id.in_(part),
                Assignment.status.in_(LIVE_STATUSES),
                Assignment.is_drill == w.is_drill,
            )
        ):
            busy[vid] += 1
    order = sorted(tasks, key=lambda t: -float(w.needs[ix.needs[out.task_need[t]]].priority))
    accepted: set[int] = set()
    for t in order:
        v = ix.vols[out.task_vol[t]]
        if v in limit and busy[v] < limit[v]:
            busy[v] += 1
            accepted.add(t)
    return accepted


def withdrawn_events(w: Loaded, withdrawn: set[uuid.UUID]) -> list[EventIn]:
    out = []
    for t in w.old:
        if t.incumbent and t.incumbent[0] in withdrawn:
            aid, vid, _ = t.incumbent
            data = {
                "id": aid,
                "task_id": t.id,
                "need_id": t.need_id,
                "volunteer_id": vid,
                "incident_id": w.incident_id,
                "is_drill": w.is_drill,
            }
            streams = [f"incident:{w.incident_id}", f"area:{t.area_path}", f"volunteer:{vid}"]
            out.append(EventIn("assignment.withdrawn", data, streams))
    return out


async def task_status(
    session: AsyncSession,
    w: Loaded,
    ids: dict[int, uuid.UUID],
    accepted: set[int],
    withdrawn: set[uuid.UUID],
    now: Any,
    events: list[EventIn],
) -> None:
    """Existing tasks: assigned when given a volunteer, open when only withdrawn; stale
    tasks cancelled."""
    n_old = len(w.old)
    to_assigned = [ids[t] for t in accepted if t < n_old and w.old[t].id is not None]
    to_open = [
        t.id
        for i, t in enumerate(w.old)
        if t.id is not None and i not in accepted and t.incumbent and t.incumbent[0] in withdrawn
    ]
    for status, task_ids in (("assigned", to_assigned), ("open", to_open)):
        for part in chunks(task_ids):
            await session.execute(
                update(Task)
                .where(Task.id.in_(part))
                .values(status=status, updated_at=now)
                .execution_options(synchronize_session=False)
            )
    stale = w.stale
    for part in chunks([s[0] for s in stale]):
        await session.execute(
            update(Task)
            .where(Task.id.in_(part), Task.status == "open")
            .values(status="cancelled", updated_at=now)
            .execution_options(synchronize_session=False)
        )
    for task_id, need_id, path in stale:
        data = {"id": task_id, "need_id": need_id, "reason": "reservations gone"}
        events.append(
            EventIn("task.cancelled", data, [f"incident:{w.incident_id}", f"area:{path}"])
        )
