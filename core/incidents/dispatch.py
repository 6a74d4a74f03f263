"""The dispatch state machine from ``offered`` on (table: :mod:`.dispatch_rules`).

Set-based: every function takes many assignment ids and does them in one savepoint, all
or nothing (the one-item routes pass a list of one). Order of checks, before anything is
written: each id exists and is the caller's (a volunteer's own; a coordinator's or
admin's in scope, acting for the volunteer) — else 404; the transition is in the table —
else 409 naming the current state and what is allowed. Repeating the current state is
idempotent: nothing written, no event. Effects:

* ``accepted``: refused with "the offer expired at …" past the deadline; the offer
  timer is cancelled, a matched need becomes ``in_progress``.
* ``picked_up``: what the task's reserved lines still hold is issued
  (:func:`core.stock.release.issue_many`, every line of the call at once).
* ``en_route`` straight from ``accepted`` only for a task without a depot.
* ``done``: the task is done; a matched or in-progress need whose tasks are all done
  (or cancelled) becomes ``fulfilled``.
* ``declined``, ``expired``, ``failed``, ``cancelled``: :func:`.dispatch_core.put_back`
  (task and need back to open; the need's stock stays reserved).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.auth.roles import SYSTEM, Principal, actor
from core.db import chunks
from core.errors import Conflict, Invalid
from core.events.outbox import emit_many
from core.incidents.dispatch_close import cancel_offer_timers, set_tasks
from core.incidents.dispatch_core import advance_needs, loaded, move, put_back
from core.incidents.dispatch_rules import PUT_BACK, REPORTS, allowed_from, check, event
from core.incidents.match_models import AssignmentStatus, Task, TaskLine
from core.incidents.need_models import NeedStatus
from core.stock.models import Reservation
from core.stock.release import issue_many

A = AssignmentStatus


@dataclass(frozen=True, slots=True)
class Outcome:
    """One assignment after a call: its status, and whether this call changed it."""

    id: uuid.UUID
    status: str
    changed: bool


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def _guard(aid: uuid.UUID, row: Any, to: AssignmentStatus, now: datetime) -> None:
    if to is A.accepted:
        late = row.status == A.offered.value and row.offer_deadline and now >= row.offer_deadline
        if row.status == A.expired.value or late:
            at = _iso(row.offer_deadline) if row.offer_deadline else "its deadline"
            raise Conflict(f"the offer expired at {at}", current=row.status, allowed=[])
    check(aid, row.status, to)
    if to is A.en_route and row.status == A.accepted.value and row.depot_id is not None:
        raise Conflict(
            f"assignment {aid} is accepted; pick the stock up first (picked_up)",
            current=row.status,
            allowed=[s for s in allowed_from(A.accepted) if s != A.en_route.value],
        )


async def transition(
    *,
    session: AsyncSession,
    principal: Principal | None,
    assignment_ids: Sequence[uuid.UUID],
    to: AssignmentStatus | str,
    reason: str | None = None,
    now: datetime | None = None,
    coordinating: bool = False,
) -> list[Outcome]:
    """Move the assignments to ``to`` (see the module docstring); one outcome per id."""
    to, now, who = A(to), now or clock.now(), principal or SYSTEM
    order, rows = await loaded(session, who, assignment_ids, coordinating=coordinating)
    for aid in order:
        if rows[aid].status != to.value:
            _guard(aid, rows[aid], to, now)
    changing = [rows[a] for a in order if rows[a].status != to.value]
    if changing:
        async with session.begin_nested():
            await move(session, changing, to, now)
            await _effects(session, who, changing, to, now, reason or to.value)
            await emit_many(
                session, [event(r, to, now, reason=reason, by=actor(who)) for r in changing]
            )
    moved = {r.id for r in changing}
    return [Outcome(a, to.value, a in moved) for a in order]


async def _effects(
    session: AsyncSession, who: Principal, rows: list[Any], to: A, now: datetime, why: str
) -> None:
    if to in PUT_BACK:
        await put_back(session, rows, to, now, why)
    elif to is A.accepted:
        await cancel_offer_timers(session, [r.id for r in rows], now)
        await advance_needs(session, [r.need_id for r in rows], NeedStatus.in_progress, why)
    elif to is A.picked_up:
        await _issue(session, who, [r.task_id for r in rows])
    elif to is A.done:
        await set_tasks(session, [r.task_id for r in rows], "done", now)
        await advance_needs(session, await _all_done(session, rows), NeedStatus.fulfilled, why)


async def _issue(session: AsyncSession, who: Principal, task_ids: list[uuid.UUID]) -> None:
    """Issue what the tasks' reservations still hold (a second pickup after a failed
    delivery finds the stock already issued and issues nothing)."""
    left = Reservation.quantity - Reservation.issued
    for part in chunks(sorted(set(task_ids))):
        lines = await session.execute(
            select(
                TaskLine.reservation_id,
                case((TaskLine.quantity < left, TaskLine.quantity), else_=left),
            )
            .join(Reservation, Reservation.id == TaskLine.reservation_id)
            .where(TaskLine.task_id.in_(part), Reservation.status == "active", left > 0)
            .order_by(TaskLine.task_id, TaskLine.reservation_id)
        )
        todo = [(reservation_id, int(quantity)) for reservation_id, quantity in lines]
        if todo:
            await issue_many(session=session, actor_id=actor(who), lines=todo)


async def _all_done(session: AsyncSession, rows: list[Any]) -> list[uuid.UUID]:
    """The needs among ``rows`` that have no task left to do."""
    need_ids = sorted({r.need_id for r in rows})
    busy: set[uuid.UUID] = set()
    for part in chunks(need_ids):
        busy |= set(await session.scalars(
            select(Task.need_id).where(Task.need_id.in_(part),
                                       Task.status.not_in(("done", "cancelled")))
        ))  # fmt: skip
    return [n for n in need_ids if n not in busy]


async def respond(
    *,
    session: AsyncSession,
    principal: Principal | None,
    assignment_ids: Sequence[uuid.UUID],
    action: str,
    reason: str | None = None,
    now: datetime | None = None,
) -> list[Outcome]:
    """A volunteer's answer to offers: ``action`` is ``accept`` or ``decline``."""
    targets = {"accept": A.accepted, "decline": A.declined}
    if action not in targets:
        raise Invalid.field(("body", "action"), "action must be accept or decline")
    return await transition(session=session, principal=principal, assignment_ids=assignment_ids,
                            to=targets[action], reason=reason, now=now)  # fmt: skip


async def report_status(
    *,
    session: AsyncSession,
    principal: Principal | None,
    assignment_ids: Sequence[uuid.UUID],
    status: str,
    reason: str | None = None,
    now: datetime | None = None,
) -> list[Outcome]:
    """The assigned volunteer reports picked_up, en_route, arrived, done or failed."""
    if status not in {s.value for s in REPORTS}:
        said = ", ".join(sorted(s.value for s in REPORTS))
        raise Invalid.field(("body", "status"), f"status must be one of {said}")
    return await transition(session=session, principal=principal, assignment_ids=assignment_ids,
                            to=A(status), reason=reason, now=now)  # fmt: skip


async def cancel(
    *,
    session: AsyncSession,
    principal: Principal | None,
    assignment_ids: Sequence[uuid.UUID],
    reason: str | None = None,
    now: datetime | None = None,
) -> list[Outcome]:
    """A coordinator (in scope) or admin takes live assignments back: ``cancelled``."""
    return await transition(session=session, principal=principal, assignment_ids=assignment_ids,
                            to=A.cancelled, reason=reason, now=now, coordinating=True)  # fmt: skip
