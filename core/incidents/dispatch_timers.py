"""The offer-expiry timer: an offer nobody answered by its deadline becomes ``expired``.

Registered on import (``core/app.py`` imports this module). The handler runs in the
timer's claiming transaction (:mod:`core.events.timers`): an assignment still
``offered`` → ``expired`` (task and need back to open, ``assignment.expired``); an
answered, withdrawn or cancelled one → nothing. Offers expiring together go as a set
(:func:`on_offer_expiries`: one read, one transition); if that transition refuses, the
timers are fired one by one (:mod:`core.events.timers`).
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import chunks
from core.errors import Conflict
from core.events.timers import DueTimer, timer_batch_handler, timer_handler
from core.incidents.dispatch import transition
from core.incidents.dispatch_offer import OFFER_TIMER
from core.incidents.match_models import Assignment, AssignmentStatus


@timer_handler(OFFER_TIMER)
async def on_offer_expiry(*, session: AsyncSession, timer: DueTimer) -> None:
    """Payload: ``assignment_id``."""
    aid = uuid.UUID(str(timer.payload["assignment_id"]))
    status = await session.scalar(select(Assignment.status).where(Assignment.id == aid))
    if status != AssignmentStatus.offered.value:
        return
    try:
        await transition(
            session=session,
            principal=None,
            assignment_ids=[aid],
            to=AssignmentStatus.expired,
            reason="no answer by the deadline",
        )
    except Conflict:  # answered while we waited for its lock: nothing to expire
        return


@timer_batch_handler(OFFER_TIMER)
async def on_offer_expiries(*, session: AsyncSession, timers: list[DueTimer]) -> None:
    """:func:`on_offer_expiry` for many timers: the still-offered ones expire together."""
    ids = sorted({uuid.UUID(str(t.payload["assignment_id"])) for t in timers}, key=lambda u: u.int)
    offered = []
    for part in chunks(ids):
        offered += list(await session.scalars(
            select(Assignment.id).where(Assignment.id.in_(part),
                                        Assignment.status == AssignmentStatus.offered.value)
        ))  # fmt: skip
    if offered:
        await transition(
            session=session, principal=None, assignment_ids=offered,
            to=AssignmentStatus.expired, reason="no answer by the deadline",
        )  # fmt: skip
