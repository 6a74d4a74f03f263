"""Reservations: hold stock for a need first-expiry-first-out, then release or issue it.

Each lot is touched by one conditional UPDATE checked by its row count (DESIGN.md
"Known traps: Stock"); the reservation row itself changes state the same way, so two
concurrent releases or issues cannot both succeed. One call is one savepoint: a 409
leaves nothing written. Drill lots serve only drill reservations, real lots only real ones.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import case, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.errors import Conflict, Invalid, NotFound
from core.events.outbox import EventIn, emit_many
from core.ids import uuid7
from core.incidents.need_models import Need
from core.stock.ledger import check_item, depot_path, positive, streams, today, write_moves
from core.stock.models import Lot, MoveKind, Reservation, ReservationLot
from core.stock.schemas import LotTake, ReservationResult

_NO_SYNC = {"synchronize_session": False}


async def _grab(session: AsyncSession, lot_id: uuid.UUID, quantity: int) -> bool:
    result = await session.execute(
        update(Lot).where(Lot.id == lot_id, Lot.on_hand - Lot.reserved >= quantity)
        .values(reserved=Lot.reserved + quantity, updated_at=clock.now())
        .execution_options(**_NO_SYNC)
    )  # fmt: skip
    return result.rowcount == 1


async def _reserve_line(
    session: AsyncSession, item_id: uuid.UUID, depot_id: uuid.UUID, quantity: int, is_drill: bool
) -> list[LotTake]:
    """Take up to ``quantity`` from the depot's unexpired lots, earliest expiry first."""
    free = Lot.on_hand - Lot.reserved
    candidates = await session.execute(
        select(Lot.id, free)
        .where(Lot.depot_id == depot_id, Lot.item_id == item_id, Lot.is_drill == is_drill,
               or_(Lot.expires_on.is_(None), Lot.expires_on >= today()), free > 0)
        .order_by(Lot.expires_on.is_(None), Lot.expires_on, Lot.received_on, Lot.id)
    )  # fmt: skip
    takes: list[LotTake] = []
    left = quantity
    for lot_id, available in candidates:
        if left == 0:
            break
        want, tries = min(left, int(available)), 3
        while want > 0 and not await _grab(session, lot_id, want):  # the UPDATE is the check
            # Lost a race: another transaction took some. Re-read as a hint, try again.
            now_free = await session.scalar(select(free).where(Lot.id == lot_id))
            tries -= 1
            want = min(left, int(now_free or 0)) if tries else 0
        if want > 0:
            takes.append(LotTake(lot_id, want))
            left -= want
    return takes


async def reserve_lines(
    *, session: AsyncSession, actor_id: uuid.UUID | None, need_id: uuid.UUID,
    lines: Sequence[tuple[uuid.UUID, uuid.UUID, int]], allow_partial: bool = False,
    is_drill: bool = False,
) -> list[ReservationResult]:  # fmt: skip
    """Reserve each (item_id, depot_id, quantity) line for a need, in one savepoint.

    Short stock: 409 with ``available`` (nothing written) unless ``allow_partial``.
    """
    need = (await session.execute(select(Need.id, Need.incident_id, Need.is_drill)
                                  .where(Need.id == need_id))).first()  # fmt: skip
    if need is None:
        raise Invalid.field(["need_id"], f"unknown need {need_id}")
    if bool(need.is_drill) != is_drill:
        raise Invalid.field(["is_drill"], "drill stock serves only drill needs, real only real")
    results: list[ReservationResult] = []
    async with session.begin_nested():
        paths = []
        for i, (item_id, depot_id, quantity) in enumerate(lines):
            positive(quantity, ["lines", i, "quantity"])
            await check_item(session, item_id, ["lines", i, "item_id"])
            paths.append(await depot_path(session, depot_id, ["lines", i, "depot_id"]))
        events, now = [], clock.now()
        for (item_id, depot_id, quantity), path in zip(lines, paths, strict=True):
            takes = await _reserve_line(session, item_id, depot_id, quantity, is_drill)
            got = sum(t.quantity for t in takes)
            if got < quantity and not allow_partial:
                raise Conflict(f"only {got} of {quantity} available", available=got,
                               item_id=str(item_id), depot_id=str(depot_id))  # fmt: skip
            rid = uuid7() if got else None
            results.append(ReservationResult(item_id, depot_id, quantity, got, rid, takes))
            if rid is None:
                continue
            await session.execute(insert(Reservation).values(
                id=rid, need_id=need_id, item_id=item_id, depot_id=depot_id, area_path=path,
                quantity=got, issued=0, status="active", is_drill=is_drill,
                created_at=now, updated_at=now))  # fmt: skip
            await session.execute(insert(ReservationLot), [
                {"reservation_id": rid, "lot_id": t.lot_id, "quantity": t.quantity}
                for t in takes])  # fmt: skip
            await write_moves(session, [
                {"lot_id": t.lot_id, "depot_id": depot_id, "item_id": item_id, "area_path": path,
                 "kind": MoveKind.reserve.value, "on_hand_delta": 0, "reserved_delta": t.quantity,
                 "need_id": need_id, "incident_id": need.incident_id, "reservation_id": rid,
                 "actor_id": actor_id, "is_drill": is_drill} for t in takes])  # fmt: skip
            data = {"reservation_id": rid, "need_id": need_id, "item_id": item_id,
                    "depot_id": depot_id, "quantity": got, "requested": quantity,
                    "is_drill": is_drill}  # fmt: skip
            events.append(EventIn("stock.reserved", data, streams(path, need.incident_id)))
        await emit_many(session, events)
    return results


