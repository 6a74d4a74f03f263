"""Stock alerts: lots expiring soon or expired with stock left, depots under a minimum."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from core.auth.roles import SYSTEM, Role
from core.cli import app as cli
from core.config import get_settings
from core.db import Database
from core.events.models import OutboxEvent
from core.migrate import upgrade
from core.stock import alerts, ledger, reserve
from core.stock.models import StockMinimum
from tests.conftest import bearer_for
from tests.core.stock.test_ledger import StockWorld, count, days, receive, stock_world

ALERTS, MINIMUMS = "/api/v1/stock/alerts", "/api/v1/stock/minimums"


async def _lots(session, w: StockWorld) -> dict[str, object]:
    """soon (10 d), later (40 d), expired with stock, expired and empty, drill, county B."""
    soon = await receive(session, w, 30, expires_on=days(10))
    later = await receive(session, w, 20, expires_on=days(40), item_id=w.rice)
    gone = await receive(session, w, 100, received_on=days(-20), expires_on=days(-1))
    empty = await receive(session, w, 5, received_on=days(-20), expires_on=days(-2))
    await ledger.write_off(session=session, actor_id=None, lot_id=empty, quantity=5,
                           reason="expired")  # fmt: skip
    drill = await receive(session, w, 9, expires_on=days(3), is_drill=True)
    other = await receive(session, w, 7, expires_on=days(5), depot_id=w.depot_b)
    (r,) = await reserve.reserve_lines(session=session, actor_id=None, need_id=w.need,
                                       lines=[(w.water, w.depot, 5)])  # fmt: skip
    assert r.lots[0].lot_id == soon  # FEFO: the soonest unexpired lot
    return {"soon": soon, "later": later, "gone": gone, "empty": empty, "drill": drill,
            "other": other}  # fmt: skip


async def test_expiring_and_expired_lots(session) -> None:
    w = await stock_world(session)
    lots = await _lots(session, w)
    found = await alerts.alerts(session=session, principal=SYSTEM, days=30)
    assert [a.lot_id for a in found.expiring] == [lots["other"], lots["soon"]]
    soon = found.expiring[1]
    assert (soon.on_hand, soon.reserved, soon.days_left, soon.item_code) == (30, 5, 10, "WATER-L")
    assert [(a.lot_id, a.days_left, a.on_hand) for a in found.expired] == [(lots["gone"], -1, 100)]
    wider = await alerts.alerts(session=session, principal=SYSTEM, days=40)
    assert lots["later"] in {a.lot_id for a in wider.expiring}
    only_a = await alerts.alerts(session=session, principal=SYSTEM, days=30, area_path=w.path)
    assert [a.lot_id for a in only_a.expiring] == [lots["soon"]]


async def test_under_minimum_counts_unexpired_real_free_stock(session) -> None:
    w = await stock_world(session)
    await _lots(session, w)  # depot: water 30 (5 reserved) fresh + 100 expired + drill 9
    for depot, item, minimum in [(w.depot, w.water, 26), (w.depot, w.rice, 20),
                                 (w.depot2, w.water, 1), (w.depot2, w.rice, 0),
                                 (w.depot_b, w.water, 8)]:  # fmt: skip
        await alerts.set_minimum(session=session, depot_id=depot, item_id=item, minimum=minimum,
                                 area_path=w.path)  # fmt: skip
    under = await alerts.minimum_alerts(session=session, principal=SYSTEM)
    got = {(m.depot_id, m.item_code): (m.minimum, m.available, m.short) for m in under}
    assert got == {(w.depot, "WATER-L"): (26, 25, 1), (w.depot2, "WATER-L"): (1, 0, 1),
                   (w.depot_b, "WATER-L"): (8, 7, 1)}  # fmt: skip
    await alerts.set_minimum(session=session, depot_id=w.depot, item_id=w.water, minimum=25,
                             area_path=w.path)  # upsert: the same row, a new value  # fmt: skip
    assert await count(session, StockMinimum) == 5
    under = await alerts.minimum_alerts(session=session, principal=SYSTEM, area_path=w.path)
    assert {(m.depot_id, m.item_code) for m in under} == {(w.depot2, "WATER-L")}


async def _users(session) -> tuple[dict, dict, dict]:
    coord = await bearer_for(session, role=Role.coordinator, area_code="532922000000",
                             username="coord-a")  # fmt: skip
    auditor = await bearer_for(session, role=Role.auditor, area_code="532922000000",
                               username="aud-a")  # fmt: skip
    admin = await bearer_for(session, role=Role.admin, area_code=None, username="root")
    return coord, auditor, admin


async def test_alerts_route_is_area_scoped(api, session) -> None:
    w = await stock_world(session)
    lots = await _lots(session, w)
    coord, auditor, admin = await _users(session)
    r = await api.get(ALERTS, headers=auditor)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["days"] == 30 and body["today"] == str(ledger.today())
    assert [a["lot_id"] for a in body["expiring"]] == [str(lots["soon"])]  # not county B's
    assert [a["lot_id"] for a in body["expired"]] == [str(lots["gone"])]
    assert body["expired"][0]["days_left"] == -1 and body["under_minimum"] == []
    r = await api.get(ALERTS, params={"days": 45}, headers=admin)
    assert {a["lot_id"] for a in r.json()["expiring"]} == {str(lots[k]) for k in
                                                          ("soon", "later", "other")}  # fmt: skip
    for params, loc in [({"days": -1}, ["query", "days"]), ({"area": "532923000000"},
                                                            ["query", "area"])]:  # fmt: skip
        r = await api.get(ALERTS, params=params, headers=coord)
        assert r.status_code == 422 and r.json()["errors"][0]["loc"] == loc, r.text


async def test_put_and_list_minimums(api, session) -> None:
    w = await stock_world(session)
    coord, auditor, admin = await _users(session)
    body = {"depot_id": str(w.depot), "item_code": "WATER-L", "minimum": 40}
    r = await api.put(MINIMUMS, json=body, headers=coord)
    assert r.status_code == 200 and r.json()["minimum"] == 40, r.text
    r = await api.put(MINIMUMS, json={**body, "minimum": 12}, headers=coord)
    assert r.status_code == 200
    ev = await session.scalar(select(OutboxEvent).order_by(OutboxEvent.seq.desc()).limit(1))
    assert ev.type == "stock.minimum_set" and ev.payload["minimum"] == 12
    rb = await api.put(MINIMUMS, json={**body, "depot_id": str(w.depot_b)}, headers=admin)
    assert rb.status_code == 200
    await api.put(MINIMUMS, json={**body, "item_code": "RICE-KG"}, headers=coord)
    listed = (await api.get(MINIMUMS, headers=auditor)).json()
    assert {(m["depot_id"], m["item_code"], m["minimum"]) for m in listed["items"]} == {
        (str(w.depot), "WATER-L", 12), (str(w.depot), "RICE-KG", 40)}  # fmt: skip
    page = (await api.get(MINIMUMS, params={"limit": 1}, headers=auditor)).json()
    rest = (await api.get(MINIMUMS, params={"limit": 1, "next": page["next"]},
                          headers=auditor)).json()  # fmt: skip
    assert [page["items"][0]["item_code"], rest["items"][0]["item_code"]] == ["RICE-KG", "WATER-L"]
    assert rest["next"] is None
    r = await api.get(ALERTS, headers=coord)
    assert {(m["item_code"], m["short"]) for m in r.json()["under_minimum"]} == {
        ("WATER-L", 12), ("RICE-KG", 40)}  # fmt: skip


@pytest.mark.parametrize(
    ("change", "status", "loc"),
    [({"minimum": -1}, 422, ["body", "minimum"]), ({"minimum": 1.5}, 422, ["body", "minimum"]),
     ({"item_code": "NOPE"}, 422, ["body", "item_code"]),
     ({"depot_id": "b"}, 422, ["body", "depot_id"]), ("auditor", 403, None)],
)  # fmt: skip
async def test_bad_minimum_writes_nothing(api, session, change, status, loc) -> None:
    w = await stock_world(session)
    coord, auditor, _ = await _users(session)
    body = {"depot_id": str(w.depot), "item_code": "WATER-L", "minimum": 5}
    if isinstance(change, dict):
        body |= {k: str(w.depot_b) if v == "b" else v for k, v in change.items()}
    r = await api.put(MINIMUMS, json=body, headers=auditor if change == "auditor" else coord)
    assert r.status_code == status, r.text
    if loc is not None:
        assert loc in [e["loc"] for e in r.json()["errors"]]
    assert await session.scalar(select(func.count()).select_from(StockMinimum)) == 0


@pytest.fixture
def cli_db(tmp_path, monkeypatch):
    url = f"sqlite+aiosqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("HUZHU_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def seed(url: str, work) -> object:  # type: ignore[no-untyped-def]
    """Migrate the CLI's SQLite database and run ``work(session)`` in one transaction."""

    async def go() -> object:
        db = Database(url)
        try:
            await upgrade(db)
            async with db.transaction() as session:
                return await work(session)
        finally:
            await db.dispose()

    return asyncio.run(go())


def test_cli_alerts(cli_db) -> None:
    async def work(session):  # type: ignore[no-untyped-def]
        w = await stock_world(session)
        lots = await _lots(session, w)
        await alerts.set_minimum(session=session, depot_id=w.depot2, item_id=w.rice, minimum=3,
                                 area_path=w.path)  # fmt: skip
        return lots

    lots = seed(cli_db, work)
    runner = CliRunner()
    out = runner.invoke(cli, ["stock", "alerts", "--json"])
    assert out.exit_code == 0, out.output
    body = json.loads(out.output)
    assert [a["lot_id"] for a in body["expiring"]] == [str(lots["other"]), str(lots["soon"])]
    assert [m["short"] for m in body["under_minimum"]] == [3]
    out = runner.invoke(cli, ["stock", "alerts", "--days", "45", "--area", "532922000000"])
    assert out.exit_code == 0, out.output
    assert "2 lot(s) expiring within 45 days" in out.output
    assert "1 depot item(s) under their minimum" in out.output
    out = runner.invoke(cli, ["stock", "alerts", "--area", "999999999999"])
    assert out.exit_code == 1 and "no area with code 999999999999" in out.output
