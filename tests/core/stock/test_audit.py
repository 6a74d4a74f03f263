"""The stock audit finds every drift between stored balances and their ledgers.

The ledgers are append-only, so drift is made the only way it can happen: a raw UPDATE
of a balance column (lots, reservations and funds are not append-only) behind the
ledger's back.
"""

from __future__ import annotations

import json

from sqlalchemy import select, update
from typer.testing import CliRunner

from core import clock
from core.auth.roles import SYSTEM, Role
from core.cli import app as cli
from core.registry.areas.models import Area
from core.registry.orgs.models import CommunityFund, Organization
from core.stock import funds, ledger, reserve
from core.stock.audit import audit
from core.stock.models import Lot, Reservation
from tests.conftest import bearer_for
from tests.core.stock.test_alerts import cli_db, seed  # noqa: F401  (fixture)
from tests.core.stock.test_ledger import StockWorld, receive, stock_world

AUDIT = "/api/v1/stock/audit"


async def _fund(session, county) -> object:  # type: ignore[no-untyped-def]
    now = clock.now()
    org = Organization(name=f"慈善会{county.code}", kind="charity_organization",
                       registration="registered", area_id=county.id, area_path=county.area_path,
                       public_fundraising=True, created_at=now, updated_at=now)  # fmt: skip
    session.add(org)
    await session.flush()
    fund = CommunityFund(name=f"慈善会{county.code}同心社区基金", zihao="同心", host_org_id=org.id,
                         area_id=county.id, area_path=county.area_path, created_at=now,
                         updated_at=now)  # fmt: skip
    session.add(fund)
    await session.flush()
    return fund.id


async def _busy_world(session) -> tuple[StockWorld, dict]:  # type: ignore[no-untyped-def]
    """Every kind of move on real and drill stock, and fund money in and out: all clean."""
    w = await stock_world(session)
    a = await receive(session, w, 100)
    b = await receive(session, w, 50, depot_id=w.depot_b)
    drill = await receive(session, w, 40, is_drill=True)
    (kept, gone, issued) = [
        (await reserve.reserve_lines(session=session, actor_id=None, need_id=w.need,
                                     lines=[(w.water, w.depot, q)]))[0].reservation_id
        for q in (10, 5, 8)
    ]  # fmt: skip
    await reserve.release(session=session, actor_id=None, reservation_id=gone, reason="x")
    await reserve.issue(session=session, actor_id=None, reservation_id=issued, quantity=3)
    await reserve.reserve_lines(session=session, actor_id=None, need_id=w.drill_need,
                                lines=[(w.water, w.depot, 4)], is_drill=True)  # fmt: skip
    await ledger.transfer(session=session, actor_id=None, lot_id=a, to_depot_id=w.depot2,
                          quantity=7)  # fmt: skip
    await ledger.adjust(session=session, actor_id=None, lot_id=a, delta=-2, reason="盘点")
    await ledger.write_off(session=session, actor_id=None, lot_id=b, quantity=1,
                           reason="damaged")  # fmt: skip
    county_a = await session.scalar(select(Area).where(Area.code == "532922000000"))
    county_b = await session.scalar(select(Area).where(Area.code == "532923000000"))
    fund_a, fund_b = await _fund(session, county_a), await _fund(session, county_b)
    for fund in (fund_a, fund_b):
        await funds.record_income(session=session, actor_id=None, fund_id=fund, kind="donation",
                                  amount_fen=500_00, donor="李四")  # fmt: skip
        await funds.record_spending(session=session, actor_id=None, fund_id=fund, kind="service",
                                    amount_fen=120_00, description="运费")  # fmt: skip
    await funds.record_income(session=session, actor_id=None, fund_id=fund_a, kind="grant",
                              amount_fen=9_00, is_drill=True)  # fmt: skip
    return w, {"a": a, "b": b, "drill": drill, "kept": kept, "issued": issued,
               "fund_a": fund_a, "fund_b": fund_b}  # fmt: skip


def _drifts(report) -> set[tuple]:  # type: ignore[no-untyped-def]
    return {(d.what, d.id, d.stored, d.ledger) for d in report.drifts}


async def test_clean_books_audit_clean(session) -> None:
    await _busy_world(session)
    report = await audit(session=session, principal=SYSTEM)
    assert report.clean, report.drifts
    assert report.checked == {"lots": 3, "reservations": 3, "funds": 2}  # drill left out


