"""When a drill's tick runs a matching batch: when something a batch depends on changed.

The app's loop solves every second; a drill ticks every ``tick_seconds`` and a batch over a
county's open needs costs a fraction of a second, most of it spent on needs that nobody
can serve yet. So a tick skips the batch when no event since the last one says a need was
raised or changed (``need.*``) or an assignment ended (done, declined, expired, failed,
cancelled, withdrawn: a volunteer or a task freed) and no inject ran — the deterministic
solver would answer the same — but never for longer than :data:`STALE_AFTER`
(availability hours and waiting-time priority drift with the clock). An isolated drill's
database holds its incident alone, so the outbox's events are its own: two look-ups by
``seq`` a tick, not a count of every need (40 ms a tick on PostgreSQL at county scale).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select

from core.db import Database
from core.events.models import OutboxEvent
from core.events.outbox import newest_seq

ENDED = ("done", "declined", "expired", "failed", "cancelled", "withdrawn")
STALE_AFTER = timedelta(minutes=10)
_TRIGGERS = or_(
    OutboxEvent.type.like("need.%"), OutboxEvent.type.in_([f"assignment.{s}" for s in ENDED])
)


class Pacer:
    """Remembers the outbox's head and the time at the last batch."""

    def __init__(self) -> None:
        self.head: int = 0
        self.at: datetime | None = None
        self.force = True

    async def due(self, db: Database, now: datetime) -> bool:
        """Whether the tick at ``now`` runs a batch (and if so, remember this moment)."""
        async with db.reader() as session:
            head = await newest_seq(session)
            since = (OutboxEvent.seq > self.head, OutboxEvent.seq <= head, _TRIGGERS)
            changed = (
                head > self.head
                and (await session.scalar(select(OutboxEvent.seq).where(*since).limit(1)))
                is not None
            )
        stale = self.at is None or now - self.at >= STALE_AFTER
        if self.force or stale or changed:
            self.head, self.at, self.force = head, now, False
            return True
        return False
