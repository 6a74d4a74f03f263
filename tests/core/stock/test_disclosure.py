"""Public disclosure (信息公开): JSON, CSV and HTML per fund and depot, no token needed;
months in Asia/Shanghai, drill rows left out, anonymous donors and people never shown."""

from __future__ import annotations

import csv
import io
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.incidents.need_models import Need
from core.registry.areas.models import Area
from core.registry.orgs.models import CommunityFund
from core.stock import funds, ledger, reserve
from tests.access import matrix  # noqa: F401  (first: it collects the routes_* modules)
from tests.access.routes_volunteers import make_community, make_person
from tests.core.stock.test_funds import FundWorld, fund_world, income

JAN = datetime(2026, 1, 15, 2, 0, tzinfo=UTC)
FEB_IN_CHINA = datetime(2026, 1, 31, 17, 0, tzinfo=UTC)  # 2026-02-01 01:00 in Shanghai
JAN_IN_CHINA = datetime(2026, 1, 31, 15, 59, tzinfo=UTC)  # 2026-01-31 23:59 in Shanghai
SECRET_DONOR, DRILL_DONOR, PERSON = "隐名氏甲", "演练捐赠人", "李秀英"


@dataclass
class World:
    w: FundWorld
    name: str  # the fund's name
    private: list[str]  # strings that must never be disclosed


async def _need_of_person(session: AsyncSession, w: FundWorld) -> tuple[uuid.UUID, list[str]]:
    township = await session.scalar(select(Area).where(Area.code == "532922100000"))
    community = await make_community(session, township)
    person = await make_person(session, community, name=PERSON)
    now = clock.now()
    incident = await session.scalar(select(Need.incident_id).where(Need.id == w.stock.need))
    need = Need(incident_id=incident, area_path=community.area_path,
                household_id=person.household_id, person_id=person.id, source="coordinator",
                kind="supplies",
                description=f"给{PERSON}送水", skills=[], languages=[], severity=3, lon=99.95,
                lat=25.67, is_drill=False, created_at=now, updated_at=now)  # fmt: skip
    session.add(need)
    await session.flush()
    return need.id, [PERSON, "测试路1号", str(need.id), str(person.id), str(person.household_id)]


async def world(session: AsyncSession) -> World:
    w = await fund_world(session)
    s = w.stock
    with clock.use_clock(clock.ManualClock(JAN)) as c:
        await income(session, w.fund, 1000_00, donor="王大善人")
        await income(session, w.fund, 300_00, kind="grant", donor="县慈善总会")
        lot, _ = await funds.purchase_lot(
            session=session, actor_id=None, fund_id=w.fund, depot_id=s.depot, item_id=s.water,
            quantity=40, amount_fen=200_00, description="矿泉水",
        )  # fmt: skip
        c.set(FEB_IN_CHINA)
        await income(session, w.fund, 500_00, donor=SECRET_DONOR, donor_anonymous=True)
        await income(session, w.fund, 1_00, donor="边界", at=JAN_IN_CHINA)
        await funds.record_spending(session=session, actor_id=None, fund_id=w.fund,
                                    kind="service", amount_fen=50_00,
                                    description="搬运")  # fmt: skip
        need, private = await _need_of_person(session, w)
        (r,) = await reserve.reserve_lines(session=session, actor_id=None, need_id=need,
                                           lines=[(s.water, s.depot, 6)])  # fmt: skip
        await reserve.issue(session=session, actor_id=None, reservation_id=r.reservation_id)
        await ledger.write_off(session=session, actor_id=None, lot_id=lot, quantity=2,
                               reason="damaged")  # fmt: skip
        await ledger.transfer(session=session, actor_id=None, lot_id=lot, to_depot_id=s.depot2,
                              quantity=5)  # fmt: skip
        # Drill money and stock: recorded, never disclosed.
        await income(session, w.fund, 777_00, donor=DRILL_DONOR, is_drill=True)
        drill_lot, _ = await funds.purchase_lot(
            session=session, actor_id=None, fund_id=w.fund, depot_id=s.depot, item_id=s.rice,
            quantity=100, amount_fen=1_00, description="演练", is_drill=True,
        )  # fmt: skip
        (d,) = await reserve.reserve_lines(session=session, actor_id=None, need_id=s.drill_need,
                                           lines=[(s.rice, s.depot, 3)], is_drill=True)  # fmt: skip
        await reserve.issue(session=session, actor_id=None, reservation_id=d.reservation_id)
    name = await session.scalar(select(CommunityFund.name).where(CommunityFund.id == w.fund))
    return World(w, name, [*private, SECRET_DONOR, DRILL_DONOR, str(drill_lot)])


def _rows(r) -> list[dict[str, str]]:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens the Chinese right
    return list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))


