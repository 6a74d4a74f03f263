"""The end of a reservation: release what it holds (by hand, on expiry) or issue it at pickup.

The reservation row changes state by one conditional UPDATE checked by its row count, and
each lot by another (DESIGN.md "Known traps: Stock"), so two concurrent releases or issues
cannot both succeed. One call is one savepoint: a 409 leaves nothing written.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
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
    return _found(await _reservations(session, [reservation_id]), reservation_id)


def _found(rows: dict[uuid.UUID, Any], reservation_id: uuid.UUID) -> Any:
    """The reservation's row among ``rows``, or 404."""
    row = rows.get(reservation_id)
    if row is None:
        raise NotFound(f"reservation {reservation_id} not found", field="reservation_id")
    return row


async def _reservations(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Any]:
    """The reservations of ``ids`` found, with their need's incident, by id."""
    stmt = select(*Reservation.__table__.c, Need.incident_id).join(
        Need, Need.id == Reservation.need_id).where(Reservation.id.in_(ids))  # fmt: skip
    return {row.id: row for row in await session.execute(stmt)}


async def _held(session: AsyncSession, reservation_id: uuid.UUID) -> list[Any]:
    """The reservation's lots still holding stock, earliest expiry first."""
    return (await _held_by(session, [reservation_id])).get(reservation_id, [])


async def _held_by(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Any]]:
    """Per reservation of ``ids``: its lots still holding stock, earliest expiry first, as
    [lot id, quantity] pairs (a caller taking from them updates the quantity)."""
    rows = await session.execute(
        select(ReservationLot.reservation_id, ReservationLot.lot_id, ReservationLot.quantity)
        .join(Lot, Lot.id == ReservationLot.lot_id)
        .where(ReservationLot.reservation_id.in_(ids), ReservationLot.quantity > 0)
        .order_by(ReservationLot.reservation_id, Lot.expires_on.is_(None), Lot.expires_on,
                  Lot.id)
    )  # fmt: skip
    out: dict[uuid.UUID, list[Any]] = {}
    for rid, lot_id, q in rows:
        out.setdefault(rid, []).append([lot_id, int(q)])
    return out


async def _unhold(
    session: AsyncSession, r: Any, lot_id: uuid.UUID, q: int, *, issue: bool
) -> dict[str, Any]:
    """Take q off the reservation's share of a lot, and off the lot (reserved, on_hand);
    the ledger row to write."""
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
    return ledger_row(r, lot_id, q, issue=issue, actor_id=r.actor_id, reason=r.reason)


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
        held = await _held(session, r.id)
        moves = [await _unhold(session, ctx, lot_id, q, issue=False) for lot_id, q in held]
        if moves:
            await write_moves(session, moves)
        total = sum(q for _, q in held)
        await emit_many(session, [reservation_event(ENDED[status], r, total)])
    return total


async def issue(
    *, session: AsyncSession, actor_id: uuid.UUID | None, reservation_id: uuid.UUID,
    quantity: int | None = None,
) -> int:  # fmt: skip
    """Hand out reserved stock at pickup (all that is left by default); returns the quantity."""
    (q,) = await issue_many(session=session, actor_id=actor_id, lines=[(reservation_id, quantity)])
    return q


async def issue_many(
    *, session: AsyncSession, actor_id: uuid.UUID | None,
    lines: Sequence[tuple[uuid.UUID, int | None]],
) -> list[int]:  # fmt: skip
    """Hand out reserved stock at pickup: each (reservation, quantity or None for all that
    is left) in order, as :func:`issue` would one after the other, in one savepoint (a 404
    or 409 leaves nothing written); the reservations and their lots read once, the ledger
    rows and events written once. The quantities issued."""
    async with session.begin_nested():
        ids = list(dict.fromkeys(rid for rid, _ in lines))
        found = await _reservations(session, ids)
        held = await _held_by(session, ids)
        issued: dict[uuid.UUID, int] = {}  # taken by earlier lines of this call
        moves: list[dict[str, Any]] = []
        events: list[EventIn] = []
        out: list[int] = []
        for reservation_id, quantity in lines:
            r = _found(found, reservation_id)
            before = issued.get(r.id, 0)
            left = r.quantity - r.issued - before
            status = "issued" if before and left == 0 else r.status
            q = await _issue_one(session, r, quantity, left, status)
            issued[r.id] = before + q
            ctx, need = _Ctx(r, actor_id, ""), q
            for share in held.get(r.id, []):
                if need == 0:
                    break
                take = min(need, share[1])
                if take == 0:
                    continue
                moves.append(await _unhold(session, ctx, share[0], take, issue=True))
                share[1] -= take
                need -= take
            if need:
                raise Conflict("the reservation's lots hold less than it says", available=q - need)
            events.append(reservation_event("stock.issued", r, q))
            out.append(q)
        if moves:
            await write_moves(session, moves)
        await emit_many(session, events)
    return out


async def _issue_one(session: AsyncSession, r: Any, quantity: int | None, left: int,
                     status: str) -> int:  # fmt: skip
    """The reservation row's part of an issue: one conditional UPDATE, checked."""
    if quantity is not None:
        positive(quantity, ["quantity"])
    q = left if quantity is None else quantity
    now_left = left if status == "active" else 0
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
                       reservation_status=status)  # fmt: skip
    return q


class _Ctx:
    """A reservation row plus who acts and why (for the ledger rows)."""

    def __init__(self, r: Any, actor_id: uuid.UUID | None, reason: str) -> None:
        self._r, self.actor_id, self.reason = r, actor_id, reason

    def __getattr__(self, name: str) -> Any:
        return getattr(self._r, name)
