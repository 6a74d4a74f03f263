"""``GET /api/v1/plans/{id}/readiness``: the plan's gaps (mounted by core/app.py).

Readable by whoever may read the plan (404 outside the caller's scope; drafts only for
coordinators and admins); the report holds counts, never personal data.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from core.http.deps import CurrentUser, SessionDep
from plans.readiness import plan_version_for, readiness
from plans.readiness_schemas import ReadinessRead

router = APIRouter(tags=["plans"])


@router.get("/plans/{plan_id}/readiness", response_model=ReadinessRead)
async def get_readiness(
    plan_id: uuid.UUID,
    principal: CurrentUser,
    session: SessionDep,
    version: Annotated[
        uuid.UUID | None, Query(description="A version id (default: the approved version).")
    ] = None,
) -> ReadinessRead:
    """Population, real stock (days of supply), volunteers by skill and shelter capacity
    of the plan's area against the plan; every gap with its shortfall (409 when the plan
    has no approved version and none is named)."""
    plan, chosen = await plan_version_for(
        session=session, principal=principal, plan_id=plan_id, version_id=version
    )
    return await readiness(session=session, plan=plan, version=chosen)
