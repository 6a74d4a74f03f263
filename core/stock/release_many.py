"""Releasing many reservations at once: :func:`core.stock.release.release` as a set.

Used where thousands end together (reservation expiries fired as a set,
:mod:`core.stock.expiry`). The same rules in a few statements: each reservation moves
from ``active`` by one conditional UPDATE (``RETURNING`` which did; one no longer active
is skipped, as :func:`~core.stock.release.release` would answer 409), the lots give back
what those reservations held by one conditional UPDATE per lot (a lot holding less than
that raises :class:`~core.errors.Conflict`: the caller's savepoint rolls back and it may
fall back to one release at a time), one ledger row per (reservation, lot) and one event
per reservation.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.db import chunks
from core.errors import Conflict
from core.events.outbox import emit_many
from core.incidents.need_models import Need
from core.stock.ledger import write_moves
from core.stock.models import Lot, Reservation, ReservationLot
from core.stock.release import ENDED, ledger_row, reservation_event

_NO_SYNC = {"synchronize_session": False}


async def release_many(
    session: AsyncSession, releases: Sequence[tuple[uuid.UUID, str, str]]
) -> dict[uuid.UUID, int]:
    """End each (reservation_id, status, reason) still active, giving back what it holds;
    the quantity released per reservation that moved (by the system: no actor)."""
    if any(status not in ENDED for _, status, _ in releases):
        raise ValueError(f"status must be one of {sorted(ENDED)}")
    why = {rid: (status, reason) for rid, status, reason in releases}
    moved: list[uuid.UUID] = []
    now = clock.now()
    by_status: dict[str, list[uuid.UUID]] = defaultdict(list)
    for rid, (status, _) in why.items():
        by_status[status].append(rid)
    for status, rids in sorted(by_status.items()):
        for part in chunks(sorted(rids)):
            result = await session.execute(
                update(Reservation.__table__)
                .where(Reservation.id.in_(part), Reservation.status == "active")
                .values(status=status, updated_at=now)
                .returning(Reservation.id)
            )  # fmt: skip
            moved += [r[0] for r in result]
    if not moved:
        return {}
    rows, held = await _rows(session, moved)
    per_lot: dict[uuid.UUID, int] = defaultdict(int)
    for _, lot_id, q in held:
        per_lot[lot_id] += q
    for lot_id, q in sorted(per_lot.items()):
        ok = await session.execute(
            update(Lot).where(Lot.id == lot_id, Lot.reserved >= q)
            .values(reserved=Lot.reserved - q, updated_at=now).execution_options(**_NO_SYNC)
        )  # fmt: skip
        if ok.rowcount != 1:
            raise Conflict(f"lot {lot_id} no longer holds {q} for the released reservations")
    for part in chunks(moved):
        await session.execute(
            update(ReservationLot)
            .where(ReservationLot.reservation_id.in_(part), ReservationLot.quantity > 0)
            .values(quantity=0).execution_options(**_NO_SYNC)
        )  # fmt: skip
    total: dict[uuid.UUID, int] = defaultdict(int)
    for rid, _, q in held:
        total[rid] += q
    if held:
        await write_moves(session, [
            ledger_row(rows[rid], lot_id, q, issue=False, actor_id=None, reason=why[rid][1])
            for rid, lot_id, q in held
        ])  # fmt: skip
    await emit_many(session, [reservation_event(ENDED[why[rid][0]], rows[rid], total[rid])
                              for rid in sorted(moved)])  # fmt: skip
    return {rid: total[rid] for rid in moved}


async def _rows(
    session: AsyncSession, moved: list[uuid.UUID]
) -> tuple[dict[uuid.UUID, object], list[tuple[uuid.UUID, uuid.UUID, int]]]:
    """The moved reservations' rows (with their incident) and their lots still holding
    stock, (reservation, lot, quantity) in reservation then earliest-expiry order."""
    rows: dict[uuid.UUID, object] = {}
    held: list[tuple[uuid.UUID, uuid.UUID, int]] = []
    for part in chunks(sorted(moved)):
        for r in await session.execute(
            select(Reservation.id, Reservation.need_id, Reservation.item_id,
                   Reservation.depot_id, Reservation.area_path, Reservation.is_drill,
                   Need.incident_id)
            .join(Need, Need.id == Reservation.need_id).where(Reservation.id.in_(part))
        ):  # fmt: skip
            rows[r.id] = r
        held += [
            (rid, lot_id, int(q))
            for rid, lot_id, q in await session.execute(
                select(ReservationLot.reservation_id, ReservationLot.lot_id,
                       ReservationLot.quantity)
                .join(Lot, Lot.id == ReservationLot.lot_id)
                .where(ReservationLot.reservation_id.in_(part), ReservationLot.quantity > 0)
                .order_by(ReservationLot.reservation_id, Lot.expires_on.is_(None),
                          Lot.expires_on, Lot.id)
            )
        ]  # fmt: skip
    return rows, held
