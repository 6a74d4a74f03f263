"""Dispatch routes (mounted under /api/v1 by core/app.py): the phone page's fallback to its
socket. Each answers the assignment as it is now; rules in :mod:`core.incidents.dispatch`.

A volunteer acts on their own assignments (others' are 404); a coordinator or admin in
scope may act for them (a phone call), and only they may cancel.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.http.deps import CurrentUser, SessionDep
from core.incidents import dispatch
from core.incidents.dispatch_contact import assignment_contact, report_visit
from core.incidents.match_models import Assignment
from core.incidents.match_schemas import AssignmentRead
from core.incidents.schemas import Lat, Lon
from core.registry.volunteers.position import record_position

router = APIRouter(tags=["dispatch"])
Reason = Field(None, max_length=500)


class ReasonBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Reason


class StatusBody(BaseModel):
    """``status``: picked_up, en_route, arrived, done or failed."""

    model_config = ConfigDict(extra="forbid")

    status: str = Field(max_length=20)
    reason: str | None = Reason


class PositionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lon: Lon
    lat: Lat
    accuracy_m: float | None = Field(None, ge=0)


class PositionStored(BaseModel):
    stored: bool = Field(description="False when the last stored ping is too recent.")


async def _read(session: AsyncSession, assignment_id: uuid.UUID) -> AssignmentRead:
    stmt = select(*Assignment.__table__.c).where(Assignment.id == assignment_id)
    return AssignmentRead.model_validate((await session.execute(stmt)).one())


@router.post("/assignments/{assignment_id}/accept", response_model=AssignmentRead)
async def accept(
    assignment_id: uuid.UUID, principal: CurrentUser, session: SessionDep
) -> AssignmentRead:
    """Accept an offer before its deadline (409 "the offer expired at …" after it)."""
    await dispatch.respond(session=session, principal=principal, assignment_ids=[assignment_id],
                           action="accept")  # fmt: skip
    return await _read(session, assignment_id)


@router.post("/assignments/{assignment_id}/decline", response_model=AssignmentRead)
async def decline(
    assignment_id: uuid.UUID,
    principal: CurrentUser,
    session: SessionDep,
    body: ReasonBody | None = None,
) -> AssignmentRead:
    """Decline an offer; the need goes back to matching (you are not asked again for it)."""
    await dispatch.respond(session=session, principal=principal, assignment_ids=[assignment_id],
                           action="decline", reason=body.reason if body else None)  # fmt: skip
    return await _read(session, assignment_id)


@router.post("/assignments/{assignment_id}/status", response_model=AssignmentRead)
async def report_status(
    assignment_id: uuid.UUID, body: StatusBody, principal: CurrentUser, session: SessionDep
) -> AssignmentRead:
    """Report picked_up (stock issued), en_route, arrived, done or failed."""
    await dispatch.report_status(session=session, principal=principal,
                                 assignment_ids=[assignment_id], status=body.status,
                                 reason=body.reason)  # fmt: skip
    return await _read(session, assignment_id)


@router.post("/assignments/{assignment_id}/cancel", response_model=AssignmentRead)
async def cancel(
    assignment_id: uuid.UUID,
    principal: CurrentUser,
    session: SessionDep,
    body: ReasonBody | None = None,
) -> AssignmentRead:
    """Coordinators: take a live assignment back; its task goes back to matching."""
    await dispatch.cancel(session=session, principal=principal, assignment_ids=[assignment_id],
                          reason=body.reason if body else None)  # fmt: skip
    return await _read(session, assignment_id)


@router.get("/assignments/{assignment_id}/contact", response_model=dict[str, Any])
async def contact(
    assignment_id: uuid.UUID, principal: CurrentUser, session: SessionDep
) -> dict[str, Any]:
    """The need's household and members, while the assignment is active (logged)."""
    return await assignment_contact(
        session=session, principal=principal, assignment_id=assignment_id
    )


@router.post("/assignments/{assignment_id}/visit-report")
async def visit_report(
    assignment_id: uuid.UUID, body: dict[str, Any], principal: CurrentUser, session: SessionDep
) -> Any:
    """Report the visited household's members: ``{"members": [{"person_id", "status",
    "needs"}]}`` (the check-in chain's household report)."""
    return await report_visit(
        session=session, principal=principal, assignment_id=assignment_id, report=body
    )


@router.post("/volunteers/me/position", response_model=PositionStored)
async def position(
    body: PositionBody, principal: CurrentUser, session: SessionDep
) -> PositionStored:
    """Share your live position; pings closer than ``HUZHU_POSITION_MIN_SECONDS`` to the
    last stored one are accepted and not stored."""
    stored = await record_position(session=session, principal=principal, lon=body.lon,
                                   lat=body.lat, accuracy_m=body.accuracy_m)  # fmt: skip
    return PositionStored(stored=stored)
