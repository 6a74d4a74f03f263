"""Disclosure (信息公开): what a community fund and a depot received and gave out.

Pure reads for the public pages, JSON and CSV. Only real (non-drill) rows count; months
are Asia/Shanghai (:data:`core.clock.LOCAL_TZ`), bucketed here in Python so both engines
agree. No personal data: no needs, persons, households, free-text reasons or
descriptions; a donor is named only when they did not ask to stay anonymous (匿名).
Goods bought are the lots linked to the fund's purchase moves, in the purchase's month.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.errors import NotFound
from core.registry.areas.models import Area
from core.registry.depots.models import Depot
from core.registry.items.models import Item
from core.registry.orgs.models import CommunityFund, Organization
from core.stock.disclosure_schemas import (
    ANONYMOUS,
    DepotDisclosure,
    DepotMonth,
    DepotRef,
    Donation,
    FundDisclosure,
    FundMonth,
    FundRef,
    GoodsLine,
    ItemFlow,
    OnHand,
)
from core.stock.models import FundMove, Lot, Move, MoveKind

# Depot flows: the ledger kinds that change on-hand, and the column each one feeds.
FLOW_OF = {
    MoveKind.receive.value: "received",
    MoveKind.transfer_in.value: "received",
    MoveKind.issue.value: "distributed",
    MoveKind.write_off.value: "written_off",
    MoveKind.transfer_out.value: "transferred_out",
    MoveKind.adjust.value: "adjusted",
}


def month_of(at: datetime) -> str:
    """``YYYY-MM`` of an aware time in Asia/Shanghai."""
    return at.astimezone(clock.LOCAL_TZ).strftime("%Y-%m")


def local_date(at: datetime) -> date:
    return at.astimezone(clock.LOCAL_TZ).date()


_FUND_REF = (
    select(CommunityFund.id, CommunityFund.name, Area.code.label("area_code"),
           Area.name.label("area_name"), Organization.name.label("host_name"))
    .join(Area, Area.id == CommunityFund.area_id)
    .join(Organization, Organization.id == CommunityFund.host_org_id)
)  # fmt: skip
_DEPOT_REF = select(
    Depot.id, Depot.name, Depot.kind, Area.code.label("area_code"), Area.name.label("area_name")
).join(Area, Area.id == Depot.area_id)


def _fund_ref(r: Any) -> FundRef:
    return FundRef(id=r.id, name=r.name, area_code=r.area_code, area_name=r.area_name,
                   host_name=r.host_name)  # fmt: skip


def _depot_ref(r: Any) -> DepotRef:
    return DepotRef(id=r.id, name=r.name, kind=r.kind, area_code=r.area_code,
                    area_name=r.area_name)  # fmt: skip


async def list_funds(
    *, session: AsyncSession, area_path: str | None, after: uuid.UUID | None, limit: int
) -> list[FundRef]:
    """Funds by id (``limit`` of them after ``after``), in ``area_path``'s subtree if given."""
    stmt = _FUND_REF
    if area_path is not None:
        stmt = stmt.where(CommunityFund.area_path.startswith(area_path, autoescape=True))
    if after is not None:
        stmt = stmt.where(CommunityFund.id > after)
    rows = await session.execute(stmt.order_by(CommunityFund.id).limit(limit))
    return [_fund_ref(r) for r in rows]


async def list_depots(
    *, session: AsyncSession, area_path: str | None, after: uuid.UUID | None, limit: int
) -> list[DepotRef]:
    """Depots by id (``limit`` of them after ``after``), in ``area_path``'s subtree if given."""
    stmt = _DEPOT_REF
    if area_path is not None:
        stmt = stmt.where(Depot.area_path.startswith(area_path, autoescape=True))
    if after is not None:
        stmt = stmt.where(Depot.id > after)
    rows = await session.execute(stmt.order_by(Depot.id).limit(limit))
    return [_depot_ref(r) for r in rows]


def _add(target: dict[str, int], key: str, value: int) -> None:
    target[key] = target.get(key, 0) + value


