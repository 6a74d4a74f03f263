"""Reservations: hold stock for needs first-expiry-first-out, many needs in one transaction.

:func:`reserve_batch` is the set-based entry point (DESIGN.md "Batches"): needs, items and
depots are checked by one query each, stock is taken by :mod:`core.stock.take` (one FEFO
query, one conditional UPDATE per lot checked by its row count — DESIGN.md "Known traps:
Stock"), and the reservation, reservation-lot, ledger, outbox and expiry-timer rows are
written by one INSERT each. A need is all or nothing unless ``allow_partial``: a short need
writes nothing and says what is ``available``; the other needs go ahead.
:func:`reserve_lines` is the batch with a list of one and raises 409 instead.

Real needs take only real lots; drill needs take drill lots of no drill or of their own
incident (a live drill's shadow lots). Every reservation gets an expiry timer
(:mod:`core.stock.expiry`). Release and issue live in :mod:`core.stock.release`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.errors import Conflict, Invalid
from core.events.outbox import EventIn, emit_many
from core.incidents.models import Incident
from core.incidents.need_models import Need
from core.registry.depots.models import Depot
from core.registry.items.models import Item
from core.stock.expiry import hold_for, schedule_expiries
from core.stock.ledger import positive, streams, write_moves
from core.stock.models import MoveKind, Reservation, ReservationLot
from core.stock.release import issue, release
from core.stock.schemas import NeedReservation, ReservationResult, ShortLine
from core.stock.take import Line, Requests, take_for

Loc = Callable[[int], tuple[str | int, ...]]  # where request i is, in error locations
__all__ = ["NeedReservation", "ShortLine", "issue", "release", "reserve_batch", "reserve_lines"]


async def reserve_batch(
    *, session: AsyncSession, actor_id: uuid.UUID | None,
    requests: Requests, allow_partial: bool = False, is_drill: bool = False,
    hold: timedelta | None = None,
) -> list[NeedReservation]:  # fmt: skip
    """Reserve each need's (item_id, depot_id, quantity) lines; one result per request.

    Bad ids or quantities: 422 naming ``requests[i]…``, nothing written. ``hold``: how long
    the reservations of an open need last (default ``HUZHU_RESERVATION_HOLD_MINUTES``).
    """
    return await _reserve(session, actor_id, requests, allow_partial, is_drill, hold,
                          lambda i: ("requests", i))  # fmt: skip


async def reserve_lines(
    *, session: AsyncSession, actor_id: uuid.UUID | None, need_id: uuid.UUID,
    lines: Sequence[Line], allow_partial: bool = False, is_drill: bool = False,
    hold: timedelta | None = None,
) -> list[ReservationResult]:  # fmt: skip
    """Reserve lines for one need. Short stock: 409 with ``available`` (nothing written)
    unless ``allow_partial``."""
    (done,) = await _reserve(session, actor_id, [(need_id, lines)], allow_partial, is_drill,
                             hold, lambda i: ())  # fmt: skip
    if (s := done.short) is not None:
        raise Conflict(f"only {s.available} of {s.requested} available", available=s.available,
                       item_id=str(s.item_id), depot_id=str(s.depot_id))  # fmt: skip
    return done.lines


async def _reserve(
    session: AsyncSession, actor_id: uuid.UUID | None, requests: Requests, allow_partial: bool,
    is_drill: bool, hold: timedelta | None, loc: Loc,
) -> list[NeedReservation]:  # fmt: skip
    needs, paths = await _check(session, requests, is_drill, loc)
    incident_of = {need_id: need.incident_id for need_id, need in needs.items()}
    done = await take_for(session, requests, incident_of, is_drill=is_drill,
                          allow_partial=allow_partial)  # fmt: skip
    await _write(session, actor_id, done, needs, paths, is_drill, hold)
    return done


async def _check(
    session: AsyncSession, requests: Requests, is_drill: bool, loc: Loc,
) -> tuple[dict[uuid.UUID, Any], dict[uuid.UUID, str]]:  # fmt: skip
    """Every need, item and depot exists (one query each) and every quantity is positive."""
    need_ids = {n for n, _ in requests}
    needs = {r.id: r for r in await session.execute(
        select(Need.id, Need.incident_id, Need.is_drill, Incident.mode, Incident.speedup)
        .join(Incident, Incident.id == Need.incident_id).where(Need.id.in_(need_ids)))}  # fmt: skip
    items = {i for _, lines in requests for i, _, _ in lines}
    depots = {d for _, lines in requests for _, d, _ in lines}
    known = set(await session.scalars(select(Item.id).where(Item.id.in_(items))))
    found = await session.execute(select(Depot.id, Depot.area_path).where(Depot.id.in_(depots)))
    paths: dict[uuid.UUID, str] = {row.id: row.area_path for row in found}
    for i, (need_id, lines) in enumerate(requests):
        need = needs.get(need_id)
        if need is None:
            raise Invalid.field([*loc(i), "need_id"], f"unknown need {need_id}")
        if bool(need.is_drill) != is_drill:
            raise Invalid.field(["is_drill"], "drill stock serves only drill needs, real only real")
        for j, (item_id, depot_id, quantity) in enumerate(lines):
            positive(quantity, [*loc(i), "lines", j, "quantity"])
            if item_id not in known:
                raise Invalid.field([*loc(i), "lines", j, "item_id"], f"unknown item {item_id}")
            if depot_id not in paths:
                raise Invalid.field([*loc(i), "lines", j, "depot_id"], f"unknown depot {depot_id}")
    return needs, paths


async def _write(
    session: AsyncSession, actor_id: uuid.UUID | None, done: list[NeedReservation],
    needs: dict[uuid.UUID, Any], paths: dict[uuid.UUID, str], is_drill: bool,
    hold: timedelta | None,
) -> None:  # fmt: skip
    """The batch's reservation, reservation-lot, move, outbox and timer rows: one INSERT each."""
    now = clock.now()
    reservations, shares, moves, events, timers = [], [], [], [], []
    for nr in done:
        need = needs[nr.need_id]
        held = hold_for(hold, mode=need.mode, speedup=float(need.speedup))
        for r in nr.lines:
            if r.reservation_id is None:
                continue
            rid, path = r.reservation_id, paths[r.depot_id]
            reservations.append({
                "id": rid, "need_id": nr.need_id, "item_id": r.item_id, "depot_id": r.depot_id,
                "area_path": path, "quantity": r.reserved, "issued": 0, "status": "active",
                "is_drill": is_drill, "created_at": now, "updated_at": now})  # fmt: skip
            shares += [{"reservation_id": rid, "lot_id": t.lot_id, "quantity": t.quantity}
                       for t in r.lots]  # fmt: skip
            moves += [{
                "lot_id": t.lot_id, "depot_id": r.depot_id, "item_id": r.item_id,
                "area_path": path, "kind": MoveKind.reserve.value, "on_hand_delta": 0,
                "reserved_delta": t.quantity, "need_id": nr.need_id,
                "incident_id": need.incident_id, "reservation_id": rid, "actor_id": actor_id,
                "is_drill": is_drill} for t in r.lots]  # fmt: skip
            data = {"reservation_id": rid, "need_id": nr.need_id, "item_id": r.item_id,
                    "depot_id": r.depot_id, "quantity": r.reserved, "requested": r.requested,
                    "is_drill": is_drill}  # fmt: skip
            events.append(EventIn("stock.reserved", data, streams(path, need.incident_id)))
            timers.append((rid, now + held, held))
    if not reservations:
        return
    await session.execute(insert(Reservation.__table__), reservations)
    await session.execute(insert(ReservationLot.__table__), shares)
    await write_moves(session, moves)
    await emit_many(session, events)
    await schedule_expiries(session, timers)
