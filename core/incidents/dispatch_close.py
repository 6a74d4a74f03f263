"""When a need closes (fulfilled or cancelled), its live assignments are cancelled.

Called by :func:`core.incidents.need_status.transition_needs` for every move to a final
status, so whoever closes a need (a coordinator, a household, the chain) takes its
volunteers off it: live assignments → ``cancelled`` (event ``assignment.cancelled`` with
the reason), their offer timers cancelled, the need's unfinished tasks ``cancelled``.
This module imports no service (``need_status`` imports it).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import chunks
from core.events.models import Timer
from core.events.outbox import emit_many
from core.incidents.dispatch_rules import event
from core.incidents.match_models import LIVE_STATUSES, Assignment, AssignmentStatus, Task

_NO_SYNC = {"synchronize_session": False}


def offer_key(assignment_id: uuid.UUID) -> str:
    """The key of an offer's expiry timer."""
    return f"offer:{assignment_id}"


async def cancel_offer_timers(
    session: AsyncSession, ids: Iterable[uuid.UUID], now: datetime
) -> None:
    """Cancel the offers' pending expiry timers. One being fired right now (its row locked
    by the firing transaction) is skipped: its handler finds the offer answered."""
    for part in chunks([offer_key(a) for a in ids]):
        pending = (
            select(Timer.id)
            .where(Timer.key.in_(part), Timer.claimed_by.is_(None))
            .with_for_update(skip_locked=True)
        )
        timer_ids = list(await session.scalars(pending))
        if timer_ids:
            await session.execute(
                update(Timer)
                .where(Timer.id.in_(timer_ids), Timer.claimed_by.is_(None))
                .values(claimed_by="cancelled", claimed_at=now)
                .execution_options(**_NO_SYNC)
            )


async def set_tasks(
    session: AsyncSession, ids: Iterable[uuid.UUID], status: str, now: datetime
) -> None:
    for part in chunks(sorted(set(ids))):
        await session.execute(
            update(Task).where(Task.id.in_(part)).values(status=status, updated_at=now)
            .execution_options(**_NO_SYNC)
        )  # fmt: skip


async def close_for_needs(
    session: AsyncSession, need_ids: Sequence[uuid.UUID], status: str, now: datetime
) -> list[uuid.UUID]:
    """Cancel the live assignments and open tasks of needs that became ``status``."""
    rows = []
    for part in chunks(sorted(set(need_ids))):
        live = (
            select(*Assignment.__table__.c)
            .where(Assignment.need_id.in_(part), Assignment.status.in_(LIVE_STATUSES))
            .order_by(Assignment.id)
            .with_for_update()
        )
        found = list(await session.execute(live))
        rows += found
        for ids in chunks([r.id for r in found]):
            await session.execute(
                update(Assignment)
                .where(Assignment.id.in_(ids), Assignment.status.in_(LIVE_STATUSES))
                .values(status=AssignmentStatus.cancelled.value, updated_at=now)
                .execution_options(**_NO_SYNC)
            )
        await session.execute(
            update(Task)
            .where(Task.need_id.in_(part), Task.status.in_(("open", "assigned")))
            .values(status="cancelled", updated_at=now)
            .execution_options(**_NO_SYNC)
        )
    if not rows:
        return []
    await cancel_offer_timers(session, [r.id for r in rows], now)
    reason = f"need {status}"
    await emit_many(
        session, [event(r, AssignmentStatus.cancelled, now, reason=reason) for r in rows]
    )
    return [r.id for r in rows]