async def _reservation(session: AsyncSession, reservation_id: uuid.UUID) -> Any:
    stmt = select(*Reservation.__table__.c, Need.incident_id).join(
        Need, Need.id == Reservation.need_id).where(Reservation.id == reservation_id)  # fmt: skip
    row = (await session.execute(stmt)).first()
    if row is None:
        raise NotFound(f"reservation {reservation_id} not found", field="reservation_id")
    return row


async def _held(session: AsyncSession, reservation_id: uuid.UUID) -> list[Any]:
    """The reservation's lots still holding stock, earliest expiry first."""
    return list(await session.execute(
        select(ReservationLot.lot_id, ReservationLot.quantity)
        .join(Lot, Lot.id == ReservationLot.lot_id)
        .where(ReservationLot.reservation_id == reservation_id, ReservationLot.quantity > 0)
        .order_by(Lot.expires_on.is_(None), Lot.expires_on, Lot.id)
    ))  # fmt: skip


async def _unhold(session: AsyncSession, r: Any, lot_id: uuid.UUID, q: int, *, issue: bool) -> None:
    """Take q off the reservation's share of a lot, and off the lot (reserved, on_hand)."""
    values: dict[str, Any] = {"reserved": Lot.reserved - q, "updated_at": clock.now()}
    if issue:
        values["on_hand"] = Lot.on_hand - q
    lot_ok = await session.execute(update(Lot).where(Lot.id == lot_id, Lot.reserved >= q)
                                   .values(**values).execution_options(**_NO_SYNC))  # fmt: skip
    share_ok = await session.execute(
        update(ReservationLot)
        .where(ReservationLot.reservation_id == r.id, ReservationLot.lot_id == lot_id,
               ReservationLot.quantity >= q)
        .values(quantity=ReservationLot.quantity - q).execution_options(**_NO_SYNC)
    )  # fmt: skip
    if lot_ok.rowcount != 1 or share_ok.rowcount != 1:
        raise Conflict(f"lot {lot_id} no longer holds {q} for this reservation")
    kind = MoveKind.issue if issue else MoveKind.release
    await write_moves(session, [{
        "lot_id": lot_id, "depot_id": r.depot_id, "item_id": r.item_id,
        "area_path": r.area_path, "kind": kind.value, "on_hand_delta": -q if issue else 0,
        "reserved_delta": -q, "need_id": r.need_id, "incident_id": r.incident_id,
        "reservation_id": r.id, "actor_id": r.actor_id, "is_drill": r.is_drill,
        "reason": r.reason}])  # fmt: skip


async def release(
    *, session: AsyncSession, actor_id: uuid.UUID | None, reservation_id: uuid.UUID,
    reason: str,
) -> int:  # fmt: skip
    """Give back what an active reservation still holds; returns the quantity released."""
    async with session.begin_nested():
        r = await _reservation(session, reservation_id)
        moved = await session.execute(
            update(Reservation).where(Reservation.id == r.id, Reservation.status == "active")
            .values(status="released", updated_at=clock.now()).execution_options(**_NO_SYNC)
        )  # fmt: skip
        if moved.rowcount != 1:
            raise Conflict(f"reservation is {r.status}, not active", reservation_status=r.status)
        ctx = _Ctx(r, actor_id, reason)
        total = 0
        for lot_id, q in await _held(session, r.id):
            await _unhold(session, ctx, lot_id, q, issue=False)
            total += q
        data = {"reservation_id": r.id, "need_id": r.need_id, "item_id": r.item_id,
                "depot_id": r.depot_id, "quantity": total, "is_drill": r.is_drill}  # fmt: skip
        await emit_many(session, [EventIn("stock.released", data,
                                          streams(r.area_path, r.incident_id))])  # fmt: skip
    return total


async def issue(
    *, session: AsyncSession, actor_id: uuid.UUID | None, reservation_id: uuid.UUID,
    quantity: int | None = None,
) -> int:  # fmt: skip
    """Hand out reserved stock at pickup (all that is left by default); returns the quantity."""
    async with session.begin_nested():
        r = await _reservation(session, reservation_id)
        left = r.quantity - r.issued
        if quantity is not None:
            positive(quantity, ["quantity"])
        q = left if quantity is None else quantity
        now_left = left if r.status == "active" else 0
        moved = await session.execute(
            update(Reservation)
            .where(Reservation.id == r.id, Reservation.status == "active",
                   Reservation.quantity - Reservation.issued >= q)
            .values(issued=Reservation.issued + q, updated_at=clock.now(),
                    status=case((Reservation.issued + q == Reservation.quantity, "issued"),
                                else_=Reservation.status))
            .execution_options(**_NO_SYNC)
        )  # fmt: skip
        if q <= 0 or moved.rowcount != 1:
            raise Conflict(f"cannot issue {q}: {now_left} reserved", available=now_left,
                           reservation_status=r.status)  # fmt: skip
        ctx, need = _Ctx(r, actor_id, ""), q
        for lot_id, held in await _held(session, r.id):
            if need == 0:
                break
            take = min(need, int(held))
            await _unhold(session, ctx, lot_id, take, issue=True)
            need -= take
        if need:
            raise Conflict("the reservation's lots hold less than it says", available=q - need)
        data = {"reservation_id": r.id, "need_id": r.need_id, "item_id": r.item_id,
                "depot_id": r.depot_id, "quantity": q, "is_drill": r.is_drill}  # fmt: skip
        await emit_many(session, [EventIn("stock.issued", data,
                                          streams(r.area_path, r.incident_id))])  # fmt: skip
    return q


class _Ctx:
    """A reservation row plus who acts and why (for the ledger rows)."""

    def __init__(self, r: Any, actor_id: uuid.UUID | None, reason: str) -> None:
        self._r, self.actor_id, self.reason = r, actor_id, reason

    def __getattr__(self, name: str) -> Any:
        return getattr(self._r, name)
