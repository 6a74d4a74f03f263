"""Need statuses: the allowed transitions and the set-based :func:`transition_needs`.

==============  ===========================================  =========================
from            to                                           why
==============  ===========================================  =========================
open            matched, cancelled                           the solver found help
matched         in_progress, open, cancelled                 accepted / a decline or
                                                             timeout puts it back
in_progress     fulfilled, open, cancelled                   done / a failed dispatch
                                                             puts it back
fulfilled       —                                            final
cancelled       —                                            final
==============  ===========================================  =========================

Each change emits ``need.<to>`` (``need.matched``, ``need.in_progress``,
``need.fulfilled``, ``need.cancelled``; back to open is ``need.reopened``) on
``incident:<id>`` and ``area:<area_path>``. ``closed_at`` is set on fulfilled and
cancelled. Anything not allowed is 409 saying what is allowed now; nothing is written.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.util import identity_key

from core import clock
from core.auth.roles import SYSTEM, Principal
from core.errors import Conflict, NotFound
from core.events.outbox import EventIn, emit_many
from core.incidents.dispatch_close import close_for_needs
from core.incidents.models import Incident
from core.incidents.need_access import ensure_may_change
from core.incidents.need_models import Need, NeedStatus
from core.incidents.rules import ensure_active
from core.registry.households.access import in_reach
from core.registry.households.models import Household

S = NeedStatus
ALLOWED: dict[NeedStatus, frozenset[NeedStatus]] = {
    S.open: frozenset({S.matched, S.cancelled}),
    S.matched: frozenset({S.in_progress, S.open, S.cancelled}),
    S.in_progress: frozenset({S.fulfilled, S.open, S.cancelled}),
    S.fulfilled: frozenset(),
    S.cancelled: frozenset(),
}
FINAL = frozenset({S.fulfilled, S.cancelled})
_CHUNK = 5000


def event_type(to: NeedStatus) -> str:
    return "need.reopened" if to is S.open else f"need.{to.value}"


def need_streams(incident_id: uuid.UUID, area_path: str) -> list[str]:
    return [f"incident:{incident_id}", f"area:{area_path}"]


def sources_of(to: NeedStatus) -> list[str]:
    """The statuses a need may move to ``to`` from."""
    return sorted(s.value for s, targets in ALLOWED.items() if to in targets)


async def transition_needs(
    *,
    session: AsyncSession,
    principal: Principal | None,
    need_ids: Sequence[uuid.UUID],
    to: NeedStatus | str,
    reason: str | None = None,
) -> list[uuid.UUID]:
    """Move every need in ``need_ids`` to ``to``, all or nothing; their ids.

    404 for a need out of reach, 403 for one the caller may not change, 409 for a
    stood-down incident or a transition not allowed now (``extra`` lists what is).
    """
    principal = principal or SYSTEM
    to = NeedStatus(to)
    ids = list(dict.fromkeys(need_ids))
    found = await _load(session, ids)
    incidents = await _incidents(session, {row.incident_id for row in found.values()})
    for nid in ids:
        row = found.get(nid)
        if row is None or not in_reach(
            principal, area_path=row.area_path, household_id=row.household_id
        ):
            raise NotFound(f"need {nid} not found")
        ensure_may_change(principal, area_path=row.area_path, household_id=row.household_id,
                          grid_id=row.grid_id, to=to)  # fmt: skip
        ensure_active(incidents[row.incident_id])
        _check(nid, row, to)
    now = clock.now()
    values: dict[str, Any] = {"status": to.value, "updated_at": now}
    values["closed_at"] = now if to in FINAL else None
    async with session.begin_nested():
        changed = 0
        for start in range(0, len(ids), _CHUNK):
            stmt = (
                update(Need)
                .where(Need.id.in_(ids[start : start + _CHUNK]), Need.status.in_(sources_of(to)))
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            changed += (await session.execute(stmt)).rowcount or 0
        if changed != len(ids):
            raise Conflict("a need changed meanwhile; reload it and try again")
    for nid in ids:  # loaded copies are stale now
        loaded = session.identity_map.get(identity_key(Need, nid))
        if loaded is not None:
            session.expire(loaded)
    events = [_event(found[nid], to, reason) for nid in ids]
    await emit_many(session, events)
    if to in FINAL:  # a closed need takes its volunteers off it
        await close_for_needs(session, ids, to.value, now)
    return ids


def _check(nid: uuid.UUID, row: Any, to: NeedStatus) -> None:
    now = NeedStatus(row.status)
    if to not in ALLOWED[now]:
        allowed = sorted(s.value for s in ALLOWED[now])
        said = ", ".join(allowed) if allowed else "nothing (it is final)"
        raise Conflict(
            f"need {nid} is {now.value}; it may move to {said}",
            current=now.value,
            allowed=allowed,
        )


def _event(row: Any, to: NeedStatus, reason: str | None) -> EventIn:
    data = {
        "id": row.id,
        "incident_id": row.incident_id,
        "area_path": row.area_path,
        "kind": row.kind,
        "priority": row.priority,
        "is_drill": row.is_drill,
        "from": row.status,
        "status": to.value,
        "reason": reason,
    }
    return EventIn(
        type=event_type(to), data=data, streams=need_streams(row.incident_id, row.area_path)
    )


async def _load(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
    cols = (
        Need.id, Need.status, Need.area_path, Need.household_id, Need.incident_id, Need.kind,
        Need.priority, Need.is_drill, Household.grid_id,
    )  # fmt: skip
    out: dict[uuid.UUID, Any] = {}
    for start in range(0, len(ids), _CHUNK):
        stmt = (
            select(*cols)
            .outerjoin(Household, Household.id == Need.household_id)
            .where(Need.id.in_(ids[start : start + _CHUNK]))
        )
        out.update({row.id: row for row in await session.execute(stmt)})
    return out


async def _incidents(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, Incident]:
    if not ids:
        return {}
    stmt = select(Incident).where(Incident.id.in_(sorted(ids)))
    return {i.id: i for i in await session.scalars(stmt)}