async def fund_disclosure(*, session: AsyncSession, fund_id: uuid.UUID) -> FundDisclosure:
    """Money in and out by month and kind, goods bought, donations, totals; 404 if absent."""
    ref = (await session.execute(_FUND_REF.where(CommunityFund.id == fund_id))).first()
    if ref is None:
        raise NotFound("community fund not found")
    balance = await session.scalar(
        select(CommunityFund.balance_fen).where(CommunityFund.id == fund_id)
    )
    moves = (await session.execute(
        select(FundMove.kind, FundMove.amount_fen, FundMove.at, FundMove.donor,
               FundMove.donor_anonymous, FundMove.lot_id)
        .where(FundMove.fund_id == fund_id, FundMove.is_drill.is_(False))
        .order_by(FundMove.at, FundMove.id)
    )).all()  # fmt: skip
    months: dict[str, FundMonth] = {}
    received: dict[str, int] = {}
    spent: dict[str, int] = {}
    donations: list[Donation] = []
    bought: dict[uuid.UUID, str] = {}  # lot → month of its first purchase
    for m in moves:
        month = months.setdefault(month_of(m.at), FundMonth(month=month_of(m.at)))
        if m.amount_fen > 0:
            _add(month.received_fen, m.kind, m.amount_fen)
            _add(received, m.kind, m.amount_fen)
            named = m.donor and not m.donor_anonymous
            donations.append(Donation(date=local_date(m.at), kind=m.kind,
                                      donor=m.donor if named else ANONYMOUS,
                                      amount_fen=m.amount_fen))  # fmt: skip
        else:
            _add(month.spent_fen, m.kind, -m.amount_fen)
            _add(spent, m.kind, -m.amount_fen)
            if m.lot_id is not None:
                bought.setdefault(m.lot_id, month.month)
    goods_total: dict[str, GoodsLine] = {}
    for lot_id, item, quantity in await _lots_bought(session, list(bought)):
        month = months[bought[lot_id]]
        _goods(month.goods, item, quantity)
        _goods_map(goods_total, item, quantity)
    for month in months.values():
        month.goods.sort(key=lambda g: g.item_code)
    return FundDisclosure(
        fund=_fund_ref(ref), balance_fen=int(balance or 0),
        received_fen=sum(received.values()), spent_fen=sum(spent.values()),
        received_by_kind=received, spent_by_kind=spent,
        goods=sorted(goods_total.values(), key=lambda g: g.item_code),
        months=[months[k] for k in sorted(months)], donations=donations,
        generated_at=clock.now(),
    )  # fmt: skip


async def _lots_bought(session: AsyncSession, lot_ids: list[uuid.UUID]) -> list[tuple]:
    """(lot id, item row, quantity received) of each real lot in ``lot_ids``."""
    if not lot_ids:
        return []
    rows = await session.execute(
        select(Move.lot_id, Move.on_hand_delta, Item.code, Item.name_zh, Item.base_unit)
        .join(Item, Item.id == Move.item_id)
        .where(Move.lot_id.in_(lot_ids), Move.kind == MoveKind.receive.value,
               Move.is_drill.is_(False))
    )  # fmt: skip
    return [(r.lot_id, r, r.on_hand_delta) for r in rows]


def _goods(lines: list[GoodsLine], item: Any, quantity: int) -> None:
    for line in lines:
        if line.item_code == item.code:
            line.quantity += quantity
            return
    lines.append(GoodsLine(item_code=item.code, item_name=item.name_zh, unit=item.base_unit,
                           quantity=quantity))  # fmt: skip


def _goods_map(total: dict[str, GoodsLine], item: Any, quantity: int) -> None:
    line = total.setdefault(item.code, GoodsLine(item_code=item.code, item_name=item.name_zh,
                                                 unit=item.base_unit, quantity=0))  # fmt: skip
    line.quantity += quantity


async def depot_disclosure(*, session: AsyncSession, depot_id: uuid.UUID) -> DepotDisclosure:
    """Goods received, distributed, written off … by month and item, and on hand; 404."""
    ref = (await session.execute(_DEPOT_REF.where(Depot.id == depot_id))).first()
    if ref is None:
        raise NotFound("depot not found")
    items = {r.id: r for r in await session.execute(
        select(Item.id, Item.code, Item.name_zh, Item.base_unit)
        .where(Item.id.in_(select(Lot.item_id).where(Lot.depot_id == depot_id)))
    )}  # fmt: skip
    moves = await session.execute(
        select(Move.kind, Move.item_id, Move.on_hand_delta, Move.at)
        .where(Move.depot_id == depot_id, Move.is_drill.is_(False),
               Move.kind.in_(list(FLOW_OF)))
    )  # fmt: skip
    flows: dict[tuple[str, uuid.UUID], dict[str, int]] = defaultdict(dict)
    totals: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
    for m in moves:
        column = FLOW_OF[m.kind]
        value = m.on_hand_delta if column in ("received", "adjusted") else -m.on_hand_delta
        _add(flows[(month_of(m.at), m.item_id)], column, value)
        _add(totals[m.item_id], column, value)
    on_hand = await session.execute(
        select(Lot.item_id, func.sum(Lot.on_hand).label("on_hand"))
        .where(Lot.depot_id == depot_id, Lot.is_drill.is_(False)).group_by(Lot.item_id)
    )  # fmt: skip
    months: dict[str, DepotMonth] = {}
    for (month, item_id), flow in sorted(flows.items(), key=lambda kv: (kv[0][0],
                                         items[kv[0][1]].code)):  # fmt: skip
        months.setdefault(month, DepotMonth(month=month)).items.append(_flow(items[item_id], flow))
    return DepotDisclosure(
        depot=_depot_ref(ref), months=list(months.values()),
        totals=sorted((_flow(items[i], f) for i, f in totals.items()), key=lambda f: f.item_code),
        on_hand=sorted((OnHand(item_code=items[r.item_id].code, item_name=items[r.item_id].name_zh,
                               unit=items[r.item_id].base_unit, on_hand=int(r.on_hand))
                        for r in on_hand), key=lambda o: o.item_code),
        generated_at=clock.now(),
    )  # fmt: skip


def _flow(item: Any, flow: dict[str, int]) -> ItemFlow:
    return ItemFlow(item_code=item.code, item_name=item.name_zh, unit=item.base_unit, **flow)
