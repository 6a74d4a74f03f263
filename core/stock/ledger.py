"""The stock ledger: receive, transfer, adjust and write off lots, one move per change.

Every change to a lot is ONE conditional UPDATE checked by its row count (DESIGN.md
"Known traps: Stock"), plus an append-only :class:`Move` and an outbox event in the same
transaction; balances are never checked in Python first. Functions flush, never commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.errors import Conflict, Invalid, NotFound
from core.events.outbox import EventIn, emit_many
from core.ids import uuid7
from core.registry.depots.models import Depot
from core.registry.items.models import Item
from core.stock.models import Lot, LotSource, Move, MoveKind
from core.stock.schemas import WRITE_OFF_REASONS

_NO_SYNC = {"synchronize_session": False}


def today() -> date:
    """Today's date in China (UTC+8, no DST) from the injectable clock."""
    return clock.local_today()


def streams(area_path: str, incident_id: uuid.UUID | None = None) -> list[str]:
    out = [f"area:{area_path}"]
    if incident_id is not None:
        out.append(f"incident:{incident_id}")
    return out


async def write_moves(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Append ledger rows (one statement); fills ``at`` and the optional columns."""
    now = clock.now()
    base = {"need_id": None, "incident_id": None, "reservation_id": None,
            "transfer_id": None, "reason": "", "at": now}  # fmt: skip
    await session.execute(insert(Move.__table__), [{**base, **row} for row in rows])


async def lot_row(session: AsyncSession, lot_id: uuid.UUID) -> Any:
    """The lot's columns (a fresh read, never the identity map), or 404."""
    row = (await session.execute(select(*Lot.__table__.c).where(Lot.id == lot_id))).first()
    if row is None:
        raise NotFound(f"lot {lot_id} not found", field="lot_id")
    return row


async def depot_path(session: AsyncSession, depot_id: uuid.UUID, loc: Sequence[str | int]) -> str:
    path = await session.scalar(select(Depot.area_path).where(Depot.id == depot_id))
    if path is None:
        raise Invalid.field(loc, f"unknown depot {depot_id}")
    return path


async def check_item(session: AsyncSession, item_id: uuid.UUID, loc: Sequence[str | int]) -> None:
    if await session.scalar(select(Item.id).where(Item.id == item_id)) is None:
        raise Invalid.field(loc, f"unknown item {item_id}")


def positive(value: int, loc: Sequence[str | int]) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise Invalid.field(loc, "quantity must be a whole number above 0")


async def take_available(session: AsyncSession, lot: Any, quantity: int) -> None:
    """on_hand -= quantity only if that much is free (not reserved); else 409."""
    result = await session.execute(
        update(Lot).where(Lot.id == lot.id, Lot.on_hand - Lot.reserved >= quantity)
        .values(on_hand=Lot.on_hand - quantity, updated_at=clock.now())
        .execution_options(**_NO_SYNC)
    )  # fmt: skip
    if result.rowcount != 1:
        free = await session.scalar(select(Lot.on_hand - Lot.reserved).where(Lot.id == lot.id))
        raise Conflict(
            f"only {free} available on lot {lot.id}", available=int(free or 0),
            lot_id=str(lot.id), item_id=str(lot.item_id), depot_id=str(lot.depot_id),
        )  # fmt: skip


def _move(lot: Any, kind: MoveKind, on_hand: int, actor_id: uuid.UUID | None, **kw: Any) -> dict:
    return {"lot_id": lot.id, "depot_id": lot.depot_id, "item_id": lot.item_id,
            "area_path": lot.area_path, "kind": kind.value, "on_hand_delta": on_hand,
            "reserved_delta": 0, "actor_id": actor_id, "is_drill": lot.is_drill, **kw}  # fmt: skip


def _event(kind: str, lot: Any, quantity: int, **data: Any) -> EventIn:
    body = {"lot_id": lot.id, "item_id": lot.item_id, "depot_id": lot.depot_id,
            "quantity": quantity, "is_drill": lot.is_drill, **data}  # fmt: skip
    return EventIn(type=f"stock.{kind}", data=body, streams=streams(lot.area_path))


async def receive(
    *, session: AsyncSession, actor_id: uuid.UUID | None, depot_id: uuid.UUID,
    item_id: uuid.UUID, quantity: int, received_on: date, expires_on: date | None = None,
    source: str, donor: str | None = None, donor_anonymous: bool = False,
    fund_id: uuid.UUID | None = None, is_drill: bool = False, reason: str = "",
    incident_id: uuid.UUID | None = None,
) -> uuid.UUID:  # fmt: skip
    """Receive a new lot into a depot; returns its id."""
    positive(quantity, ["quantity"])
    if source not in LotSource.__members__:
        raise Invalid.field(["source"], f"source must be one of {sorted(LotSource.__members__)}")
    if expires_on is not None and expires_on < received_on:
        raise Invalid.field(["expires_on"], "expiry is before receipt")
    path = await depot_path(session, depot_id, ["depot_id"])
    await check_item(session, item_id, ["item_id"])
    lot_id, now = uuid7(), clock.now()
    await session.execute(insert(Lot).values(
        id=lot_id, depot_id=depot_id, item_id=item_id, area_path=path, on_hand=quantity,
        reserved=0, expires_on=expires_on, received_on=received_on, source=source, donor=donor,
        donor_anonymous=donor_anonymous, fund_id=fund_id, condition="good", is_drill=is_drill,
        created_at=now, updated_at=now))  # fmt: skip
    lot = await lot_row(session, lot_id)
    await write_moves(session, [_move(lot, MoveKind.receive, quantity, actor_id, reason=reason,
                                      incident_id=incident_id)])  # fmt: skip
    ev = _event("received", lot, quantity, expires_on=expires_on, source=source)
    ev = EventIn(ev.type, ev.data, streams(path, incident_id))
    await emit_many(session, [ev])
    return lot_id


async def transfer(
    *, session: AsyncSession, actor_id: uuid.UUID | None, lot_id: uuid.UUID,
    to_depot_id: uuid.UUID, quantity: int,
) -> uuid.UUID:  # fmt: skip
    """Move free stock of a lot to another depot as a new lot; returns the new lot's id."""
    positive(quantity, ["quantity"])
    lot = await lot_row(session, lot_id)
    if to_depot_id == lot.depot_id:
        raise Invalid.field(["to_depot_id"], "the lot is already in that depot")
    to_path = await depot_path(session, to_depot_id, ["to_depot_id"])
    await take_available(session, lot, quantity)
    new_id, now, transfer_id = uuid7(), clock.now(), uuid7()
    await session.execute(insert(Lot).values(
        id=new_id, depot_id=to_depot_id, item_id=lot.item_id, area_path=to_path,
        on_hand=quantity, reserved=0, expires_on=lot.expires_on, received_on=lot.received_on,
        source=lot.source, donor=lot.donor, donor_anonymous=lot.donor_anonymous,
        fund_id=lot.fund_id, condition=lot.condition, is_drill=lot.is_drill,
        created_at=now, updated_at=now))  # fmt: skip
    new = await lot_row(session, new_id)
    await write_moves(session, [
        _move(lot, MoveKind.transfer_out, -quantity, actor_id, transfer_id=transfer_id),
        _move(new, MoveKind.transfer_in, quantity, actor_id, transfer_id=transfer_id),
    ])  # fmt: skip
    ev = _event("transferred", lot, quantity, to_lot_id=new_id, to_depot_id=to_depot_id,
                transfer_id=transfer_id)  # fmt: skip
    await emit_many(session, [EventIn(ev.type, ev.data, streams(lot.area_path) + streams(to_path))])
    return new_id


async def adjust(
    *, session: AsyncSession, actor_id: uuid.UUID | None, lot_id: uuid.UUID, delta: int,
    reason: str,
) -> None:  # fmt: skip
    """Correct a lot's on-hand count (a stock count); a decrease needs that much free."""
    if isinstance(delta, bool) or not isinstance(delta, int) or delta == 0:
        raise Invalid.field(["delta"], "delta must be a whole number other than 0")
    if not reason.strip():
        raise Invalid.field(["reason"], "say why the count is adjusted")
    lot = await lot_row(session, lot_id)
    if delta < 0:
        await take_available(session, lot, -delta)
    else:
        await session.execute(
            update(Lot).where(Lot.id == lot.id)
            .values(on_hand=Lot.on_hand + delta, updated_at=clock.now())
            .execution_options(**_NO_SYNC)
        )  # fmt: skip
    await write_moves(session, [_move(lot, MoveKind.adjust, delta, actor_id, reason=reason)])
    await emit_many(session, [_event("adjusted", lot, delta, reason=reason)])


async def write_off(
    *, session: AsyncSession, actor_id: uuid.UUID | None, lot_id: uuid.UUID, quantity: int,
    reason: str,
) -> None:  # fmt: skip
    """Take free stock out of a lot for good (expired, damaged …)."""
    positive(quantity, ["quantity"])
    if reason not in WRITE_OFF_REASONS:
        raise Invalid.field(["reason"], f"reason must be one of {sorted(WRITE_OFF_REASONS)}")
    lot = await lot_row(session, lot_id)
    await take_available(session, lot, quantity)
    await write_moves(session, [_move(lot, MoveKind.write_off, -quantity, actor_id,
                                      reason=reason)])  # fmt: skip
    await emit_many(session, [_event("written_off", lot, quantity, reason=reason)])


async def ledger_balance(*, session: AsyncSession, lot_id: uuid.UUID) -> tuple[int, int]:
    """(on_hand, reserved) of a lot as the sum of its ledger moves."""
    row = (await session.execute(
        select(func.coalesce(func.sum(Move.on_hand_delta), 0),
               func.coalesce(func.sum(Move.reserved_delta), 0)).where(Move.lot_id == lot_id)
    )).one()  # fmt: skip
    return int(row[0]), int(row[1])
