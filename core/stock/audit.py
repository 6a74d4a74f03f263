"""The stock audit (抽查审计): recompute balances from their ledgers and report every drift.

Checked, for real (non-drill) rows in scope, each by one set-based query (GROUP BY
subqueries, never a query per row, so it runs on 100k lots):

* ``lot.on_hand`` / ``lot.reserved``: a lot's columns against Σ of its moves' deltas;
* ``reservation.held``: Σ of a reservation's lot shares against quantity − issued while
  active, 0 once released, expired or issued;
* ``lot.reserved_shares``: a lot's ``reserved`` against Σ of the active shares on it;
* ``fund.balance_fen``: a community fund's balance against Σ of its non-drill fund moves.

The report holds ids, counts, depots and items only: no personal data, no donor names.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import Principal
from core.auth.scope import scope_clause
from core.registry.items.models import Item
from core.registry.orgs.models import CommunityFund
from core.stock.models import FundMove, Lot, Move, Reservation, ReservationLot


@dataclass(frozen=True, slots=True)
class Drift:
    """A stored number that disagrees with its ledger."""

    what: str  # lot.on_hand | lot.reserved | lot.reserved_shares | reservation.held | fund…
    id: uuid.UUID
    stored: int
    ledger: int
    depot_id: uuid.UUID | None = None
    item_code: str | None = None


@dataclass(frozen=True, slots=True)
class AuditReport:
    checked: dict[str, int]
    drifts: list[Drift] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.drifts


def _in(principal: Principal, column: Any, area_path: str | None) -> Any:
    under = true() if area_path is None else column.startswith(area_path, autoescape=True)
    return and_(scope_clause(principal, column), under)


async def _lots(session: AsyncSession, where: Any) -> list[Drift]:
    sums = (
        select(Move.lot_id, func.sum(Move.on_hand_delta).label("oh"),
               func.sum(Move.reserved_delta).label("rs"))
        .join(Lot, Lot.id == Move.lot_id).where(where).group_by(Move.lot_id).subquery()
    )  # fmt: skip
    oh, rs = func.coalesce(sums.c.oh, 0), func.coalesce(sums.c.rs, 0)
    stmt = (
        select(Lot.id, Lot.depot_id, Item.code, Lot.on_hand, Lot.reserved, oh, rs)
        .join(Item, Item.id == Lot.item_id).outerjoin(sums, sums.c.lot_id == Lot.id)
        .where(where, (Lot.on_hand != oh) | (Lot.reserved != rs)).order_by(Lot.id)
    )  # fmt: skip
    out = []
    for r in await session.execute(stmt):
        if r[3] != r[5]:
            out.append(Drift("lot.on_hand", r[0], int(r[3]), int(r[5]), r[1], r[2]))
        if r[4] != r[6]:
            out.append(Drift("lot.reserved", r[0], int(r[4]), int(r[6]), r[1], r[2]))
    return out


async def _lot_shares(session: AsyncSession, where: Any) -> list[Drift]:
    held = (
        select(ReservationLot.lot_id, func.sum(ReservationLot.quantity).label("held"))
        .join(Reservation, Reservation.id == ReservationLot.reservation_id)
        .join(Lot, Lot.id == ReservationLot.lot_id)
        .where(where, Reservation.status == "active").group_by(ReservationLot.lot_id).subquery()
    )  # fmt: skip
    total = func.coalesce(held.c.held, 0)
    stmt = (
        select(Lot.id, Lot.depot_id, Item.code, Lot.reserved, total)
        .join(Item, Item.id == Lot.item_id).outerjoin(held, held.c.lot_id == Lot.id)
        .where(where, Lot.reserved != total).order_by(Lot.id)
    )  # fmt: skip
    return [Drift("lot.reserved_shares", r[0], int(r[3]), int(r[4]), r[1], r[2])
            for r in await session.execute(stmt)]  # fmt: skip


async def _reservations(session: AsyncSession, where: Any) -> list[Drift]:
    held = (
        select(ReservationLot.reservation_id, func.sum(ReservationLot.quantity).label("held"))
        .join(Reservation, Reservation.id == ReservationLot.reservation_id)
        .where(where).group_by(ReservationLot.reservation_id).subquery()
    )  # fmt: skip
    total = func.coalesce(held.c.held, 0)
    expected = case((Reservation.status == "active", Reservation.quantity - Reservation.issued),
                    else_=0)  # fmt: skip
    stmt = (
        select(Reservation.id, Reservation.depot_id, Item.code, total, expected)
        .join(Item, Item.id == Reservation.item_id)
        .outerjoin(held, held.c.reservation_id == Reservation.id)
        .where(where, total != expected).order_by(Reservation.id)
    )  # fmt: skip
    return [Drift("reservation.held", r[0], int(r[3]), int(r[4]), r[1], r[2])
            for r in await session.execute(stmt)]  # fmt: skip


async def _funds(session: AsyncSession, where: Any) -> list[Drift]:
    sums = (
        select(FundMove.fund_id, func.sum(FundMove.amount_fen).label("fen"))
        .join(CommunityFund, CommunityFund.id == FundMove.fund_id)
        .where(where, FundMove.is_drill.is_(False)).group_by(FundMove.fund_id).subquery()
    )  # fmt: skip
    total = func.coalesce(sums.c.fen, 0)
    stmt = (
        select(CommunityFund.id, CommunityFund.balance_fen, total)
        .outerjoin(sums, sums.c.fund_id == CommunityFund.id)
        .where(where, CommunityFund.balance_fen != total).order_by(CommunityFund.id)
    )  # fmt: skip
    return [Drift("fund.balance_fen", r[0], int(r[1]), int(r[2]))
            for r in await session.execute(stmt)]  # fmt: skip


async def _count(session: AsyncSession, model: Any, where: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(model).where(where)) or 0)


async def audit(
    *, session: AsyncSession, principal: Principal, area_path: str | None = None
) -> AuditReport:
    """Every drift between stored balances and their ledgers in the caller's scope."""
    lots = and_(_in(principal, Lot.area_path, area_path), Lot.is_drill.is_(False))
    res = and_(_in(principal, Reservation.area_path, area_path), Reservation.is_drill.is_(False))
    funds = _in(principal, CommunityFund.area_path, area_path)
    checked = {
        "lots": await _count(session, Lot, lots),
        "reservations": await _count(session, Reservation, res),
        "funds": await _count(session, CommunityFund, funds),
    }
    drifts = [
        *await _lots(session, lots),
        *await _lot_shares(session, lots),
        *await _reservations(session, res),
        *await _funds(session, funds),
    ]
    return AuditReport(checked, drifts)
