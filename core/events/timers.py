"""Durable timers: deadlines stored as rows, fired exactly once by whichever worker claims them.

A worker claims a due timer with one conditional UPDATE (``… WHERE claimed_by
IS NULL``) and runs its handler in the same transaction, so the claim and the
handler's writes commit together: a concurrent claimer sees the row taken, and
a worker that dies mid-handler leaves the timer unclaimed for another to fire.
A handler that raises is retried with backoff, and marked failed after
:data:`MAX_ATTEMPTS`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from pydantic_core import to_jsonable_python
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.db import Database
from core.events.models import Timer
from core.ids import uuid7

log = logging.getLogger("huzhu.timers")

MAX_ATTEMPTS = 5


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


_HANDLERS: dict[str, TimerHandler] = {}


def timer_handler(kind: str) -> Callable[[TimerHandler], TimerHandler]:
    """Register the handler for timers of ``kind`` (one per kind)."""

    def register(fn: TimerHandler) -> TimerHandler:
        if _HANDLERS.get(kind) not in (None, fn):
            raise ValueError(f"timer kind {kind!r} already has a handler")
        _HANDLERS[kind] = fn
        return fn

    return register


def unregister(kind: str) -> None:
    _HANDLERS.pop(kind, None)


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
    """Fire timers due now, each in its own transaction; returns how many fired here."""
    now = clock.now()
    async with db.reader() as session:
        ids = list(
            (
                await session.scalars(
                    select(Timer.id)
                    .where(
                        Timer.claimed_by.is_(None),
                        Timer.failed_at.is_(None),
                        Timer.due_at <= now,
                    )
                    .order_by(Timer.due_at)
                    .limit(limit)
                )
            ).all()
        )
    fired = 0
    for timer_id in ids:
        try:
            fired += await _fire_one(db, timer_id=timer_id, worker=worker, now=now)
        except Exception as exc:
            log.exception("timer %s failed", timer_id)
            await _record_failure(db, timer_id=timer_id, error=repr(exc), now=now)
    return fired


async def _fire_one(db: Database, *, timer_id: uuid.UUID, worker: str, now: datetime) -> int:
    async with db.transaction() as session:
        claimed = await session.execute(
            update(Timer)
            .where(Timer.id == timer_id, Timer.claimed_by.is_(None), Timer.failed_at.is_(None))
            .values(claimed_by=worker, claimed_at=now)
        )
        if claimed.rowcount != 1:
            return 0
        row = await session.get_one(Timer, timer_id)
        handler = _HANDLERS.get(row.kind)
        if handler is None:
            raise LookupError(f"no handler registered for timer kind {row.kind!r}")
        due = DueTimer(
            id=row.id, kind=row.kind, key=row.key, due_at=row.due_at, payload=row.payload
        )
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
