"""Matching routes (mounted under /api/v1 by core/app.py): run a batch, read what it did,
pin or forbid volunteers and depots.

Roles and scope: :mod:`core.incidents.match_access`. ``POST /incidents/{id}/match`` runs
the batch inside the request's transaction (:func:`~core.incidents.matching.match_in_session`),
so on SQLite it shares the request's write turn instead of waiting for it.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from core.http.deps import CurrentUser, SessionDep
from core.http.listing import Cursor, Limit, Page, after_uuid, page_of
from core.incidents import match_overrides, match_reads
from core.incidents.match_access import ensure_writer
from core.incidents.match_models import AssignmentStatus
from core.incidents.match_schemas import (
    AssignmentRead,
    MatchBatchSummary,
    OverrideCreate,
    OverrideRead,
    TaskRead,
)
from core.incidents.reads import get_incident
from core.incidents.rules import ensure_active
from core.stock.access import in_body

router = APIRouter(tags=["matching"])


@router.post("/incidents/{incident_id}/match", response_model=MatchBatchSummary)
async def match_now(
    request: Request, incident_id: uuid.UUID, principal: CurrentUser, session: SessionDep
) -> MatchBatchSummary:
    """Solve a batch of the incident now (coordinators); answers what it did.

    ``skipped`` is true when a batch of the incident was already running (the loop's).
    """
    incident = await get_incident(session=session, principal=principal, incident_id=incident_id)
    ensure_writer(principal)
    ensure_active(incident)
    from core.incidents.matching import match_in_session  # numpy, OR-Tools: lazily

    return await match_in_session(
        session=session,
        database=request.app.state.database,
        incident_id=incident_id,
        budget_s=request.app.state.settings.match_budget_seconds,
    )


@router.get("/incidents/{incident_id}/assignments", response_model=Page[AssignmentRead])
async def list_assignments(
    incident_id: uuid.UUID,
    principal: CurrentUser,
    session: SessionDep,
    status: Annotated[list[AssignmentStatus] | None, Query(description="Statuses.")] = None,
    limit: Limit = 50,
    next: Cursor = None,
) -> Page[AssignmentRead]:
    """The incident's assignments in your area, oldest first, each with its ``reason``."""
    await get_incident(session=session, principal=principal, incident_id=incident_id)
    rows = await match_reads.list_assignments(
        session=session,
        principal=principal,
        incident_id=incident_id,
        statuses=[s.value for s in status or []],
        after=after_uuid(next),
        limit=limit + 1,
    )
    rows, cursor = page_of(rows, limit, lambda a: [str(a.id)])
    return Page[AssignmentRead](items=[AssignmentRead.model_validate(a) for a in rows], next=cursor)


@router.get("/assignments/{assignment_id}", response_model=AssignmentRead)
async def get_assignment(
    assignment_id: uuid.UUID, principal: CurrentUser, session: SessionDep
) -> AssignmentRead:
    a = await match_reads.get_assignment(
        session=session, principal=principal, assignment_id=assignment_id
    )
    return AssignmentRead.model_validate(a)


@router.get("/needs/{need_id}/tasks", response_model=Page[TaskRead])
async def need_tasks(
    need_id: uuid.UUID, principal: CurrentUser, session: SessionDep
) -> Page[TaskRead]:
    """The need's tasks with their lines and every assignment (with its explanation)."""
    items = await match_reads.tasks_of_need(session=session, principal=principal, need_id=need_id)
    return Page[TaskRead](items=items)


@router.post("/needs/{need_id}/overrides", status_code=201, response_model=OverrideRead)
async def add_override(
    need_id: uuid.UUID, body: OverrideCreate, principal: CurrentUser, session: SessionDep
) -> OverrideRead:
    """Pin or forbid a volunteer or a depot for the need (``kind`` pin|forbid)."""
    with in_body():
        o = await match_overrides.add_override(
            session=session, principal=principal, need_id=need_id, data=body
        )
    return OverrideRead.model_validate(o)


@router.get("/needs/{need_id}/overrides", response_model=Page[OverrideRead])
async def list_overrides(
    need_id: uuid.UUID, principal: CurrentUser, session: SessionDep
) -> Page[OverrideRead]:
    rows = await match_overrides.list_overrides(
        session=session, principal=principal, need_id=need_id
    )
    return Page[OverrideRead](items=[OverrideRead.model_validate(o) for o in rows])


@router.delete("/overrides/{override_id}", status_code=204)
async def delete_override(
    override_id: uuid.UUID, principal: CurrentUser, session: SessionDep
) -> Response:
    await match_overrides.delete_override(
        session=session, principal=principal, override_id=override_id
    )
    return Response(status_code=204)
