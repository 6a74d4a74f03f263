"""The fund ledger: money in (donations, grants) and out (purchases, services) of a
community fund (社区基金), in fen, one append-only :class:`FundMove` per change.

Every balance change is ONE conditional UPDATE of ``community_fund.balance_fen`` checked
by its row count (DESIGN.md "Known traps: Stock"); money out needs the balance first
(409 with ``available`` otherwise, nothing written). Moves are signed: + in, − out. A
purchase names the lot it bought, a lot of the same fund, so goods bought with fund money
are traceable. Drill moves (``is_drill``) are recorded but never touch ``balance_fen``;
disclosure and audit totals leave them out. Functions flush, never commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.errors import Conflict, Invalid
from core.events.outbox import EventIn, emit_many
from core.registry.orgs.models import CommunityFund
from core.stock import ledger
from core.stock.ledger import streams
from core.stock.models import FundMove, Lot, LotSource

INCOME_KINDS = frozenset({"donation", "grant"})
SPENDING_KINDS = frozenset({"purchase", "service"})
MAX_FEN = 10**13  # 1000 亿元: far above any real move, far below BIGINT's limit
_NO_SYNC = {"synchronize_session": False}


def _amount(value: int, loc: Sequence[str | int] = ("amount_fen",)) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_FEN:
        raise Invalid.field(loc, f"amount must be a whole number of fen, 1 to {MAX_FEN}")


def _kind(kind: str, allowed: frozenset[str]) -> None:
    if kind not in allowed:
        raise Invalid.field(["kind"], f"kind must be one of {sorted(allowed)}")


async def fund_path(session: AsyncSession, fund_id: uuid.UUID) -> str:
    """The fund's area path; 422 naming ``fund_id`` if there is no such fund."""
    path = await session.scalar(select(CommunityFund.area_path).where(CommunityFund.id == fund_id))
    if path is None:
        raise Invalid.field(["fund_id"], f"unknown community fund {fund_id}")
    return path


async def _write(session: AsyncSession, path: str, event: str, **row: Any) -> int:
    """Append the move and emit its event; returns the move's id."""
    move_id = await session.scalar(insert(FundMove).values(**row).returning(FundMove.id))
    assert move_id is not None
    data = {k: row[k] for k in ("fund_id", "kind", "amount_fen", "lot_id", "is_drill")}
    await emit_many(session, [EventIn(event, {"move_id": move_id, **data}, streams(path))])
    return move_id


async def record_income(
    *, session: AsyncSession, actor_id: uuid.UUID | None, fund_id: uuid.UUID, kind: str,
    amount_fen: int, donor: str | None = None, donor_anonymous: bool = False,
    description: str = "", at: datetime | None = None, is_drill: bool = False,
) -> int:  # fmt: skip
    """Money in; ``balance_fen += amount_fen`` unless a drill. Returns the move's id."""
    _kind(kind, INCOME_KINDS)
    _amount(amount_fen)
    now = clock.now()
    if at is not None and (at.tzinfo is None or at > now):
        raise Invalid.field(["at"], "a time with its timezone, not in the future")
    path = await fund_path(session, fund_id)
    if not is_drill:
        result = await session.execute(
            update(CommunityFund).where(CommunityFund.id == fund_id)
            .values(balance_fen=CommunityFund.balance_fen + amount_fen, updated_at=now)
            .execution_options(**_NO_SYNC)
        )  # fmt: skip
        if result.rowcount != 1:
            raise Invalid.field(["fund_id"], f"unknown community fund {fund_id}")
    return await _write(
        session, path, "fund.received", fund_id=fund_id, kind=kind, amount_fen=amount_fen,
        donor=(donor or None), donor_anonymous=donor_anonymous, lot_id=None,
        description=description, actor_id=actor_id, at=at or now, is_drill=is_drill,
    )  # fmt: skip


async def record_move(
    *, session: AsyncSession, actor_id: uuid.UUID | None, fund_id: uuid.UUID, kind: str,
    amount_fen: int, description: str = "", is_drill: bool = False, donor: str | None = None,
    donor_anonymous: bool = False, at: datetime | None = None, lot_id: uuid.UUID | None = None,
) -> int:  # fmt: skip
    """Money in or out by ``kind``: income takes a donor and a time, never a lot; spending
    is recorded now, with no donor. Returns the move's id."""
    common = dict(session=session, actor_id=actor_id, fund_id=fund_id, kind=kind,
                  amount_fen=amount_fen, description=description, is_drill=is_drill)  # fmt: skip
    if kind in INCOME_KINDS:
        if lot_id is not None:
            raise Invalid.field(["lot_id"], "only a purchase is linked to a lot")
        return await record_income(**common, donor=donor, donor_anonymous=donor_anonymous, at=at)
    for name, value in (("donor", donor), ("at", at)):
        if value is not None:
            raise Invalid.field([name], "money out has no donor and is recorded now")
    return await record_spending(**common, lot_id=lot_id)