async def test_fund_disclosure_json_csv_html(api, session) -> None:
    x = await world(session)
    url = f"/api/v1/disclosure/funds/{x.w.fund}"
    r = await api.get(url)  # no token
    assert r.status_code == 200, r.text
    d = r.json()
    months = {m["month"]: m for m in d["months"]}
    assert list(months) == ["2026-01", "2026-02"]
    assert months["2026-01"]["received_fen"] == {"donation": 1001_00, "grant": 300_00}
    assert months["2026-02"]["received_fen"] == {"donation": 500_00}  # 17:00Z is February
    assert months["2026-01"]["spent_fen"] == {"purchase": 200_00}
    assert months["2026-02"]["spent_fen"] == {"service": 50_00}
    assert months["2026-01"]["goods"] == [
        {"item_code": "WATER-L", "item_name": "WATER-L", "unit": "L", "quantity": 40}]  # fmt: skip
    assert months["2026-02"]["goods"] == []
    assert (d["received_fen"], d["spent_fen"], d["balance_fen"]) == (1801_00, 250_00, 1551_00)
    assert d["received_by_kind"] == {"donation": 1501_00, "grant": 300_00}
    assert [(g["date"], g["donor"], g["amount_fen"]) for g in d["donations"]] == [
        ("2026-01-15", "王大善人", 1000_00), ("2026-01-15", "县慈善总会", 300_00),
        ("2026-01-31", "边界", 1_00), ("2026-02-01", "匿名", 500_00)]  # fmt: skip
    rows = _rows(await api.get(url, params={"format": "csv"}))
    money = {c: sum(int(r["amount_fen"]) for r in rows if r["category"] == c)
             for c in ("received", "spent")}  # fmt: skip
    assert money == {"received": d["received_fen"], "spent": d["spent_fen"]}
    assert [(r["month"], r["item_code"], r["quantity"]) for r in rows
            if r["category"] == "goods"] == [("2026-01", "WATER-L", "40")]  # fmt: skip
    feb = [(r["kind"], r["amount_fen"]) for r in rows if r["month"] == "2026-02"]
    assert feb == [("donation", "50000"), ("service", "5000")]
    page = await api.get(f"/disclosure/funds/{x.w.fund}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert x.name in page.text and "王大善人" in page.text and "匿名" in page.text
    assert "¥1,551.00" in page.text
    for out in (r.text, (await api.get(url, params={"format": "csv"})).text, page.text):
        for secret in (SECRET_DONOR, DRILL_DONOR):
            assert secret not in out
        # The drill amount (777.00 元 = 77700 fen) as a whole number, not inside a timestamp.
        assert re.search(r"(?<![\d.])777(?:00|\.00)(?!\d)", out) is None
    assert "<script" not in page.text and "https://" not in page.text  # self-contained


async def test_depot_disclosure_has_no_personal_data_and_no_drill(api, session) -> None:
    x = await world(session)
    s = x.w.stock
    url = f"/api/v1/disclosure/depots/{s.depot}"
    r = await api.get(url)
    assert r.status_code == 200, r.text
    d = r.json()
    flows = {(m["month"], f["item_code"]): f for m in d["months"] for f in m["items"]}
    assert set(flows) == {("2026-01", "WATER-L"), ("2026-02", "WATER-L")}  # no drill rice
    jan, feb = flows[("2026-01", "WATER-L")], flows[("2026-02", "WATER-L")]
    assert (jan["received"], jan["distributed"]) == (40, 0)
    assert (feb["distributed"], feb["written_off"], feb["transferred_out"]) == (6, 2, 5)
    assert d["on_hand"] == [
        {"item_code": "WATER-L", "item_name": "WATER-L", "unit": "L", "on_hand": 27}]  # fmt: skip
    rows = _rows(await api.get(url, params={"format": "csv"}))
    for column in ("received", "distributed", "written_off", "transferred_out", "adjusted"):
        assert sum(int(r[column]) for r in rows) == sum(t[column] for t in d["totals"]), column
    other = (await api.get(f"/api/v1/disclosure/depots/{s.depot2}")).json()
    assert [(m["month"], m["items"][0]["received"]) for m in other["months"]] == [("2026-02", 5)]
    page = await api.get(f"/disclosure/depots/{s.depot}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "甲库" in page.text
    csv_text = (await api.get(url, params={"format": "csv"})).text
    for out in (r.text, csv_text, page.text):
        for secret in x.private:
            assert secret not in out, secret


async def test_lists_index_and_errors(api, session) -> None:
    x = await world(session)
    r = await api.get("/api/v1/disclosure/funds", params={"limit": 1})
    assert r.status_code == 200 and r.json()["next"], r.text
    page2 = await api.get("/api/v1/disclosure/funds", params={"next": r.json()["next"]})
    ids = [f["id"] for f in r.json()["items"] + page2.json()["items"]]
    assert ids == sorted([str(x.w.fund), str(x.w.fund_b)])
    r = await api.get("/api/v1/disclosure/funds", params={"area": "532923000000"})
    assert [f["id"] for f in r.json()["items"]] == [str(x.w.fund_b)]
    r = await api.get("/api/v1/disclosure/depots", params={"area": "532922000000"})
    assert {p["name"] for p in r.json()["items"]} == {"甲库", "乙库"}
    assert r.json()["items"][0]["area_name"] == "漾濞彝族自治县"
    r = await api.get("/api/v1/disclosure/depots", params={"area": "539999000000"})
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["query", "area"]
    index = await api.get("/disclosure")
    assert index.status_code == 200 and x.name in index.text and "祥云库" in index.text
    for path in (f"/api/v1/disclosure/funds/{uuid.uuid4()}", f"/disclosure/depots/{uuid.uuid4()}"):
        assert (await api.get(path)).status_code == 404
    r = await api.get(f"/api/v1/disclosure/funds/{x.w.fund}", params={"format": "xml"})
    assert r.status_code == 422
