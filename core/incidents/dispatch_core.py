"""The set-based steps every dispatch transition is made of (see :mod:`.dispatch_rules`).

Rows are loaded with their task and need, locked on PostgreSQL (``FOR UPDATE``: the
needs, then the assignments, each in id order, the order a matching batch takes; SQLite
has one writer); each status change is one UPDATE per
source status, checked by its row count; statements go in chunks of 5,000 ids.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import SYSTEM, Principal, Role
from core.auth.scope import in_scope
from core.db import chunks
from core.errors import Conflict, Forbidden, NotFound
from core.incidents.dispatch_close import cancel_offer_timers, set_tasks
from core.incidents.dispatch_rules import PUT_BACK
from core.incidents.match_models import Assignment, AssignmentStatus, Task
from core.incidents.models import Incident, IncidentStatus
from core.incidents.need_models import Need, NeedStatus
from core.incidents.need_status import FINAL, transition_needs

COORDINATING = frozenset({Role.admin, Role.coordinator})
_NO_SYNC = {"synchronize_session": False}
_COLS = (
    *Assignment.__table__.c,
    Task.depot_id,
    Task.status.label("task_status"),
    Need.status.label("need_status"),
    Need.kind.label("need_kind"),
    Need.household_id,
    Incident.status.label("incident_status"),
    Incident.mode,
    Incident.speedup,
)


async def load(
    session: AsyncSession, ids: Iterable[uuid.UUID], *, where: Any = None
) -> dict[uuid.UUID, Any]:
    """Assignments by id with their task's depot and status, need and incident columns."""
    out: dict[uuid.UUID, Any] = {}
    for part in chunks(sorted(set(ids))):
        # Needs first, in id order, as a matching batch locks them (no deadlock between the two).
        needs = select(Assignment.need_id).where(Assignment.id.in_(part))
        await session.execute(
            select(Need.id).where(Need.id.in_(needs)).order_by(Need.id).with_for_update()
        )
        stmt = (
            select(*_COLS)
            .join(Task, Task.id == Assignment.task_id)
            .join(Need, Need.id == Assignment.need_id)
            .join(Incident, Incident.id == Assignment.incident_id)
            .where(Assignment.id.in_(part))
            .order_by(Assignment.id)
            .with_for_update(of=Assignment.__table__)
        )
        if where is not None:
            stmt = stmt.where(where)
        out.update({row.id: row for row in await session.execute(stmt)})
    return out


def authorize(principal: Principal, row: Any, aid: uuid.UUID, *, coordinating: bool) -> None:
    """A volunteer acts on their own assignments only (others' are 404, not 403); a
    coordinator or admin in scope may act for them. ``coordinating``: only they may."""
    own = row is not None and principal.volunteer_id == row.volunteer_id
    if principal.role is Role.volunteer:
        if not own:
            raise NotFound(f"assignment {aid} not found")
        if coordinating:
            raise Forbidden("a volunteer declines or reports failed; cancelling is a coordinator's")
        return
    if row is None or not in_scope(principal, row.area_path):
        raise NotFound(f"assignment {aid} not found")
    if principal.role not in COORDINATING:
        raise Forbidden(f"role {principal.role.value} may not act on assignments")


async def loaded(
    session: AsyncSession, principal: Principal | None, ids: Sequence[uuid.UUID], *,
    coordinating: bool = False,
) -> tuple[list[uuid.UUID], dict[uuid.UUID, Any]]:  # fmt: skip
    """The distinct ids (in order) and their rows, each checked with :func:`authorize`."""
    who = principal or SYSTEM
    order = list(dict.fromkeys(ids))
    rows = await load(session, order)
    for aid in order:
        authorize(who, rows.get(aid), aid, coordinating=coordinating)
    return order, rows


async def move(
    session: AsyncSession, rows: Sequence[Any], to: AssignmentStatus, now: datetime,
    **values: Any,
) -> None:  # fmt: skip
    """Set ``to`` on ``rows`` (one UPDATE per source status); 409 if any changed meanwhile."""
    by_from: dict[str, list[uuid.UUID]] = defaultdict(list)
    for row in rows:
        by_from[row.status].append(row.id)
    for source, ids in by_from.items():
        for part in chunks(ids):
            stmt = (
                update(Assignment)
                .where(Assignment.id.in_(part), Assignment.status == source)
                .values(status=to.value, updated_at=now, **values)
                .execution_options(**_NO_SYNC)
            )
            if (await session.execute(stmt)).rowcount != len(part):
                raise Conflict("an assignment changed meanwhile; reload it and try again")


async def put_back(
    session: AsyncSession, rows: Sequence[Any], to: AssignmentStatus, now: datetime, reason: str
) -> None:
    """After a decline, expiry, failure or cancellation: the offer timer is cancelled, the
    task goes back to ``open`` (``cancelled`` when its need is final) and a matched or
    in-progress need of an active incident back to ``open``. Stock stays reserved."""
    assert to in PUT_BACK
    await cancel_offer_timers(session, [r.id for r in rows], now)
    final = {s.value for s in FINAL}
    await set_tasks(session, [r.task_id for r in rows if r.need_status not in final], "open", now)
    await set_tasks(session, [r.task_id for r in rows if r.need_status in final], "cancelled", now)
    reopen = [
        r.need_id
        for r in rows
        if r.need_status in (NeedStatus.matched.value, NeedStatus.in_progress.value)
        and r.incident_status == IncidentStatus.active.value
    ]
    await advance_needs(session, reopen, NeedStatus.open, reason)


_PATH = {
    NeedStatus.open: {"matched": [], "in_progress": []},
    NeedStatus.in_progress: {"matched": []},
    NeedStatus.fulfilled: {"matched": [NeedStatus.in_progress], "in_progress": []},
}


async def advance_needs(
    session: AsyncSession, need_ids: Iterable[uuid.UUID], to: NeedStatus, reason: str
) -> None:
    """Move needs (matched or in progress) to ``to`` through the need table's steps; needs
    in any other status are left alone."""
    ids = sorted(set(need_ids))
    if not ids:
        return
    current = dict(
        (await session.execute(select(Need.id, Need.status).where(Need.id.in_(ids)))).all()
    )
    steps = _PATH[to]
    by_status: dict[str, list[uuid.UUID]] = defaultdict(list)
    for nid in ids:
        if current.get(nid) in steps:
            by_status[current[nid]].append(nid)
    for status, group in sorted(by_status.items()):
        for step in [*steps[status], to]:
            await transition_needs(
                session=session, principal=None, need_ids=group, to=step, reason=reason
            )