async def _check_lot(
    session: AsyncSession, kind: str, lot_id: uuid.UUID | None, fund_id: uuid.UUID, drill: bool
) -> None:
    """A purchase names an existing lot of the same fund (and the same drill flag)."""
    if kind == "purchase" and lot_id is None:
        raise Invalid.field(["lot_id"], "a purchase names the lot it bought")
    if lot_id is None:
        return
    if kind != "purchase":
        raise Invalid.field(["lot_id"], "only a purchase is linked to a lot")
    lot = (await session.execute(
        select(Lot.fund_id, Lot.is_drill).where(Lot.id == lot_id))).first()  # fmt: skip
    if lot is None:
        raise Invalid.field(["lot_id"], f"unknown lot {lot_id}")
    if lot.fund_id != fund_id:
        raise Invalid.field(["lot_id"], f"lot {lot_id} was not bought for this fund")
    if bool(lot.is_drill) != drill:
        raise Invalid.field(
            ["lot_id"], f"lot {lot_id} is {'' if lot.is_drill else 'not '}drill stock"
        )


async def record_spending(
    *, session: AsyncSession, actor_id: uuid.UUID | None, fund_id: uuid.UUID, kind: str,
    amount_fen: int, lot_id: uuid.UUID | None = None, description: str,
    is_drill: bool = False,
) -> int:  # fmt: skip
    """Money out: ``balance_fen -= amount_fen`` only if the fund holds that much, else 409
    with ``available``; a drill move leaves the balance alone. Returns the move's id."""
    _kind(kind, SPENDING_KINDS)
    _amount(amount_fen)
    if not description.strip():
        raise Invalid.field(["description"], "say what the money was spent on")
    path = await fund_path(session, fund_id)
    await _check_lot(session, kind, lot_id, fund_id, is_drill)
    now = clock.now()
    if not is_drill:
        result = await session.execute(
            update(CommunityFund)
            .where(CommunityFund.id == fund_id, CommunityFund.balance_fen >= amount_fen)
            .values(balance_fen=CommunityFund.balance_fen - amount_fen, updated_at=now)
            .execution_options(**_NO_SYNC)
        )  # fmt: skip
        if result.rowcount != 1:
            held = await session.scalar(
                select(CommunityFund.balance_fen).where(CommunityFund.id == fund_id)
            )
            raise Conflict(f"the fund holds only {held} fen", available=int(held or 0),
                           fund_id=str(fund_id))  # fmt: skip
    return await _write(
        session, path, "fund.spent", fund_id=fund_id, kind=kind, amount_fen=-amount_fen,
        donor=None, donor_anonymous=False, lot_id=lot_id, description=description,
        actor_id=actor_id, at=now, is_drill=is_drill,
    )  # fmt: skip


async def purchase_lot(
    *, session: AsyncSession, actor_id: uuid.UUID | None, fund_id: uuid.UUID,
    depot_id: uuid.UUID, item_id: uuid.UUID, quantity: int, amount_fen: int,
    description: str, received_on: date | None = None, expires_on: date | None = None,
    is_drill: bool = False,
) -> tuple[uuid.UUID, int]:  # fmt: skip
    """Receive goods bought with fund money and pay for them, in one savepoint: both or
    neither. Returns (lot id, fund move id)."""
    _amount(amount_fen)
    await fund_path(session, fund_id)
    async with session.begin_nested():
        lot_id = await ledger.receive(
            session=session, actor_id=actor_id, depot_id=depot_id, item_id=item_id,
            quantity=quantity, received_on=received_on or ledger.today(),
            expires_on=expires_on, source=LotSource.purchase.value, fund_id=fund_id,
            is_drill=is_drill, reason=description,
        )  # fmt: skip
        move_id = await record_spending(
            session=session, actor_id=actor_id, fund_id=fund_id, kind="purchase",
            amount_fen=amount_fen, lot_id=lot_id, description=description, is_drill=is_drill,
        )  # fmt: skip
    return lot_id, move_id


async def fund_balance_from_ledger(*, session: AsyncSession, fund_id: uuid.UUID) -> int:
    """The fund's real balance as the sum of its non-drill moves (for the audit)."""
    total = await session.scalar(
        select(func.coalesce(func.sum(FundMove.amount_fen), 0))
        .where(FundMove.fund_id == fund_id, FundMove.is_drill.is_(False))
    )  # fmt: skip
    return int(total or 0)
