"""Depots with available stock per item, as a list and as GeoJSON for the map."""

from __future__ import annotations

from core.auth.roles import Role
from core.stock import ledger, reserve
from tests.conftest import bearer_for
from tests.core.stock.test_ledger import StockWorld, days, receive, stock_world

DEPOTS = "/api/v1/stock/depots"


async def _stock(session, w: StockWorld) -> None:  # type: ignore[no-untyped-def]
    """depot: water 30 (8 reserved, expires in 20 d) + 50 (in 200 d) + 100 expired, rice 5
    (no expiry); drill water 9 in depot; depot2 nothing; county B water 7."""
    await receive(session, w, 30, expires_on=days(20))
    await receive(session, w, 50, expires_on=days(200))
    await receive(session, w, 100, received_on=days(-30), expires_on=days(-1))
    await receive(session, w, 5, item_id=w.rice, expires_on=None)
    empty = await receive(session, w, 4, item_id=w.rice)
    await ledger.write_off(session=session, actor_id=None, lot_id=empty, quantity=4,
                           reason="damaged")  # an empty lot adds nothing  # fmt: skip
    await receive(session, w, 9, is_drill=True, expires_on=days(2))
    await receive(session, w, 7, depot_id=w.depot_b)
    await reserve.reserve_lines(session=session, actor_id=None, need_id=w.need,
                                lines=[(w.water, w.depot, 8)])  # fmt: skip


async def _coord(session) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return await bearer_for(session, role=Role.coordinator, area_code="532922000000",
                            username="coord-a")  # fmt: skip


async def test_list_answers_stock_per_item(api, session) -> None:
    w = await stock_world(session)
    await _stock(session, w)
    coord = await _coord(session)
    r = await api.get(DEPOTS, headers=coord)
    assert r.status_code == 200, r.text
    items = {d["id"]: d for d in r.json()["items"]}
    assert set(items) == {str(w.depot), str(w.depot2)}  # not county B's
    depot = items[str(w.depot)]
    assert (depot["name"], depot["kind"], depot["area_path"]) == ("甲库", "warehouse", w.path)
    assert depot["stock"] == [
        {"item_code": "RICE-KG", "on_hand": 5, "reserved": 0, "available": 5,
         "next_expiry": None},
        {"item_code": "WATER-L", "on_hand": 180, "reserved": 8, "available": 72,
         "next_expiry": str(days(20))},
    ]  # fmt: skip
    assert items[str(w.depot2)]["stock"] == []
    r = await api.get(DEPOTS, params={"drill": "true"}, headers=coord)
    drill = {d["id"]: d["stock"] for d in r.json()["items"]}[str(w.depot)]
    assert drill == [{"item_code": "WATER-L", "on_hand": 9, "reserved": 0, "available": 9,
                      "next_expiry": str(days(2))}]  # fmt: skip


async def test_geojson_by_format_and_accept(api, session) -> None:
    w = await stock_world(session)
    await _stock(session, w)
    coord = await _coord(session)
    by_format = await api.get(DEPOTS, params={"format": "geojson"}, headers=coord)
    by_accept = await api.get(DEPOTS, headers={**coord, "Accept": "application/geo+json"})
    for r in (by_format, by_accept):
        assert r.status_code == 200 and r.headers["content-type"] == "application/geo+json"
        body = r.json()
        assert body["type"] == "FeatureCollection" and "next" not in body
        feature = next(f for f in body["features"] if f["id"] == str(w.depot))
        assert feature["geometry"] == {"type": "Point", "coordinates": [99.95, 25.67]}
        props = feature["properties"]
        assert set(props) == {"id", "name", "kind", "capacity_people", "area_path", "stock"}
        assert [s["available"] for s in props["stock"]] == [5, 72]
        assert len(body["features"]) == 2


async def test_filters_paging_and_scope(api, session) -> None:
    w = await stock_world(session)
    await _stock(session, w)
    coord = await _coord(session)
    admin = await bearer_for(session, role=Role.admin, area_code=None, username="root")

    async def ids(headers, **params) -> list[str]:  # type: ignore[no-untyped-def]
        r = await api.get(DEPOTS, params=params, headers=headers)
        assert r.status_code == 200, r.text
        return [d["id"] for d in r.json()["items"]]

    assert set(await ids(admin)) == {str(w.depot), str(w.depot2), str(w.depot_b)}
    assert await ids(admin, area="532923000000") == [str(w.depot_b)]
    assert await ids(coord, bbox="99.9,25.6,99.955,25.7") == [str(w.depot)]
    page = await api.get(DEPOTS, params={"limit": 1, "format": "geojson"}, headers=coord)
    assert len(page.json()["features"]) == 1 and page.json()["next"]
    rest = await ids(coord, limit=1, next=page.json()["next"])
    assert {page.json()["features"][0]["id"], *rest} == {str(w.depot), str(w.depot2)}
    for params, loc in [({"area": "532923000000"}, "area"), ({"bbox": "1,2,3"}, "bbox"),
                        ({"next": "garbage"}, "next")]:  # fmt: skip
        r = await api.get(DEPOTS, params=params, headers=coord)
        assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["query", loc], r.text
    assert (await api.get(DEPOTS)).status_code == 401
