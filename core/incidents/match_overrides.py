"""Coordinators' overrides: pin or forbid a volunteer or a depot for a need.

The solver respects them on its next batch (:mod:`core.incidents.match_build`): a
forbidden volunteer or depot is never used for the need; a pinned volunteer is the only
one its tasks may go to, a pinned depot the only one its stock may come from. A need has
at most one pin of each kind (delete it to pin another), and an override may not both pin
and forbid one target. The target must exist inside the caller's area (422 naming the
field otherwise); a need that is fulfilled or cancelled takes no override (409).
Events ``override.created`` / ``override.deleted`` on the incident and area streams.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.auth.roles import Principal, actor
from core.auth.scope import ensure_in_scope, in_scope
from core.errors import Conflict, FieldError, Invalid
from core.events.outbox import EventIn, emit_many
from core.ids import uuid7
from core.incidents.match_access import ensure_writer, need_in_scope
from core.incidents.match_models import MatchOverride
from core.incidents.match_schemas import OverrideCreate
from core.incidents.need_models import NeedStatus
from core.registry.depots.models import Depot
from core.registry.volunteers.models import Volunteer

_FINAL = (NeedStatus.fulfilled.value, NeedStatus.cancelled.value)


async def add_override(
    *, session: AsyncSession, principal: Principal, need_id: uuid.UUID, data: OverrideCreate
) -> MatchOverride:
    """Store one override (see the module docstring)."""
    need = await need_in_scope(session, principal, need_id, write=True)
    if (data.volunteer_id is None) == (data.depot_id is None):
        msg = "give exactly one of volunteer_id and depot_id"
        raise Invalid(
            msg, errors=[FieldError(("volunteer_id",), msg), FieldError(("depot_id",), msg)]
        )
    field, model = ("volunteer_id", Volunteer) if data.volunteer_id else ("depot_id", Depot)
    target = data.volunteer_id or data.depot_id
    path = await session.scalar(select(model.area_path).where(model.id == target))
    if path is None or not in_scope(principal, path):
        raise Invalid.field((field,), f"no {field.removesuffix('_id')} {target}")
    if need.status in _FINAL:
        raise Conflict(
            f"need {need_id} is {need.status}; it takes no override", current=need.status
        )
    column = getattr(MatchOverride, field)
    same = await session.execute(
        select(MatchOverride.id, MatchOverride.kind, column).where(
            MatchOverride.need_id == need_id, column.is_not(None)
        )
    )
    for oid, kind, other in same:
        if other == target:
            raise Conflict(
                f"override {oid} already {kind}s this {field[:-3]}", override_id=str(oid)
            )
        if kind == data.kind.value == "pin":
            raise Conflict(
                f"override {oid} already pins a {field[:-3]}; delete it first", override_id=str(oid)
            )
    oid = uuid7()
    await session.execute(
        insert(MatchOverride).values(
            id=oid,
            need_id=need_id,
            area_path=need.area_path,
            kind=data.kind.value,
            volunteer_id=data.volunteer_id,
            depot_id=data.depot_id,
            created_by=actor(principal),
            created_at=clock.now(),
        )
    )
    await emit_many(
        session, [_event("override.created", oid, need, data.kind.value, field, target)]
    )
    return await session.get_one(MatchOverride, oid)


async def list_overrides(
    *, session: AsyncSession, principal: Principal, need_id: uuid.UUID
) -> list[MatchOverride]:
    await need_in_scope(session, principal, need_id)
    stmt = select(MatchOverride).where(MatchOverride.need_id == need_id)
    return list(await session.scalars(stmt.order_by(MatchOverride.id)))


async def delete_override(
    *, session: AsyncSession, principal: Principal, override_id: uuid.UUID
) -> None:
    """Remove an override; 404 outside the caller's scope, 403 for read-only roles."""
    o = await session.get(MatchOverride, override_id)
    ensure_in_scope(principal, o.area_path if o else None, what="override")
    ensure_writer(principal)
    assert o is not None
    need = await need_in_scope(session, principal, o.need_id)
    field = "volunteer_id" if o.volunteer_id else "depot_id"
    target = o.volunteer_id or o.depot_id
    await session.execute(delete(MatchOverride).where(MatchOverride.id == override_id))
    await emit_many(session, [_event("override.deleted", override_id, need, o.kind, field, target)])


def _event(kind: str, oid: uuid.UUID, need: Any, what: str, field: str, target: Any) -> EventIn:
    data = {"id": oid, "need_id": need.id, "kind": what, field: target, "is_drill": need.is_drill}
    return EventIn(kind, data, [f"incident:{need.incident_id}", f"area:{need.area_path}"])
