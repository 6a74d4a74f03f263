"""Writing one solved batch, in one write transaction (set-based: one INSERT per table).

The world may have moved while the batch was solved, so first: the batch's needs, tasks
and chosen volunteers are locked (``FOR UPDATE`` on PostgreSQL, in id order; SQLite has
one writer) and re-checked — a need no longer open gets no new stock or task, a task
whose live assignment changed is left alone, and a volunteer gets no more live
assignments than ``max_active_tasks``. Then: pending assignments the solve did not keep
are withdrawn (``assignment.withdrawn``; conditional on still being pending); the stock
plan is reserved by :func:`core.stock.reserve.reserve_batch` (``allow_partial``: a task and
its lines only for what was actually reserved); tasks (``task.created``), task lines and
proposed assignments with their reason (``assignment.proposed``) are inserted; open tasks
whose reservations are all gone are cancelled (``task.cancelled``); a need becomes
``matched`` when all its demand is reserved and every task of it has a live assignment;
the batch's :class:`MatchBatch` row and ``match.batch_done`` close it. A batch that
changes nothing writes no row and no event (only the need priorities are refreshed, when
``w.priorities_due``: :mod:`core.incidents.priority`).
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.events.outbox import deferred, emit_many
from core.ids import uuid7
from core.incidents.match_batch import Loaded
from core.incidents.match_build import Index
from core.incidents.match_models import Assignment, MatchBatch, Task, TaskLine
from core.incidents.match_rows import assignment_rows, batch_done, task_rows
from core.incidents.match_solve import SolveOutput
from core.incidents.match_steps import (
    as_loaded,
    capacity,
    locked,
    task_status,
    valid_old,
    withdraw,
    withdrawn_events,
)
from core.incidents.need_models import Need, NeedStatus
from core.incidents.need_status import transition_needs
from core.incidents.priority import refresh_priorities
from core.stock.reserve import reserve_batch


@dataclass
class Written:
    batch_id: uuid.UUID | None = None
    tasks: int = 0
    assigned: int = 0
    withdrawn: int = 0
    matched: int = 0
    write_ms: float = 0.0


async def write(
    session: AsyncSession, w: Loaded, ix: Index, out: SolveOutput, figures: dict[str, Any]
) -> Written:
    """Write the batch (see the module docstring); ``figures``: solver, started_at,
    load_ms, solve_ms and ``write_from`` (a ``perf_counter`` reading). Its events are
    written last (:func:`core.events.outbox.deferred`): every other emitter, a
    volunteer's accept included, waits for the outbox lock only that long."""
    async with deferred(session):
        return await _write_batch(session, w, ix, out, figures)


async def _write_batch(
    session: AsyncSession, w: Loaded, ix: Index, out: SolveOutput, figures: dict[str, Any]
) -> Written:
    if w.priorities_due:
        await refresh_priorities(session=session, incident_id=w.incident_id, now=w.now)
    if await as_loaded(session, w):
        status = {n: w.needs[n].status for n in ix.needs}
        valid = [True] * len(w.old)  # what valid_old checks is how they were loaded
    else:
        status = dict(await locked(session, Need.id, ix.needs, Need.id, Need.status))
        valid = await valid_old(session, w, status)
    open_now = {n for n, s in status.items() if s == NeedStatus.open.value}
    n_old, n = len(w.old), out.task_need.size
    vol = out.task_vol
    inc = [w.old[t].incumbent if t < n_old else None for t in range(n)]
    keep = [
        t < n_old and inc[t] is not None and vol[t] >= 0 and ix.vols[vol[t]] == inc[t][1]
        for t in range(n)
    ]
    drop = [inc[t][0] for t in range(n_old) if valid[t] and inc[t] and not keep[t]]
    withdrawn = await withdraw(session, drop)
    new_for = [
        t
        for t in range(n)
        if vol[t] >= 0
        and not keep[t]
        and (valid[t] if t < n_old else ix.needs[out.task_need[t]] in open_now)
        and (t >= n_old or not inc[t] or inc[t][0] in withdrawn)
    ]
    lines = await _reserve(session, w, ix, out, open_now)
    stock_task = [t >= n_old and out.task_depot[t] >= 0 for t in range(n)]
    new_for = [t for t in new_for if not stock_task[t] or _key(ix, out, t) in lines]
    accepted = await capacity(session, w, ix, out, new_for)
    create = [
        t
        for t in range(n_old, n)
        if (_key(ix, out, t) in lines if stock_task[t] else t in accepted)
    ]
    create += [t for t in range(n_old) if w.old[t].id is None and valid[t]]
    if not (create or accepted or withdrawn or w.stale):
        return Written()
    ids = {t: (w.old[t].id if t < n_old and w.old[t].id else uuid7()) for t in range(n)}
    done = Written(batch_id=uuid7(), withdrawn=len(withdrawn))
    now = clock.now()
    await session.execute(
        insert(MatchBatch).values(
            id=done.batch_id,
            incident_id=w.incident_id,
            solver=out.solver,
            needs=len(ix.needs),
            volunteers=len(ix.vols),
            tasks=0,
            assigned=0,
            withdrawn=len(withdrawn),
            load_ms=figures["load_ms"],
            solve_ms=figures["solve_ms"],
            write_ms=0.0,
            started_at=figures["started_at"],
            finished_at=now,
        )
    )
    tasks, task_lines, events = task_rows(w, ix, out, create, ids, lines, accepted, done.batch_id)
    if tasks:
        await session.execute(insert(Task.__table__), tasks)
    if task_lines:
        await session.execute(insert(TaskLine.__table__), task_lines)
    rows, ev = assignment_rows(w, ix, out, sorted(accepted), ids, done.batch_id)
    if rows:
        await session.execute(insert(Assignment.__table__), rows)
    events += ev + withdrawn_events(w, withdrawn)
    await task_status(session, w, ids, accepted, withdrawn, now, events)
    done.tasks, done.assigned = len(tasks), len(rows)
    matched = _matched(w, ix, out, open_now, valid, keep, accepted, set(create))
    events.append(batch_done(w, done, figures, len(matched)))
    await emit_many(session, events)
    if matched:
        await transition_needs(
            session=session,
            principal=None,
            need_ids=matched,
            to=NeedStatus.matched,
            reason=f"match batch {done.batch_id}",
        )
    done.matched = len(matched)
    done.write_ms = (time.perf_counter() - figures["write_from"]) * 1000
    await session.execute(
        update(MatchBatch)
        .where(MatchBatch.id == done.batch_id)
        .values(
            tasks=done.tasks,
            assigned=done.assigned,
            write_ms=done.write_ms,
            finished_at=clock.now(),
        )
    )
    return done


