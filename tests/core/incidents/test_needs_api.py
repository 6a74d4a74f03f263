"""Need routes: raise, SOS, status, lists with filters and GeoJSON, personal fields."""

from __future__ import annotations

import math

from sqlalchemy import func, select

from core.auth.models import PersonalDataAccess
from core.geo.crs import to_wgs84
from core.geo.distance import EARTH_RADIUS_M
from tests.core.incidents.needs_world import WATER, build_world, counts, with_users


def _east(lon: float, lat: float, metres: float) -> float:
    return lon + math.degrees(metres / (EARTH_RADIUS_M * math.cos(math.radians(lat))))


async def _world(session):
    return await with_users(session, await build_world(session))


async def _post(api, w, who, body, incident="live", route="needs", params=None):
    return await api.post(
        f"/api/v1/incidents/{w.inc[incident]}/{route}", json=body, headers=w.users[who][1],
        params=params,
    )  # fmt: skip


async def test_raise_a_need_and_read_it_back(api, session) -> None:
    w = await _world(session)
    body = {"kind": "supplies", "household_id": str(w.h["h1"]), "description": "缺水",
            "items": [{"item_code": WATER, "quantity": 12}], "skills": ["logistics"]}  # fmt: skip
    r = await _post(api, w, "coord_a", body)
    assert r.status_code == 201, r.text
    need = r.json()
    assert need["source"] == "coordinator" and need["status"] == "open"
    assert need["description"] == "缺水" and need["personal"] and need["point_exact"]
    assert need["items"] == [
        {"item_id": need["items"][0]["item_id"], "item_code": WATER, "base_unit": "L",
         "quantity": 12}
    ]  # fmt: skip
    assert need["community_code"] == w.c["A1"].code and need["priority"] == 46
    r = await api.get(f"/api/v1/needs/{need['id']}", headers=w.users["coord_a"][1])
    assert r.status_code == 200 and r.json()["id"] == need["id"]
    r = await api.get(f"/api/v1/needs/{need['id']}", headers=w.users["coord_b"][1])
    assert r.status_code == 404
    logged = select(func.count()).where(PersonalDataAccess.subject_kind == "need")
    assert await session.scalar(logged) >= 2


async def test_gcj02_points_are_stored_as_wgs84(api, session) -> None:
    w = await _world(session)
    r = await _post(api, w, "coord_a", {"kind": "rescue", "lon": 99.935, "lat": 25.605},
                    params={"crs": "gcj02"})  # fmt: skip
    assert r.status_code == 201, r.text
    lon, lat = to_wgs84(99.935, 25.605, "gcj02")
    assert (r.json()["lon"], r.json()["lat"]) == (lon, lat)


async def test_household_report_and_sos(api, session) -> None:
    w = await _world(session)
    r = await _post(api, w, "contact1", {"kind": "medical", "person_id": str(w.p["老甲"])})
    assert r.status_code == 201, r.text
    assert r.json()["source"] == "household_report" and r.json()["vulnerability"] == 12
    r = await _post(api, w, "contact1", {"lon": 99.912, "lat": 25.612}, route="sos")
    assert r.status_code == 201, r.text
    sos = r.json()
    assert (sos["kind"], sos["source"], sos["severity"]) == ("rescue", "sos", 4)
    assert sos["household_id"] == str(w.h["h1"])
    r = await _post(api, w, "grid", {"lon": 99.905, "lat": 25.605}, route="sos")
    assert r.status_code == 403


async def test_bad_input_names_the_field_and_writes_nothing(api, session) -> None:
    w = await _world(session)
    before = await counts(session)
    cases = [
        ({"kind": "supplies", "household_id": str(w.h["h1"]),
          "items": [{"item_code": "WATER-GOLD", "quantity": 1}]},
         ["body", "items", 0, "item_code"]),
        ({"kind": "supplies", "household_id": str(w.h["h1"]), "skills": ["logistics", "magic"]},
         ["body", "skills", 1]),
        ({"kind": "medical", "household_id": str(w.h["h1"]), "person_id": str(w.p["丙"])},
         ["body", "person_id"]),
        ({"kind": "other", "lon": 100.01, "lat": 25.71}, ["body", "community_code"]),
        ({"kind": "other", "lon": 99.93, "lat": 91}, ["body", "lat"]),
    ]  # fmt: skip
    for body, loc in cases:
        r = await _post(api, w, "coord_a", body)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["errors"][0]["loc"] == loc, r.text
    r = await _post(api, w, "coord_a", {"kind": "other", "household_id": str(w.h["h1"])},
                    incident="down")  # fmt: skip
    assert r.status_code == 409 and "stood down at" in r.json()["detail"]
    r = await _post(api, w, "coord_a", {"kind": "other", "lon": 100.61, "lat": 25.31},
                    incident="b")  # fmt: skip
    assert r.status_code == 404
    assert await counts(session) == before


async def test_status_route(api, session) -> None:
    w = await _world(session)
    need = (await _post(api, w, "coord_a", {"kind": "care", "household_id": str(w.h["h2"])})).json()
    url = f"/api/v1/needs/{need['id']}/status"
    r = await api.post(url, json={"to": "matched"}, headers=w.users["coord_a"][1])
    assert r.status_code == 200 and r.json()["status"] == "matched"
    r = await api.post(url, json={"to": "fulfilled"}, headers=w.users["coord_a"][1])
    assert r.status_code == 409
    assert r.json()["allowed"] == ["cancelled", "in_progress", "open"]
    assert r.json()["current"] == "matched"
    assert "may move to" in r.json()["detail"]
    r = await api.post(url, json={"to": "done"}, headers=w.users["coord_a"][1])
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "to"]


