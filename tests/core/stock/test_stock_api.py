"""Stock routes: receive, list, transfer, adjust, write off, reserve, release, issue, moves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.app import create_app
from core.auth.roles import Role
from core.http.deps import get_session
from core.stock.api import router
from core.stock.ledger import today
from core.stock.models import Lot, Move, Reservation
from tests.access import routes_stock
from tests.access.test_access_matrix import test_lists_hold_only_own_rows as lists_own_rows
from tests.access.test_access_matrix import test_other_countys_object_is_404 as other_is_404
from tests.conftest import bearer_for
from tests.core.stock.test_ledger import StockWorld, stock_world

LOTS = "/api/v1/stock/lots"


@pytest.fixture
async def api(database, session: AsyncSession, settings) -> AsyncIterator[httpx.AsyncClient]:
    """The shared-session client of tests/conftest.py, with the stock router mounted."""
    app = create_app(settings, database=database, background=False)
    if not any(getattr(r, "path", "").startswith("/api/v1/stock") for r in app.routes):
        app.include_router(router, prefix="/api/v1")

    async def shared_session() -> AsyncIterator[AsyncSession]:
        request_tx = await session.begin_nested()
        try:
            yield session
            await request_tx.commit()
        except BaseException:
            await request_tx.rollback()
            raise

    app.dependency_overrides[get_session] = shared_session
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def _setup(session: AsyncSession) -> tuple[StockWorld, dict, dict, dict]:
    w = await stock_world(session)
    coord = await bearer_for(session, role=Role.coordinator, area_code="532922000000",
                             username="coord-a")  # fmt: skip
    auditor = await bearer_for(session, role=Role.auditor, area_code="532922000000",
                               username="aud-a")  # fmt: skip
    admin = await bearer_for(session, role=Role.admin, area_code=None, username="root")
    return w, coord, auditor, admin


def _lot_body(w: StockWorld, **kw) -> dict:
    return {"depot_id": str(w.depot), "item_code": "WATER-L", "quantity": 10,
            "received_on": str(today()), "expires_on": str(today() + timedelta(days=30)),
            "source": "donation", "donor": "张三", **kw}  # fmt: skip


async def _counts(session: AsyncSession) -> tuple[int, int, int]:
    return (await session.scalar(select(func.count()).select_from(Lot)),
            await session.scalar(select(func.count()).select_from(Move)),
            await session.scalar(select(func.count()).select_from(Reservation)))  # fmt: skip


async def test_receive_get_and_list(api, session) -> None:
    w, coord, auditor, _ = await _setup(session)
    r = await api.post(LOTS, json=_lot_body(w), headers=coord)
    assert r.status_code == 201, r.text
    lot = r.json()
    assert (lot["on_hand"], lot["reserved"], lot["available"]) == (10, 0, 10)
    assert lot["donor"] == "张三" and lot["source"] == "donation"
    anon = await api.post(LOTS, json=_lot_body(w, donor_anonymous=True, expires_on=None,
                                               item_code="RICE-KG", depot_id=str(w.depot2)),
                          headers=coord)  # fmt: skip
    assert anon.status_code == 201 and anon.json()["donor"] is None
    r = await api.get(f"{LOTS}/{lot['id']}", headers=auditor)
    assert r.status_code == 200 and r.json()["item_code"] == "WATER-L"

    async def ids(**params) -> set[str]:
        r = await api.get(LOTS, params=params, headers=auditor)
        assert r.status_code == 200, r.text
        return {x["id"] for x in r.json()["items"]}

    both = {lot["id"], anon.json()["id"]}
    assert await ids() == both
    assert await ids(depot=str(w.depot)) == {lot["id"]}
    assert await ids(item="RICE-KG") == {anon.json()["id"]}
    assert await ids(area="532922000000") == both
    assert await ids(expiring_within_days=30) == {lot["id"]}
    assert await ids(expiring_within_days=29) == set()
    assert await ids(drill=True) == set()
    page = (await api.get(LOTS, params={"limit": 1}, headers=auditor)).json()
    rest = await api.get(LOTS, params={"limit": 1, "next": page["next"]}, headers=auditor)
    assert {page["items"][0]["id"], rest.json()["items"][0]["id"]} == both
    r = await api.get(LOTS, params={"item": "NOPE"}, headers=auditor)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["query", "item"]


@pytest.mark.parametrize(
    ("change", "loc"),
    [({"quantity": 0}, ["body", "quantity"]), ({"quantity": -3}, ["body", "quantity"]),
     ({"item_code": "NOPE"}, ["body", "item_code"]), ({"source": "gift"}, ["body", "source"]),
     ({"expires_on": "2000-01-01"}, ["body", "expires_on"]),
     ("depot_b", ["body", "depot_id"])],
)  # fmt: skip
async def test_bad_receive_names_field_and_writes_nothing(api, session, change, loc) -> None:
    w, coord, _, _ = await _setup(session)
    before = await _counts(session)
    body = _lot_body(w, depot_id=str(w.depot_b)) if change == "depot_b" else _lot_body(w, **change)
    r = await api.post(LOTS, json=body, headers=coord)
    assert r.status_code == 422, r.text
    assert loc in [e["loc"] for e in r.json()["errors"]]
    assert await _counts(session) == before


async def test_roles_and_scope(api, session) -> None:
    w, coord, auditor, admin = await _setup(session)
    r = await api.post(LOTS, json=_lot_body(w, depot_id=str(w.depot_b)), headers=admin)
    assert r.status_code == 201
    lot_b = r.json()["id"]
    assert (await api.get(f"{LOTS}/{lot_b}", headers=coord)).status_code == 404
    assert (await api.post(LOTS, json=_lot_body(w), headers=auditor)).status_code == 403
    lot = (await api.post(LOTS, json=_lot_body(w), headers=coord)).json()["id"]
    r = await api.post(f"{LOTS}/{lot}/write-off", json={"quantity": 1, "reason": "damaged"},
                       headers=auditor)  # fmt: skip
    assert r.status_code == 403
    r = await api.post(f"{LOTS}/{lot}/transfer", json={"to_depot_id": str(w.depot_b),
                                                       "quantity": 1}, headers=coord)  # fmt: skip
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "to_depot_id"]


async def test_transfer_adjust_write_off(api, session) -> None:
    w, coord, _, _ = await _setup(session)
    lot = (await api.post(LOTS, json=_lot_body(w), headers=coord)).json()["id"]
    before = await _counts(session)
    for body, loc in [({"to_depot_id": str(w.depot), "quantity": 1}, "to_depot_id"),
                      ({"to_depot_id": str(w.depot2), "quantity": 0}, "quantity")]:  # fmt: skip
        r = await api.post(f"{LOTS}/{lot}/transfer", json=body, headers=coord)
        assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", loc], r.text
    r = await api.post(f"{LOTS}/{lot}/adjust", json={"delta": 0, "reason": "x"}, headers=coord)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "delta"]
    r = await api.post(f"{LOTS}/{lot}/write-off", json={"quantity": 1, "reason": "bored"},
                       headers=coord)  # fmt: skip
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "reason"]
    r = await api.post(f"{LOTS}/{lot}/write-off", json={"quantity": 11, "reason": "damaged"},
                       headers=coord)  # fmt: skip
    assert r.status_code == 409 and r.json()["available"] == 10
    assert await _counts(session) == before
    r = await api.post(f"{LOTS}/{lot}/transfer", json={"to_depot_id": str(w.depot2),
                                                       "quantity": 4}, headers=coord)  # fmt: skip
    assert r.status_code == 201 and r.json()["on_hand"] == 4
    assert r.json()["depot_id"] == str(w.depot2)
    r = await api.post(f"{LOTS}/{lot}/adjust", json={"delta": 2, "reason": "盘点"}, headers=coord)
    assert r.status_code == 200 and r.json()["on_hand"] == 8
    r = await api.post(f"{LOTS}/{lot}/write-off", json={"quantity": 3, "reason": "damaged"},
                       headers=coord)  # fmt: skip
    assert r.status_code == 200 and r.json()["available"] == 5


async def test_reserve_release_issue_and_moves(api, session) -> None:
    w, coord, auditor, _ = await _setup(session)
    lot = (await api.post(LOTS, json=_lot_body(w), headers=coord)).json()["id"]
    line = {"item_code": "WATER-L", "depot_id": str(w.depot), "quantity": 6}
    body = {"need_id": str(w.need), "lines": [line]}
    before = await _counts(session)
    short = {"need_id": str(w.need), "lines": [{**line, "quantity": 11}]}
    r = await api.post("/api/v1/stock/reservations", json=short, headers=coord)
    assert r.status_code == 409 and r.json()["available"] == 10
    bad = {"need_id": str(w.need), "lines": [{**line, "item_code": "NOPE"}]}
    r = await api.post("/api/v1/stock/reservations", json=bad, headers=coord)
    assert r.json()["errors"][0]["loc"] == ["body", "lines", 0, "item_code"]
    assert await _counts(session) == before
    r = await api.post("/api/v1/stock/reservations", json=body, headers=coord)
    assert r.status_code == 201, r.text
    (out,) = r.json()["lines"]
    assert out["reserved"] == 6 and out["lots"] == [{"lot_id": lot, "quantity": 6}]
    rid = out["reservation_id"]
    assert (await api.get(f"{LOTS}/{lot}", headers=coord)).json()["available"] == 4
    r = await api.post(f"/api/v1/stock/reservations/{rid}/issue", json={"quantity": 2},
                       headers=coord)  # fmt: skip
    assert r.status_code == 200 and r.json()["quantity"] == 2
    r = await api.post(f"/api/v1/stock/reservations/{rid}/release", json={}, headers=auditor)
    assert r.status_code == 403
    r = await api.post(f"/api/v1/stock/reservations/{rid}/release", headers=coord)
    assert r.status_code == 200 and r.json()["quantity"] == 4
    r = await api.post(f"/api/v1/stock/reservations/{rid}/release", headers=coord)
    assert r.status_code == 409 and r.json()["reservation_status"] == "released"
    got = (await api.get(f"{LOTS}/{lot}", headers=coord)).json()
    assert (got["on_hand"], got["reserved"]) == (8, 0)
    moves = (await api.get("/api/v1/stock/moves", params={"depot": str(w.depot)},
                           headers=auditor)).json()["items"]  # fmt: skip
    assert [m["kind"] for m in moves] == ["receive", "reserve", "issue", "release"]
    page = (await api.get("/api/v1/stock/moves", params={"limit": 3}, headers=auditor)).json()
    rest = await api.get("/api/v1/stock/moves", params={"next": page["next"]}, headers=auditor)
    assert [m["kind"] for m in rest.json()["items"]] == ["release"]
    future = {"from": "2999-01-01T00:00:00+00:00"}
    assert (await api.get("/api/v1/stock/moves", params=future, headers=auditor)).json()[
        "items"
    ] == []


@pytest.mark.parametrize("case", routes_stock.ITEM_ROUTES, ids=lambda c: f"{c.method} {c.path}")
async def test_matrix_items(case, api, session) -> None:
    await other_is_404(case, api, session)


@pytest.mark.parametrize("case", routes_stock.LIST_ROUTES, ids=lambda c: c.path)
async def test_matrix_lists(case, api, session) -> None:
    await lists_own_rows(case, api, session)
