"""When a drill's tick runs a matching batch: when something a batch depends on changed.

The app's loop solves every second; a drill ticks every ``tick_seconds`` and a batch over a
county's open needs costs a fraction of a second, most of it reloading needs that nobody
can serve yet. So a tick skips the batch when, since the last one, no need was raised or
closed, no assignment ended (done, declined, expired, failed, cancelled, withdrawn: a
volunteer or a task freed) and no inject ran — the deterministic solver would answer the
same — but never for longer than :data:`STALE_AFTER` (availability hours and waiting-time
priority drift with the clock).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select

from core.db import Database
from core.incidents.match_models import Assignment
from core.incidents.need_models import Need

ENDED = ("done", "declined", "expired", "failed", "cancelled", "withdrawn")
STALE_AFTER = timedelta(minutes=10)


async def signature(db: Database, incident_id: uuid.UUID) -> tuple[int, ...]:
    """Needs by status and ended assignments of the incident, as one tuple."""
    async with db.reader() as session:
        needs = dict(list(await session.execute(
            select(Need.status, func.count()).where(Need.incident_id == incident_id)
            .group_by(Need.status)
        )))  # fmt: skip
        ended = await session.scalar(
            select(func.count()).where(Assignment.incident_id == incident_id,
                                       Assignment.status.in_(ENDED))
        )  # fmt: skip
    return (*(needs.get(s, 0) for s in sorted(needs)), len(needs), int(ended or 0))


class Pacer:
    """Remembers the state at the last batch."""

    def __init__(self) -> None:
        self.last: tuple[int, ...] | None = None
        self.at: datetime | None = None
        self.force = True

    async def due(self, db: Database, incident_id: uuid.UUID, now: datetime) -> bool:
        sig = await signature(db, incident_id)
        stale = self.at is None or now - self.at >= STALE_AFTER
        if self.force or stale or sig != self.last:
            self.last, self.at, self.force = sig, now, False
            return True
        return False