async def _seed(api, w) -> dict[str, str]:
    """Needs of several kinds and severities in incident ``live`` (plus one in ``drill``)."""
    bodies = {
        "h1": {"kind": "supplies", "household_id": str(w.h["h1"]), "description": "一号"},
        "h2": {"kind": "care", "household_id": str(w.h["h2"]), "severity": 5},
        "h3": {"kind": "visit", "household_id": str(w.h["h3"]), "severity": 1},
        "pt": {"kind": "rescue", "lon": 99.915, "lat": 25.6123, "description": "点"},
    }
    ids = {}
    for name, body in bodies.items():
        r = await _post(api, w, "coord_a", body)
        assert r.status_code == 201, r.text
        ids[name] = r.json()["id"]
    r = await _post(api, w, "coord_a", {"kind": "visit", "household_id": str(w.h["h1"])},
                    incident="drill")  # fmt: skip
    ids["drill"] = r.json()["id"]
    return ids


async def test_lists_order_filter_and_page(api, session) -> None:
    w = await _world(session)
    ids = await _seed(api, w)
    coord = w.users["coord_a"][1]

    async def names(params, path="/api/v1/needs") -> list[str]:
        r = await api.get(path, params=params, headers=coord)
        assert r.status_code == 200, r.text
        back = {v: k for k, v in ids.items()}
        return [back[item["id"]] for item in r.json()["items"]]

    live = {"incident": str(w.inc["live"])}
    # priorities: h2 50+0 · h1 30+16 · drill 30+16 (later) · pt 30 · h3 10+10
    assert await names({}) == ["h2", "h1", "drill", "pt", "h3"]
    assert await names(live) == ["h2", "h1", "pt", "h3"]
    assert await names({}, f"/api/v1/incidents/{w.inc['live']}/needs") == ["h2", "h1", "pt", "h3"]
    assert await names({**live, "kind": ["visit", "care"]}) == ["h2", "h3"]
    assert await names({**live, "area": w.c["A1"].code}) == ["h1", "pt"]
    assert await names({**live, "bbox": "99.91,25.60,99.94,25.62"}) == ["h2", "pt"]
    assert await names({**live, "source": "sos"}) == []
    await api.post(f"/api/v1/needs/{ids['h2']}/status", json={"to": "cancelled"}, headers=coord)
    assert await names({**live, "status": "open"}) == ["h1", "pt", "h3"]
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"next": cursor} if cursor else {})}
        r = (await api.get("/api/v1/needs", params=params, headers=coord)).json()
        seen += [item["id"] for item in r["items"]]
        cursor = r["next"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 5
    r = await api.get("/api/v1/needs", params={"next": "nope"}, headers=coord)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["query", "next"]
    r = await api.get(f"/api/v1/incidents/{w.inc['b']}/needs", headers=coord)
    assert r.status_code == 404


async def test_near_is_spherical(api, session) -> None:
    w = await _world(session)
    lat = 25.61
    inside = _east(99.901, lat, 990)
    outside = _east(99.901, lat, 1010)
    made = []
    for lon in (inside, outside):
        r = await _post(api, w, "coord_a", {"kind": "rescue", "lon": lon, "lat": lat})
        made.append(r.json()["id"])
    r = await api.get("/api/v1/needs", params={"near": f"99.901,{lat}", "km": 1},
                      headers=w.users["coord_a"][1])  # fmt: skip
    assert [item["id"] for item in r.json()["items"]] == made[:1]


async def test_geojson_points(api, session) -> None:
    w = await _world(session)
    ids = await _seed(api, w)
    r = await api.get("/api/v1/needs", params={"format": "geojson"}, headers=w.users["admin"][1])
    assert r.status_code == 200 and r.headers["content-type"] == "application/geo+json"
    fc = r.json()
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 5
    pt = next(f for f in fc["features"] if f["id"] == ids["pt"])
    assert pt["geometry"] == {"type": "Point", "coordinates": [99.915, 25.6123]}
    assert "lon" not in pt["properties"] and pt["properties"]["kind"] == "rescue"
    r = await api.get("/api/v1/needs", headers={**w.users["admin"][1],
                                                "Accept": "application/geo+json"})  # fmt: skip
    assert r.json()["type"] == "FeatureCollection"


async def test_personal_fields_by_role(api, session) -> None:
    w = await _world(session)
    ids = await _seed(api, w)

    async def view(who) -> dict[str, dict]:
        r = await api.get("/api/v1/needs", headers=w.users[who][1])
        assert r.status_code == 200, r.text
        return {item["id"]: item for item in r.json()["items"]}

    grid = await view("grid")  # reach: community A1; personal: grid g1 (h1)
    assert set(grid) == {ids["h1"], ids["pt"], ids["drill"]}
    assert grid[ids["h1"]]["description"] == "一号" and grid[ids["h1"]]["point_exact"]
    assert grid[ids["pt"]]["description"] is None
    assert grid[ids["pt"]]["lat"] == 25.612  # rounded to 0.001°
    auditor = await view("auditor")
    assert len(auditor) == 5 and not any(n["personal"] for n in auditor.values())
    contact = await view("contact1")
    assert set(contact) == {ids["h1"], ids["drill"]}
    assert contact[ids["h1"]]["description"] == "一号"
    assert await view("volunteer") == {}
    assert set(await view("coord_b")) == set()
    r = await api.get("/api/v1/needs", params={"bbox": "99.90,25.60,99.92,25.62"},
                      headers=w.users["grid"][1])  # fmt: skip
    assert {item["id"] for item in r.json()["items"]} == {ids["h1"], ids["drill"]}
