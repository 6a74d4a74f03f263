"""The end of a reservation: release what it holds (by hand, on expiry) or issue it at pickup.

The reservation row changes state by one conditional UPDATE checked by its row count, and
each lot by another (DESIGN.md "Known traps: Stock"), so two concurrent releases or issues
cannot both succeed. One call is one savepoint: a 409 leaves nothing written.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.errors import Conflict, NotFound
from core.events.outbox import EventIn, emit_many
from core.incidents.need_models import Need
from core.stock.ledger import positive, streams, write_moves
from core.stock.models import Lot, MoveKind, Reservation, ReservationLot

_NO_SYNC = {"synchronize_session": False}
ENDED = {"released": "stock.released", "expired": "stock.expired"}
"""The statuses :func:`release` may end a reservation with, and the event each emits."""


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
    await write_moves(session, [ledger_row(r, lot_id, q, issue=issue, actor_id=r.actor_id,
                                           reason=r.reason)])  # fmt: skip


def ledger_row(r: Any, lot_id: uuid.UUID, q: int, *, issue: bool, actor_id: uuid.UUID | None,
               reason: str) -> dict[str, Any]:  # fmt: skip
    """The ledger row of giving back (or issuing) ``q`` of reservation ``r`` from a lot."""
    kind = MoveKind.issue if issue else MoveKind.release
    return {"lot_id": lot_id, "depot_id": r.depot_id, "item_id": r.item_id,
            "area_path": r.area_path, "kind": kind.value, "on_hand_delta": -q if issue else 0,
            "reserved_delta": -q, "need_id": r.need_id, "incident_id": r.incident_id,
            "reservation_id": r.id, "actor_id": actor_id, "is_drill": r.is_drill,
            "reason": reason}  # fmt: skip


def reservation_event(kind: str, r: Any, quantity: int) -> EventIn:
    """``stock.released``/``expired``/``issued`` of reservation ``r`` for ``quantity``."""
    data = {"reservation_id": r.id, "need_id": r.need_id, "item_id": r.item_id,
            "depot_id": r.depot_id, "quantity": quantity, "is_drill": r.is_drill}  # fmt: skip
    return EventIn(kind, data, streams(r.area_path, r.incident_id))


async def release(
    *, session: AsyncSession, actor_id: uuid.UUID | None, reservation_id: uuid.UUID,
    reason: str, status: str = "released",
) -> int:  # fmt: skip
    """Give back what an active reservation still holds; returns the quantity released.

    ``status`` is ``released`` (by hand, or its need closed) or ``expired`` (its hold ran
    out, :mod:`core.stock.expiry`); the event is ``stock.released`` or ``stock.expired``.
    """
    if status not in ENDED:
        raise ValueError(f"status must be one of {sorted(ENDED)}")
    async with session.begin_nested():
        r = await _reservation(session, reservation_id)
        moved = await session.execute(
            update(Reservation).where(Reservation.id == r.id, Reservation.status == "active")
            .values(status=status, updated_at=clock.now()).execution_options(**_NO_SYNC)
        )  # fmt: skip
        if moved.rowcount != 1:
            raise Conflict(f"reservation is {r.status}, not active", reservation_status=r.status)
        ctx = _Ctx(r, actor_id, reason)
        total = 0
        for lot_id, q in await _held(session, r.id):
            await _unhold(session, ctx, lot_id, q, issue=False)
            total += q
        await emit_many(session, [reservation_event(ENDED[status], r, total)])
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
        await emit_many(session, [reservation_event("stock.issued", r, q)])
    return q


class _Ctx:
    """A reservation row plus who acts and why (for the ledger rows)."""

    def __init__(self, r: Any, actor_id: uuid.UUID | None, reason: str) -> None:
        self._r, self.actor_id, self.reason = r, actor_id, reason

    def __getattr__(self, name: str) -> Any:
        return getattr(self._r, name)
