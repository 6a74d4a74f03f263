"""The fund ledger: money in and out of a community fund; balance = Σ ledger, never < 0."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import Role
from core.errors import Conflict, Invalid
from core.events.models import OutboxEvent
from core.registry.areas.models import Area
from core.registry.orgs.models import CommunityFund
from core.stock import funds, ledger
from core.stock.models import FundMove, Lot, Move
from tests.access.matrix import FACTORIES
from tests.conftest import bearer_for
from tests.core.stock.test_ledger import StockWorld, stock_world


@dataclass
class FundWorld:
    stock: StockWorld
    fund: uuid.UUID  # county A
    fund_b: uuid.UUID  # county B


async def fund_world(session: AsyncSession) -> FundWorld:
    w = await stock_world(session)
    county = {a.code: a for a in await session.scalars(select(Area).where(Area.level == 3))}
    fund = await FACTORIES["community_fund"](session, county["532922000000"])
    fund_b = await FACTORIES["community_fund"](session, county["532923000000"])
    return FundWorld(w, fund, fund_b)


async def balance(session: AsyncSession, fund_id: uuid.UUID) -> int:
    return await session.scalar(
        select(CommunityFund.balance_fen).where(CommunityFund.id == fund_id)
    )


async def counts(session: AsyncSession) -> tuple[int, int, int, int]:
    """(fund moves, lots, stock moves, outbox events)."""
    return tuple([await session.scalar(select(func.count()).select_from(m))
                  for m in (FundMove, Lot, Move, OutboxEvent)])  # type: ignore[return-value]  # fmt: skip


async def income(session: AsyncSession, fund_id: uuid.UUID, fen: int, **kw) -> int:
    kw = {"kind": "donation", **kw}
    return await funds.record_income(session=session, actor_id=None, fund_id=fund_id,
                                     amount_fen=fen, **kw)  # fmt: skip


async def test_income_and_spending_keep_balance_equal_to_ledger(session) -> None:
    w = await fund_world(session)
    await income(session, w.fund, 100_00, donor="王大善人")
    await income(session, w.fund, 50_00, kind="grant", donor="县慈善总会")
    lot_id, _ = await funds.purchase_lot(
        session=session, actor_id=None, fund_id=w.fund, depot_id=w.stock.depot,
        item_id=w.stock.water, quantity=40, amount_fen=30_00, description="矿泉水",
    )  # fmt: skip
    await funds.record_spending(session=session, actor_id=None, fund_id=w.fund, kind="service",
                                amount_fen=20_00, description="搬运")  # fmt: skip
    assert (
        await balance(session, w.fund)
        == 100_00
        == await funds.fund_balance_from_ledger(session=session, fund_id=w.fund)
    )
    lot = (await session.execute(select(Lot).where(Lot.id == lot_id))).scalar_one()
    assert (lot.source, lot.fund_id, lot.on_hand) == ("purchase", w.fund, 40)
    purchase = await session.scalar(select(FundMove).where(FundMove.lot_id == lot_id))
    assert (purchase.kind, purchase.amount_fen) == ("purchase", -30_00)
    types = list(await session.scalars(select(OutboxEvent.type).where(
        OutboxEvent.type.startswith("fund."))))  # fmt: skip
    assert sorted(types) == ["fund.received", "fund.received", "fund.spent", "fund.spent"]
    # Drill money is recorded but never changes the real balance or the ledger's real sum.
    await income(session, w.fund, 7_77, is_drill=True)
    drill_lot, _ = await funds.purchase_lot(
        session=session, actor_id=None, fund_id=w.fund, depot_id=w.stock.depot,
        item_id=w.stock.water, quantity=5, amount_fen=999_00, description="演练",
        is_drill=True,
    )  # fmt: skip
    assert await balance(session, w.fund) == 100_00
    assert await funds.fund_balance_from_ledger(session=session, fund_id=w.fund) == 100_00
    assert (await session.get(Lot, drill_lot)).is_drill


async def test_overspending_is_409_with_available_and_writes_nothing(session) -> None:
    w = await fund_world(session)
    await income(session, w.fund, 10_00)
    before = await counts(session)
    with pytest.raises(Conflict) as err:
        await funds.record_spending(session=session, actor_id=None, fund_id=w.fund,
                                    kind="service", amount_fen=10_01,
                                    description="超支")  # fmt: skip
    assert err.value.extra["available"] == 10_00
    with pytest.raises(Conflict) as err:  # the lot bought is undone with the payment
        await funds.purchase_lot(
            session=session, actor_id=None, fund_id=w.fund, depot_id=w.stock.depot,
            item_id=w.stock.water, quantity=40, amount_fen=11_00, description="矿泉水",
        )  # fmt: skip
    assert err.value.extra["available"] == 10_00
    assert await counts(session) == before
    assert await balance(session, w.fund) == 10_00
    await funds.record_spending(session=session, actor_id=None, fund_id=w.fund, kind="service",
                                amount_fen=10_00, description="全部")  # fmt: skip
    assert await balance(session, w.fund) == 0


async def test_bad_input_names_the_field_and_writes_nothing(session) -> None:
    w = await fund_world(session)
    await income(session, w.fund, 100_00)
    await income(session, w.fund_b, 100_00)
    lot_b, _ = await funds.purchase_lot(
        session=session, actor_id=None, fund_id=w.fund_b, depot_id=w.stock.depot_b,
        item_id=w.stock.water, quantity=3, amount_fen=1_00, description="乙",
    )  # fmt: skip
    donated = await ledger.receive(session=session, actor_id=None, depot_id=w.stock.depot,
                                   item_id=w.stock.rice, quantity=3,
                                   received_on=ledger.today(), source="donation")  # fmt: skip
    before = await counts(session), await balance(session, w.fund)
    spend = {"session": session, "actor_id": None, "fund_id": w.fund, "description": "x"}
    cases = [
        (funds.record_income, {"kind": "donation", "amount_fen": 0}, "amount_fen"),
        (funds.record_income, {"kind": "donation", "amount_fen": -5}, "amount_fen"),
        (funds.record_income, {"kind": "donation", "amount_fen": True}, "amount_fen"),
        (funds.record_income, {"kind": "loan", "amount_fen": 5}, "kind"),
        (funds.record_income, {"kind": "purchase", "amount_fen": 5}, "kind"),
        (funds.record_income, {"kind": "grant", "amount_fen": 5, "fund_id": uuid.uuid4()},
         "fund_id"),
        (funds.record_spending, {"kind": "service", "amount_fen": -1}, "amount_fen"),
        (funds.record_spending, {"kind": "donation", "amount_fen": 1}, "kind"),
        (funds.record_spending, {"kind": "service", "amount_fen": 1, "fund_id": uuid.uuid4()},
         "fund_id"),
        (funds.record_spending, {"kind": "purchase", "amount_fen": 1}, "lot_id"),
        (funds.record_spending, {"kind": "purchase", "amount_fen": 1, "lot_id": lot_b}, "lot_id"),
        (funds.record_spending, {"kind": "purchase", "amount_fen": 1, "lot_id": donated},
         "lot_id"),
        (funds.record_spending, {"kind": "purchase", "amount_fen": 1, "lot_id": uuid.uuid4()},
         "lot_id"),
        (funds.record_spending, {"kind": "service", "amount_fen": 1, "lot_id": lot_b}, "lot_id"),
        (funds.record_spending, {"kind": "service", "amount_fen": 1, "description": " "},
         "description"),
    ]  # fmt: skip
    for fn, kw, field in cases:
        args = {**spend, **kw} if fn is funds.record_spending else {
            **{k: v for k, v in spend.items() if k != "description"}, **kw}  # fmt: skip
        with pytest.raises(Invalid) as err:
            await fn(**args)
        assert [e.loc for e in err.value.errors] == [(field,)], (kw, err.value.errors)
    assert (await counts(session), await balance(session, w.fund)) == before


async def test_fund_moves_cannot_be_changed_or_deleted(session) -> None:
    w = await fund_world(session)
    move_id = await income(session, w.fund, 100_00)
    for statement in (update(FundMove).values(amount_fen=1), delete(FundMove)):
        with pytest.raises((IntegrityError, DBAPIError), match="append-only"):
            async with session.begin_nested():
                await session.execute(statement)
    assert await session.scalar(select(FundMove.amount_fen).where(FundMove.id == move_id)) == 100_00


MOVES = "/api/v1/community-funds/{}/moves"


async def _tokens(session: AsyncSession) -> tuple[dict, dict, dict]:
    coord = await bearer_for(session, role=Role.coordinator, area_code="532922000000",
                             username="coord-a")  # fmt: skip
    coord_b = await bearer_for(session, role=Role.coordinator, area_code="532923000000",
                               username="coord-b")  # fmt: skip
    auditor = await bearer_for(session, role=Role.auditor, area_code="532922000000",
                               username="aud-a")  # fmt: skip
    return coord, coord_b, auditor


async def test_api_records_lists_and_hides_anonymous_donors(api, session) -> None:
    w = await fund_world(session)
    coord, _, auditor = await _tokens(session)
    r = await api.post(MOVES.format(w.fund), headers=coord,
                       json={"kind": "donation", "amount_fen": 500_00, "donor": "隐名氏",
                             "donor_anonymous": True})  # fmt: skip
    assert r.status_code == 201, r.text
    assert (r.json()["amount_fen"], r.json()["balance_fen"], r.json()["donor"]) == (
        50000,
        50000,
        None,
    )
    lot = await api.post("/api/v1/stock/lots", headers=coord, json={
        "depot_id": str(w.stock.depot), "item_code": "RICE-KG", "quantity": 20,
        "source": "purchase", "fund_id": str(w.fund)})  # fmt: skip
    assert lot.status_code == 201, lot.text
    r = await api.post(MOVES.format(w.fund), headers=coord, json={
        "kind": "purchase", "amount_fen": 120_00, "lot_id": lot.json()["id"],
        "description": "大米"})  # fmt: skip
    assert r.status_code == 201, r.text
    assert (r.json()["amount_fen"], r.json()["balance_fen"]) == (-120_00, 380_00)
    r = await api.get(MOVES.format(w.fund), headers=auditor, params={"limit": 1})
    assert r.status_code == 200 and r.json()["next"], r.text
    first = r.json()["items"]
    r = await api.get(MOVES.format(w.fund), headers=auditor,
                      params={"limit": 1, "next": r.json()["next"]})  # fmt: skip
    items = first + r.json()["items"]
    assert [(m["kind"], m["amount_fen"], m["donor"]) for m in items] == [
        ("donation", 500_00, None), ("purchase", -120_00, None)]  # fmt: skip
    assert "隐名氏" not in r.text
    r = await api.post(MOVES.format(w.fund), headers=auditor,
                       json={"kind": "donation", "amount_fen": 1})  # fmt: skip
    assert r.status_code == 403, r.text


async def test_api_errors_write_nothing(api, session) -> None:
    w = await fund_world(session)
    coord, coord_b, _ = await _tokens(session)
    await income(session, w.fund, 10_00)
    await income(session, w.fund_b, 10_00)
    lot_b, _ = await funds.purchase_lot(
        session=session, actor_id=None, fund_id=w.fund_b, depot_id=w.stock.depot_b,
        item_id=w.stock.water, quantity=3, amount_fen=1_00, description="乙",
    )  # fmt: skip
    before = await counts(session), await balance(session, w.fund)
    url = MOVES.format(w.fund)
    for body, field in [
        ({"kind": "donation", "amount_fen": 0}, "amount_fen"),
        ({"kind": "donation", "amount_fen": -100}, "amount_fen"),
        ({"kind": "loan", "amount_fen": 100}, "kind"),
        ({"kind": "purchase", "amount_fen": 100, "lot_id": str(lot_b), "description": "x"},
         "lot_id"),
        ({"kind": "donation", "amount_fen": 100, "lot_id": str(lot_b)}, "lot_id"),
        ({"kind": "service", "amount_fen": 100}, "description"),
    ]:  # fmt: skip
        r = await api.post(url, headers=coord, json=body)
        assert r.status_code == 422, r.text
        assert ["body", field] in [e["loc"] for e in r.json()["errors"]], r.text
    over = {"kind": "service", "amount_fen": 10_01, "description": "超支"}
    r = await api.post(url, headers=coord, json=over)
    assert r.status_code == 409 and r.json()["available"] == 10_00, r.text
    for path in (MOVES.format(uuid.uuid4()), url):  # unknown fund; a fund of another county
        r = await api.post(path, headers=coord_b, json={"kind": "donation", "amount_fen": 100})
        assert r.status_code == 404, r.text
        assert (await api.get(path, headers=coord_b)).status_code == 404
    assert (await counts(session), await balance(session, w.fund)) == before