def _key(ix: Index, out: SolveOutput, t: int) -> tuple[uuid.UUID, uuid.UUID]:
    return ix.needs[out.task_need[t]], ix.depots[out.task_depot[t]]


async def _reserve(
    session: AsyncSession, w: Loaded, ix: Index, out: SolveOutput, open_now: set[uuid.UUID]
) -> dict[tuple[uuid.UUID, uuid.UUID], list[tuple[uuid.UUID, uuid.UUID, int]]]:
    """Reserve the plan of still-open needs: (need, depot) → [(reservation, item, qty)]."""
    p = out.plan
    requests: dict[uuid.UUID, list[tuple[uuid.UUID, uuid.UUID, int]]] = defaultdict(list)
    for ni, di, ii, q in zip(
        p.need.tolist(), p.depot.tolist(), p.item.tolist(), p.quantity.tolist(), strict=True
    ):
        if ix.needs[ni] in open_now:
            requests[ix.needs[ni]].append((ix.items[ii], ix.depots[di], int(q)))
    lines: dict[tuple[uuid.UUID, uuid.UUID], list[tuple[uuid.UUID, uuid.UUID, int]]] = {}
    if not requests:
        return lines
    results = await reserve_batch(
        session=session,
        actor_id=None,
        requests=list(requests.items()),
        allow_partial=True,
        is_drill=w.is_drill,
    )
    for nr in results:
        for r in nr.lines:
            if r.reservation_id is not None and r.reserved > 0:
                key = (nr.need_id, r.depot_id)
                lines.setdefault(key, []).append((r.reservation_id, r.item_id, r.reserved))
                wants = w.demand[nr.need_id] = dict(w.demand[nr.need_id])  # the memo's
                wants[r.item_id] = wants.get(r.item_id, 0) - r.reserved
    return lines


def _matched(
    w: Loaded,
    ix: Index,
    out: SolveOutput,
    open_now: set[uuid.UUID],
    valid: list[bool],
    keep: list[bool],
    accepted: set[int],
    create: set[int],
) -> list[uuid.UUID]:
    """Open needs now fully reserved whose every task has a live assignment."""
    n_old = len(w.old)
    live: dict[uuid.UUID, list[bool]] = defaultdict(list)
    for t in range(out.task_need.size):
        need = ix.needs[out.task_need[t]]
        if t < n_old:
            live[need].append(valid[t] and (keep[t] or t in accepted))
        elif t in create:
            live[need].append(t in accepted)
    out_ids = []
    for need in ix.needs:
        if need not in open_now or not (live[need] or w.locked.get(need)):
            continue
        full = all(q <= 0 for q in w.demand.get(need, {}).values())
        if full and all(live[need]):
            out_ids.append(need)
    return out_ids
