"""What the matching loop does after its batches: offer and escalate, in one short write.

Offers are made after the batch's own transaction has committed (a batch writes
``proposed``; matching's tests and the ``POST /incidents/{id}/match`` route see that),
so the solve's long write and the offers' timers never share a transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from core.db import Database
from core.incidents import dispatch_timers  # noqa: F401  (the offer-expiry handler)
from core.incidents.dispatch_escalate import escalate_stuck
from core.incidents.dispatch_offer import offer_proposed
from core.incidents.match_models import Assignment, AssignmentStatus


async def after_batches(database: Database, solved: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    """Offer every proposed assignment (of any incident: the API's batches too) and
    escalate the stuck needs of the incidents just solved; the offered ids."""
    if not solved:  # an idle round opens no write transaction
        async with database.reader() as session:
            proposed = Assignment.status == AssignmentStatus.proposed.value
            if await session.scalar(select(Assignment.id).where(proposed).limit(1)) is None:
                return []
    async with database.transaction() as session:
        offered = await offer_proposed(session=session)
        for incident_id in solved:
            await escalate_stuck(session=session, incident_id=incident_id)
    return offered
