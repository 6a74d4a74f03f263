"""Reading what matching wrote: an incident's assignments, one assignment, a need's tasks.

Who reads: :mod:`core.incidents.match_access` (rows filtered by their ``area_path``).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import Principal
from core.auth.scope import ensure_in_scope, scope_clause
from core.incidents.match_access import ensure_reader, need_in_scope
from core.incidents.match_models import Assignment, Task, TaskLine
from core.incidents.match_schemas import AssignmentRead, TaskLineRead, TaskRead
from core.registry.items.models import Item


async def list_assignments(
    *,
    session: AsyncSession,
    principal: Principal,
    incident_id: uuid.UUID,
    statuses: Sequence[str] = (),
    after: uuid.UUID | None = None,
    limit: int,
) -> list[Assignment]:
    """The incident's assignments in the caller's scope, oldest first (keyset on id)."""
    ensure_reader(principal)
    stmt = select(Assignment).where(
        Assignment.incident_id == incident_id, scope_clause(principal, Assignment.area_path)
    )
    if statuses:
        stmt = stmt.where(Assignment.status.in_(list(statuses)))
    if after is not None:
        stmt = stmt.where(Assignment.id > after)
    return list(await session.scalars(stmt.order_by(Assignment.id).limit(limit)))


async def get_assignment(
    *, session: AsyncSession, principal: Principal, assignment_id: uuid.UUID
) -> Assignment:
    """One assignment; 404 outside the caller's scope, 403 for roles that may not read."""
    a = await session.get(Assignment, assignment_id)
    ensure_in_scope(principal, a.area_path if a else None, what="assignment")
    ensure_reader(principal)
    assert a is not None
    return a


async def tasks_of_need(
    *, session: AsyncSession, principal: Principal, need_id: uuid.UUID
) -> list[TaskRead]:
    """The need's tasks (oldest first), each with its lines and assignments (newest first)."""
    await need_in_scope(session, principal, need_id)
    tasks = list(
        await session.scalars(select(Task).where(Task.need_id == need_id).order_by(Task.id))
    )
    ids = [t.id for t in tasks]
    lines: dict[uuid.UUID, list[TaskLineRead]] = defaultdict(list)
    for r in await session.execute(
        select(
            TaskLine.task_id,
            TaskLine.reservation_id,
            TaskLine.item_id,
            Item.code,
            TaskLine.quantity,
        )
        .join(Item, Item.id == TaskLine.item_id)
        .where(TaskLine.task_id.in_(ids))
        .order_by(TaskLine.reservation_id)
    ):
        lines[r.task_id].append(
            TaskLineRead(
                reservation_id=r.reservation_id,
                item_id=r.item_id,
                item_code=r.code,
                quantity=r.quantity,
            )
        )
    given: dict[uuid.UUID, list[AssignmentRead]] = defaultdict(list)
    stmt = select(Assignment).where(Assignment.task_id.in_(ids)).order_by(Assignment.id.desc())
    for a in await session.scalars(stmt):
        given[a.task_id].append(AssignmentRead.model_validate(a))
    return [
        TaskRead(
            id=t.id,
            need_id=t.need_id,
            incident_id=t.incident_id,
            area_path=t.area_path,
            depot_id=t.depot_id,
            status=t.status,
            batch_id=t.batch_id,
            is_drill=t.is_drill,
            created_at=t.created_at,
            lines=lines[t.id],
            assignments=given[t.id],
        )
        for t in tasks
    ]