async def test_every_kind_of_drift_is_found(session) -> None:
    w, ids = await _busy_world(session)
    a, b = ids["a"], ids["b"]
    row = (await session.execute(select(Lot.on_hand, Lot.reserved).where(Lot.id == a))).one()
    assert tuple(row) == (88, 15)  # 100 − 3 issued − 7 transferred − 2 adjusted; 10 + 5 held
    await session.execute(update(Lot).where(Lot.id == a).values(on_hand=Lot.on_hand + 5))
    await session.execute(update(Lot).where(Lot.id == b).values(reserved=2))
    await session.execute(update(Reservation).where(Reservation.id == ids["kept"])
                          .values(issued=1))  # fmt: skip
    await session.execute(update(CommunityFund).where(CommunityFund.id == ids["fund_a"])
                          .values(balance_fen=CommunityFund.balance_fen + 1))  # fmt: skip
    drill = update(Lot).where(Lot.id == ids["drill"]).values(on_hand=Lot.on_hand + 1)
    await session.execute(drill)  # drill stock: left out of the audit
    report = await audit(session=session, principal=SYSTEM)
    assert _drifts(report) == {
        ("lot.on_hand", a, 93, 88),
        ("lot.reserved", b, 2, 0),
        ("lot.reserved_shares", b, 2, 0),
        ("reservation.held", ids["kept"], 10, 9),
        ("fund.balance_fen", ids["fund_a"], 380_01, 380_00),
    }
    lot_drift = next(d for d in report.drifts if d.what == "lot.on_hand")
    assert (lot_drift.depot_id, lot_drift.item_code) == (w.depot, "WATER-L")
    path_b = "530000000000/532900000000/532923000000/"
    scoped = await audit(session=session, principal=SYSTEM, area_path=path_b)
    assert {d.what for d in scoped.drifts} == {"lot.reserved", "lot.reserved_shares"}


async def test_audit_route_roles_and_scope(api, session) -> None:
    _, ids = await _busy_world(session)
    await session.execute(update(Lot).where(Lot.id == ids["b"]).values(on_hand=Lot.on_hand - 1))
    await session.execute(update(CommunityFund).where(CommunityFund.id == ids["fund_b"])
                          .values(balance_fen=0))  # fmt: skip
    auditor = await bearer_for(session, role=Role.auditor, area_code="532922000000",
                               username="aud-a")  # fmt: skip
    coord_b = await bearer_for(session, role=Role.coordinator, area_code="532923000000",
                               username="coord-b")  # fmt: skip
    admin = await bearer_for(session, role=Role.admin, area_code=None, username="root")
    volunteer = await bearer_for(session, role=Role.volunteer, area_code="532922000000",
                                 username="vol-a")  # fmt: skip
    r = await api.get(AUDIT, headers=auditor)
    assert r.status_code == 200, r.text
    assert r.json() == {"clean": True, "checked": {"lots": 2, "reservations": 3, "funds": 1},
                        "drifts": []}  # county B's drift is not the auditor's  # fmt: skip
    r = await api.get(AUDIT, headers=coord_b)
    body = r.json()
    assert body["clean"] is False and {(d["what"], d["id"]) for d in body["drifts"]} == {
        ("lot.on_hand", str(ids["b"])), ("fund.balance_fen", str(ids["fund_b"]))}  # fmt: skip
    assert "李四" not in r.text  # ids and counts only
    r = await api.get(AUDIT, params={"area": "532922000000"}, headers=admin)
    assert r.json()["clean"] is True
    assert (await api.get(AUDIT, headers=volunteer)).status_code == 403
    r = await api.get(AUDIT, params={"area": "532923000000"}, headers=auditor)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["query", "area"]


def test_cli_audit_exit_codes(cli_db) -> None:  # noqa: F811
    async def work(session):  # type: ignore[no-untyped-def]
        return (await _busy_world(session))[1]

    ids = seed(cli_db, work)
    runner = CliRunner()
    out = runner.invoke(cli, ["stock", "audit"])
    assert out.exit_code == 0, out.output
    assert "audit clean: checked 3 lots, 3 reservations, 2 funds" in out.output

    async def drift(session):  # type: ignore[no-untyped-def]
        await session.execute(update(Lot).where(Lot.id == ids["a"]).values(on_hand=0, reserved=0))

    seed(cli_db, drift)
    out = runner.invoke(cli, ["stock", "audit"])
    assert out.exit_code == 1 and "drift(s)" in out.output and "lot.on_hand" in out.output
    out = runner.invoke(cli, ["stock", "audit", "--json"])
    assert out.exit_code == 1
    body = json.loads(out.output)
    assert {(d["what"], d["id"], d["stored"]) for d in body["drifts"]} == {
        ("lot.on_hand", str(ids["a"]), 0), ("lot.reserved", str(ids["a"]), 0),
        ("lot.reserved_shares", str(ids["a"]), 0)}  # fmt: skip
    out = runner.invoke(cli, ["stock", "audit", "--area", "532923000000"])
    assert out.exit_code == 0, out.output
