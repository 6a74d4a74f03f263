"""Durable timers: deadlines stored as rows, fired exactly once by whichever worker claims them.

A worker claims a due timer with one conditional UPDATE (``… WHERE claimed_by
IS NULL``) and runs its handler in the same transaction, so the claim and the
handler's writes commit together: a concurrent claimer sees the row taken, and
a worker that dies mid-handler leaves the timer unclaimed for another to fire.
A handler that raises is retried with backoff, and marked failed after
:data:`MAX_ATTEMPTS`.

Timers due together share transactions, fired in due order. A kind with a set handler
(:func:`timer_batch_handler`) fires up to :data:`PER_BATCH` timers in one claim and one
handler call; if that raises, its savepoint rolls back and the same timers are fired one
by one. Otherwise each claim and handler has its own savepoint, :data:`PER_TRANSACTION`
to a transaction: a handler that raises rolls back only its own claim and writes
(recorded as a failure after the commit). So a drill's or a surge's thousands of
reservation expiries cost a few statements, not a transaction each.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from pydantic_core import to_jsonable_python
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.db import Database
from core.events.models import Timer
from core.events.outbox import deferred
from core.ids import uuid7

log = logging.getLogger("huzhu.timers")

MAX_ATTEMPTS = 5
PER_TRANSACTION = 50
"""Timers fired one by one in one transaction (PostgreSQL: one outbox-lock hold, so short)."""
PER_BATCH = 500
"""Timers of a kind with a set handler fired by one handler call."""


@dataclass(frozen=True, slots=True)
class DueTimer:
    """What a handler is given: ids and data, never ORM objects."""

    id: uuid.UUID
    kind: str
    key: str | None
    due_at: datetime
    payload: dict[str, Any]


class TimerHandler(Protocol):
    def __call__(self, *, session: AsyncSession, timer: DueTimer) -> Awaitable[None]: ...


class TimerBatchHandler(Protocol):
    def __call__(self, *, session: AsyncSession, timers: list[DueTimer]) -> Awaitable[None]: ...


H = TypeVar("H")
_HANDLERS: dict[str, TimerHandler] = {}
_BATCH_HANDLERS: dict[str, TimerBatchHandler] = {}


def timer_handler(kind: str) -> Callable[[TimerHandler], TimerHandler]:
    """Register the handler for timers of ``kind`` (one per kind)."""
    return _register(_HANDLERS, kind, "a handler")


def timer_batch_handler(kind: str) -> Callable[[TimerBatchHandler], TimerBatchHandler]:
    """Register a set handler for timers of ``kind``: the same effect as the kind's
    :func:`timer_handler` on each timer, for many timers at once (given in due order)."""
    return _register(_BATCH_HANDLERS, kind, "a set handler")


def _register(table: dict[str, H], kind: str, what: str) -> Callable[[H], H]:
    def register(fn: H) -> H:
        if table.get(kind) not in (None, fn):
            raise ValueError(f"timer kind {kind!r} already has {what}")
        table[kind] = fn
        return fn

    return register


def unregister(kind: str) -> None:
    _HANDLERS.pop(kind, None)
    _BATCH_HANDLERS.pop(kind, None)


async def schedule(
    session: AsyncSession,
    *,
    kind: str,
    due_at: datetime,
    payload: dict[str, Any] | None = None,
    key: str | None = None,
) -> uuid.UUID:
    """Store a timer in the caller's transaction. ``key`` (optional) is unique."""
    timer = Timer(
        id=uuid7(),
        kind=kind,
        key=key,
        due_at=due_at,
        payload=to_jsonable_python(payload or {}),
        created_at=clock.now(),
        attempts=0,
    )
    session.add(timer)
    await session.flush()
    return timer.id


async def cancel(session: AsyncSession, *, key: str) -> bool:
    """Cancel a pending timer by key; False if none was pending."""
    result = await session.execute(
        update(Timer)
        .where(Timer.key == key, Timer.claimed_by.is_(None))
        .values(claimed_by="cancelled", claimed_at=clock.now())
    )
    return result.rowcount == 1


