"""A drill's tick runs a batch only when a need changed, an assignment ended or time passed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from core.db import Database
from core.events.outbox import EventIn, emit_many
from plans.drills.pacing import STALE_AFTER, Pacer

T0 = datetime(2026, 5, 21, 6, 0, tzinfo=UTC)


async def _emit(db: Database, *types: str) -> None:
    stream = f"incident:{uuid.uuid4()}"
    async with db.transaction() as s:
        await emit_many(s, [EventIn(t, {"id": str(uuid.uuid4())}, [stream]) for t in types])


async def test_a_batch_is_due_only_when_something_it_depends_on_changed(
    committed: Database,
) -> None:
    pacer = Pacer()
    assert await pacer.due(committed, T0)  # the first tick
    assert not await pacer.due(committed, T0 + timedelta(minutes=1))  # nothing since
    await _emit(committed, "volunteer.moved", "assignment.offered", "checkin.reported")
    assert not await pacer.due(committed, T0 + timedelta(minutes=2))  # nothing it reads
    await _emit(committed, "assignment.declined")  # a volunteer freed, a need to re-offer
    assert await pacer.due(committed, T0 + timedelta(minutes=3))
    assert not await pacer.due(committed, T0 + timedelta(minutes=4))
    await _emit(committed, "need.created")
    assert await pacer.due(committed, T0 + timedelta(minutes=5))
    pacer.force = True  # an inject ran
    assert await pacer.due(committed, T0 + timedelta(minutes=6))
    assert not await pacer.due(committed, T0 + timedelta(minutes=7))
    assert await pacer.due(committed, T0 + timedelta(minutes=6) + STALE_AFTER)  # time drifts
