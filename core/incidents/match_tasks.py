"""Loading a batch's existing tasks (rules: :mod:`core.incidents.match_load`).

Open tasks re-enter, pending ones enter with their ``incumbent``, locked ones only take
their volunteer's slot, open depot tasks whose reservations are all gone are ``stale``
(cancelled by the writer), and active reservations of an open need on no task are
adopted by a new task per depot.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import rows_of
from core.incidents.match_batch import HELD, Loaded, OldTask, open_need_ids
from core.incidents.match_models import LIVE_STATUSES, LOCKED_STATUSES, Assignment, Task, TaskLine
from core.incidents.need_models import NeedStatus
from core.stock.models import Reservation


async def load_tasks(session: AsyncSession, w: Loaded) -> None:
    """Existing tasks (re-entering, locked, stale) and adopted reservations."""
    mine = (Task.incident_id == w.incident_id, Task.status.in_(("open", "assigned")))
    tasks = await rows_of(
        session, select(Task.id, Task.need_id, Task.depot_id, Task.area_path).where(*mine)
    )
    live = {
        r.task_id: r
        for r in await rows_of(
            session,
            select(
                Assignment.id, Assignment.task_id, Assignment.volunteer_id, Assignment.status
            ).where(Assignment.incident_id == w.incident_id, Assignment.status.in_(LIVE_STATUSES)),
        )
    }
    attempts = dict(
        await rows_of(
            session,
            select(Assignment.task_id, func.max(Assignment.attempt))
            .where(Assignment.incident_id == w.incident_id)
            .group_by(Assignment.task_id),
        )
    )
    holds = (
        select(TaskLine.task_id)
        .join(Reservation, Reservation.id == TaskLine.reservation_id)
        .where(TaskLine.task_id == Task.id, Reservation.status.in_(HELD))
        .exists()
    )  # the few depot tasks holding nothing, not the thousands that hold stock
    bare = set(
        await session.scalars(select(Task.id).where(*mine, Task.depot_id.is_not(None), ~holds))
    )
    for t in tasks:
        if t.need_id not in w.needs:
            continue
        a = live.get(t.id)
        if a is not None and a.status in LOCKED_STATUSES:
            w.locked[t.need_id] = w.locked.get(t.need_id, 0) + 1
        elif a is None and t.id in bare:
            w.stale.append((t.id, t.need_id, t.area_path))
            continue
        else:
            inc = (a.id, a.volunteer_id, a.status) if a is not None else None
            w.old.append(
                OldTask(t.id, t.need_id, t.depot_id, t.area_path, inc, int(attempts.get(t.id) or 0))
            )
        w.with_tasks.add(t.need_id)
    await _adopt(session, w)


async def _adopt(session: AsyncSession, w: Loaded) -> None:
    """Active reservations of open needs on no task that is not cancelled: one task per
    (need, depot) carries them."""
    if not any(n.status == NeedStatus.open.value for n in w.needs.values()):
        return
    open_ids = open_need_ids(w.incident_id)
    on_task = (  # a line's task is of the line's reservation's need
        select(TaskLine.task_id)
        .join(Task, Task.id == TaskLine.task_id)
        .where(TaskLine.reservation_id == Reservation.id, Task.status != "cancelled")
        .exists()
    )  # NOT EXISTS by the line's reservation index, not NOT IN over every line of the incident
    rows = await rows_of(
        session,
        select(
            Reservation.id,
            Reservation.need_id,
            Reservation.depot_id,
            Reservation.item_id,
            Reservation.area_path,
            Reservation.quantity,
        )
        .where(
            Reservation.need_id.in_(open_ids),
            Reservation.status == "active",
            ~on_task,
        )
        .order_by(Reservation.id),
    )
    adopted: dict[tuple[uuid.UUID, uuid.UUID], OldTask] = {}
    for r in rows:
        need = w.needs.get(r.need_id)
        if need is None or need.status != NeedStatus.open.value:  # changed since read
            continue
        key = (r.need_id, r.depot_id)
        if key not in adopted:
            adopted[key] = OldTask(None, r.need_id, r.depot_id, w.needs[r.need_id].area_path)
            w.old.append(adopted[key])
            w.with_tasks.add(r.need_id)
        adopted[key].lines.append((r.id, r.item_id, int(r.quantity)))
