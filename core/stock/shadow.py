"""Shadow stock for a live drill: copies of the real lots a drill may draw on.

A live drill (DESIGN.md Decisions: Drills) runs on the live database beside real work, so
it must never reserve or issue a real lot. When one is declared, every real, unexpired
lot with free stock in a depot of the drill's area — the area's subtree, and the areas
above it down from the county (county warehouses serve their townships) — is copied as
a shadow lot: ``is_drill`` set, ``shadow_of`` the real lot, ``drill_incident_id`` the
drill, on hand = the real lot's free quantity. Each copy is received through the ledger
(one receive move, reason ``shadow of <lot>``), so audits balance shadow lots too, and
drill rows stay out of audit totals, disclosure and readiness. Set-based: one SELECT and
one INSERT per table, whatever the number of lots. Real lots are only read.

Areas opened for mutual aid during a live drill get the same (:func:`shadow_mutual_aid`,
called by :func:`core.incidents.changes.open_mutual_aid`): the matching draws on depots
under every area the incident covers, so without copies a live drill could not rehearse
help from a neighbour. A real lot is shadowed at most once per drill.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core import clock
from core.events.outbox import EventIn, emit_many
from core.ids import uuid7
from core.incidents.models import Incident, IncidentMode
from core.registry.areas.models import AreaLevel
from core.stock.ledger import streams, write_moves
from core.stock.models import Lot, MoveKind
from core.stock.take import serving

_COPIED = ("depot_id", "item_id", "area_path", "expires_on", "received_on", "source",
           "donor", "donor_anonymous", "fund_id", "condition")  # fmt: skip


def ancestor_paths(area_path: str, *, down_from: AreaLevel = AreaLevel.county) -> list[str]:
    """The area paths above ``area_path`` (itself excluded) at level ``down_from`` or lower.

    >>> ancestor_paths("530000000000/532900000000/532922000000/532922100000/")
    ['530000000000/532900000000/532922000000/']
    """
    codes = [c for c in area_path.split("/") if c]
    return ["".join(f"{c}/" for c in codes[:n]) for n in range(int(down_from), len(codes))]


async def copy_shadow_lots(*, session: AsyncSession, incident_id: uuid.UUID, area_path: str) -> int:
    """Copy the real lots a live drill over ``area_path`` may use; returns how many."""
    where = or_(Lot.area_path.startswith(area_path, autoescape=True),
                Lot.area_path.in_(ancestor_paths(area_path)))  # fmt: skip
    return await _copy(session, incident_id, where, area_path)


async def shadow_mutual_aid(
    *, session: AsyncSession, incident_id: uuid.UUID, incident_path: str, opened: Sequence[str]
) -> int:
    """Copy the real lots under the ``opened`` area paths for the live drill ``incident_id``
    (over ``incident_path``), those already shadowed for it excepted; returns how many."""
    where = or_(*(Lot.area_path.startswith(p, autoescape=True) for p in opened))
    return await _copy(session, incident_id, where, incident_path)


async def _copy(session: AsyncSession, incident_id: uuid.UUID, where: Any, area_path: str) -> int:
    """Shadow every real, unexpired lot with free stock matching ``where`` and not yet
    shadowed for this drill; event on ``area_path``'s streams."""
    free = Lot.on_hand - Lot.reserved
    shadow = aliased(Lot)
    copied = (
        select(shadow.id)
        .where(shadow.shadow_of == Lot.id, shadow.drill_incident_id == incident_id)
        .exists()
    )
    rows = (await session.execute(
        select(Lot.id, free.label("free"), *(getattr(Lot, c) for c in _COPIED))
        .where(serving(is_drill=False, incidents=()), where, ~copied)
        .order_by(Lot.id)
    )).all()  # fmt: skip
    if not rows:
        return 0
    now = clock.now()
    lots = [
        {"id": uuid7(), "on_hand": int(r.free), "reserved": 0, "is_drill": True,
         "shadow_of": r.id, "drill_incident_id": incident_id, "created_at": now,
         "updated_at": now, **{c: getattr(r, c) for c in _COPIED}}
        for r in rows
    ]  # fmt: skip
    await session.execute(insert(Lot), lots)
    await write_moves(session, [
        {"lot_id": lot["id"], "depot_id": lot["depot_id"], "item_id": lot["item_id"],
         "area_path": lot["area_path"], "kind": MoveKind.receive.value,
         "on_hand_delta": lot["on_hand"], "reserved_delta": 0, "actor_id": None,
         "incident_id": incident_id, "is_drill": True, "reason": f"shadow of {lot['shadow_of']}"}
        for lot in lots
    ])  # fmt: skip
    data = {"incident_id": incident_id, "lots": len(lots), "units": sum(x["on_hand"] for x in lots)}
    await emit_many(session, [EventIn("stock.shadowed", data, streams(area_path, incident_id))])
    return len(lots)


async def shadow_for_live_drill(
    *, session: AsyncSession, incident_id: uuid.UUID, hazard: str,
    community_ids: Sequence[uuid.UUID],
) -> None:  # fmt: skip
    """Activation hook: a live drill gets its shadow stock as it is declared."""
    del hazard, community_ids  # the incident's own area is what the drill may draw on
    row = (await session.execute(select(Incident.mode, Incident.area_path)
                                 .where(Incident.id == incident_id))).one()  # fmt: skip
    if row.mode == IncidentMode.live_drill.value:
        await copy_shadow_lots(session=session, incident_id=incident_id, area_path=row.area_path)
