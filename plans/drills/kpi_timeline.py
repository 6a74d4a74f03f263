"""Reading an incident's timeline (its ``incident:<id>`` event stream) for the KPIs.

One indexed query per call (``outbox_stream`` by stream and seq, joined to ``outbox``),
filtered by event type and time; the rows come back in seq order as (type, at, payload).
The time of an event is the outbox row's ``created_at`` (the injected clock when it was
written: simulated time in an isolated drill).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.events.models import OutboxEvent, OutboxStream


@dataclass(frozen=True, slots=True)
class Scope:
    """What every KPI is computed over: one incident, from ``start`` to ``until``."""

    incident_id: uuid.UUID
    start: datetime
    until: datetime
    is_drill: bool


async def timeline(
    session: AsyncSession, scope: Scope, types: Sequence[str]
) -> list[tuple[str, datetime, dict[str, Any]]]:
    """The incident's events of ``types`` written at or before ``scope.until``."""
    stmt = (
        select(OutboxEvent.type, OutboxEvent.created_at, OutboxEvent.payload)
        .join(OutboxStream, OutboxStream.seq == OutboxEvent.seq)
        .where(
            OutboxStream.stream == f"incident:{scope.incident_id}",
            OutboxEvent.type.in_(list(types)),
            OutboxEvent.created_at <= scope.until,
        )
        .order_by(OutboxEvent.seq)
    )
    return [(t, at, payload) for t, at, payload in await session.execute(stmt)]