async def fire_due(db: Database, *, worker: str, limit: int = 100) -> int:
    """Fire timers due now, in due order, sharing transactions (see the module doc);
    returns how many fired here."""
    now = clock.now()
    async with db.reader() as session:
        due = list(
            await session.execute(
                select(Timer.id, Timer.kind)
                .where(
                    Timer.claimed_by.is_(None),
                    Timer.failed_at.is_(None),
                    Timer.due_at <= now,
                )
                .order_by(Timer.due_at, Timer.id)
                .limit(limit)
            )
        )
    fired = 0
    for kind, ids in _runs(due):
        size = PER_BATCH if kind in _BATCH_HANDLERS else PER_TRANSACTION
        for start in range(0, len(ids), size):
            fired += await _fire_part(db, kind, ids[start : start + size], worker, now)
    return fired


def _runs(due: list[Any]) -> list[tuple[str, list[uuid.UUID]]]:
    """Consecutive timers of one kind, in due order."""
    runs: list[tuple[str, list[uuid.UUID]]] = []
    for timer_id, kind in due:
        if not runs or runs[-1][0] != kind:
            runs.append((kind, []))
        runs[-1][1].append(timer_id)
    return runs


async def _fire_part(
    db: Database, kind: str, ids: list[uuid.UUID], worker: str, now: datetime
) -> int:
    """One transaction: the set handler if the kind has one, else (or if it raised) one
    savepoint per timer; failures recorded after the commit. Its events are written once,
    at its end (:func:`~core.events.outbox.deferred`: a failed savepoint's go with it)."""
    failed: list[tuple[uuid.UUID, str]] = []
    fired = 0
    async with db.transaction() as session, deferred(session):
        if kind in _BATCH_HANDLERS:
            try:
                async with session.begin_nested():
                    return await _fire_set(session, kind, ids, worker, now)
            except Exception:
                log.exception("timers of kind %s: the set handler failed, firing one by one", kind)
        for timer_id in ids:
            try:
                async with session.begin_nested():
                    fired += await _fire_one(session, timer_id=timer_id, worker=worker, now=now)
            except Exception as exc:
                log.exception("timer %s failed", timer_id)
                failed.append((timer_id, repr(exc)))
    for timer_id, error in failed:
        await _record_failure(db, timer_id=timer_id, error=error, now=now)
    return fired


async def _fire_set(
    session: AsyncSession, kind: str, ids: list[uuid.UUID], worker: str, now: datetime
) -> int:
    """Claim the still-unclaimed of ``ids`` in one UPDATE and hand them to the set handler."""
    claimed = await session.execute(
        update(Timer.__table__)
        .where(Timer.id.in_(ids), Timer.claimed_by.is_(None), Timer.failed_at.is_(None))
        .values(claimed_by=worker, claimed_at=now)
        .returning(Timer.id, Timer.kind, Timer.key, Timer.due_at, Timer.payload)
    )
    timers = sorted(
        (DueTimer(id=r.id, kind=r.kind, key=r.key, due_at=r.due_at, payload=r.payload)
         for r in claimed),
        key=lambda t: (t.due_at, t.id),
    )  # fmt: skip
    if timers:
        await _BATCH_HANDLERS[kind](session=session, timers=timers)
    return len(timers)


async def _fire_one(
    session: AsyncSession, *, timer_id: uuid.UUID, worker: str, now: datetime
) -> int:
    """Claim the timer and run its handler in ``session`` (a savepoint); 0 if taken."""
    claimed = await session.execute(
        update(Timer)
        .where(Timer.id == timer_id, Timer.claimed_by.is_(None), Timer.failed_at.is_(None))
        .values(claimed_by=worker, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return 0
    row = (
        await session.execute(
            select(Timer.kind, Timer.key, Timer.due_at, Timer.payload).where(Timer.id == timer_id)
        )
    ).one()
    handler = _HANDLERS.get(row.kind)
    if handler is None:
        raise LookupError(f"no handler registered for timer kind {row.kind!r}")
    due = DueTimer(id=timer_id, kind=row.kind, key=row.key, due_at=row.due_at, payload=row.payload)
    await handler(session=session, timer=due)
    return 1


async def _record_failure(db: Database, *, timer_id: uuid.UUID, error: str, now: datetime) -> None:
    async with db.transaction() as session:
        row = await session.get(Timer, timer_id)
        if row is None or row.claimed_by is not None:
            return
        row.attempts += 1
        row.last_error = error[:2000]
        if row.attempts >= MAX_ATTEMPTS:
            row.failed_at = now
        else:
            row.due_at = now + timedelta(seconds=2**row.attempts)
