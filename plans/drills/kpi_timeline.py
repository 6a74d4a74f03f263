"""Reading an incident's timeline (its ``incident:<id>`` event stream) for the KPIs.

One indexed query per call (``outbox_stream`` by stream and seq, joined to ``outbox``),
filtered by event type and time; the rows come back in seq order as (type, minutes from
the start, payload). The time of an event is the outbox row's ``created_at`` (the
injected clock when it was written: simulated time in an isolated drill). For a county
(~100,000 events) the minutes are computed by the database and the payload decoded by
orjson, which is several times faster than per-row datetime and JSON conversion.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Float, Text, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import UtcDateTime
from core.events.models import OutboxEvent, OutboxStream


@dataclass(frozen=True, slots=True)
class Scope:
    """What every KPI is computed over: one incident, from ``start`` to ``until``.

    Times are incident minutes: wall minutes × ``speedup``. A live drill runs on wall time
    with its deadlines divided by its speed-up, so this puts it on the same scale as the
    scenario, an isolated drill and a real incident (speed-up 1)."""

    incident_id: uuid.UUID
    start: datetime
    until: datetime
    is_drill: bool
    speedup: float = 1.0

    def minutes(self, at: datetime) -> float:
        """Incident minutes from the start to ``at``."""
        return (at - self.start).total_seconds() / 60.0 * self.speedup


def elapsed(session: AsyncSession, column: Any, start: datetime) -> ColumnElement[float]:
    """Minutes from ``start`` to a timestamp column, computed by the database."""
    origin = literal(start, UtcDateTime())
    if session.bind.dialect.name == "sqlite":
        return (func.julianday(column) - func.julianday(origin)) * 1440.0
    return cast(func.extract("epoch", column - origin), Float) / 60.0


async def timeline(
    session: AsyncSession, scope: Scope, types: Sequence[str]
) -> list[tuple[str, float, dict[str, Any]]]:
    """The incident's events of ``types`` written at or before ``scope.until``, with
    their minutes from the start (to the microsecond)."""
    stmt = (
        select(
            OutboxEvent.type,
            elapsed(session, OutboxEvent.created_at, scope.start),
            cast(OutboxEvent.payload, Text),
        )
        .join(OutboxStream, OutboxStream.seq == OutboxEvent.seq)
        .where(
            OutboxStream.stream == f"incident:{scope.incident_id}",
            OutboxEvent.type.in_(list(types)),
            OutboxEvent.created_at <= scope.until,
        )
        .order_by(OutboxEvent.seq)
    )
    rows = await session.execute(stmt)
    return [(t, round(m * scope.speedup, 6), orjson.loads(p)) for t, m, p in rows]
