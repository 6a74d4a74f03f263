"""Incident routes on both engines: problem details, nothing written, GeoJSON, GCJ-02, timeline."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from core.app import create_app
from core.auth.roles import Role
from core.config import Settings
from core.geo.gcj02 import wgs84_to_gcj02
from tests.conftest import bearer_for, read_events_eventually
from tests.core.incidents.world import World, build_world, counts, geojson

API = "/api/v1"


class Ctx:
    def __init__(self, w: World, h: dict[str, dict[str, str]]) -> None:
        self.w, self.h = w, h


@pytest.fixture
async def ctx(session) -> Ctx:  # type: ignore[no-untyped-def]
    w = await build_world(session)
    h = {
        "county": await bearer_for(
            session, role=Role.coordinator, area_code=w.tc.county_a.code, username="coord-a"
        ),
        "c1": await bearer_for(
            session, role=Role.coordinator, area_code=w.c["0001"].code, username="coord-c1"
        ),
        "b": await bearer_for(
            session, role=Role.coordinator, area_code=w.tc.county_b.code, username="coord-b"
        ),
        "vol": await bearer_for(
            session, role=Role.volunteer, area_code=w.tc.county_a.code, username="vol-a"
        ),
    }
    await session.commit()  # releases the test savepoint: failed requests roll back only themselves
    return Ctx(w, h)


def body(**kw: Any) -> dict[str, Any]:
    return {"title": "苍山西镇山洪", "hazard": "flood", "level": "III",
            "area": geojson(99.91, 25.55, 99.93, 25.61), **kw}  # fmt: skip


def problem(resp: httpx.Response, status: int, loc: list[Any] | None = None) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    got = resp.json()
    if loc is not None:
        assert got["errors"][0]["loc"] == loc, got
    return got


async def test_declare_read_change_and_stand_down(api: httpx.AsyncClient, session, ctx) -> None:
    h = ctx.h["county"]
    resp = await api.post(f"{API}/incidents", json=body(), headers=h)
    assert resp.status_code == 201, resp.text
    got = resp.json()
    assert (got["level"], got["category"], got["area_code"]) == (
        3,
        "natural_disaster",
        "532922100000",
    )
    assert got["affected_communities"] == 2 and got["mutual_aid"] == []
    assert got["area"]["type"] == "MultiPolygon" and got["centre"] is None
    url = f"{API}/incidents/{got['id']}"
    seen = (await api.get(url, headers=ctx.h["c1"])).json()  # a community coordinator sees it
    assert seen["id"] == got["id"]
    problem(await api.get(url, headers=ctx.h["b"]), 404)
    problem(await api.post(f"{url}/level", json={"level": 1}, headers=ctx.h["c1"]), 403)
    resp = await api.post(f"{url}/level", json={"level": 1}, headers=h)
    assert resp.status_code == 200 and resp.json()["level"] == 1
    resp = await api.post(f"{url}/mutual-aid", json={"area_codes": ["532922101000"]}, headers=h)
    assert resp.status_code == 200, resp.text
    assert [a["code"] for a in resp.json()["mutual_aid"]] == ["532922101000"]
    page = (await api.get(f"{url}/areas", params={"limit": 2}, headers=h)).json()
    assert [a["code"] for a in page["items"]] == ["532922100001", "532922100002"]
    rest = (await api.get(f"{url}/areas", params={"next": page["next"]}, headers=h)).json()
    assert [(a["code"], a["role"]) for a in rest["items"]] == [("532922101000", "mutual_aid")]
    assert rest["next"] is None
    aid = (await api.get(f"{url}/areas", params={"role": "mutual_aid"}, headers=h)).json()
    assert len(aid["items"]) == 1
    resp = await api.post(f"{url}/stand-down", headers=h)
    assert resp.status_code == 200 and resp.json()["status"] == "stood_down"
    before = await counts(session)
    detail = problem(await api.post(f"{url}/level", json={"level": 2}, headers=h), 409)["detail"]
    assert detail.startswith("incident stood down at ")
    problem(await api.post(f"{url}/stand-down", headers=h), 409)
    assert await counts(session) == before


@pytest.mark.parametrize(
    ("kw", "loc"),
    [
        ({"area": geojson(101.5, 24.0, 101.6, 24.1)}, ["body", "area"]),
        (
            {"area": None, "centre": {"lon": 101.5, "lat": 24.0}, "radius_m": 300},
            ["body", "radius_m"],
        ),
        (
            {"area": None, "centre": {"lon": 99.9, "lat": 25.6}, "radius_m": 300_001},
            ["body", "radius_m"],
        ),
        ({"hazard": "volcano"}, ["body", "hazard"]),
        ({"level": 5}, ["body", "level"]),
        ({"mode": "real", "speedup": 4}, ["body", "speedup"]),
        ({"mode": "live_drill", "speedup": 0.5}, ["body", "speedup"]),
        ({"area": {"type": "Point", "coordinates": [99.9, 25.6]}}, ["body", "area"]),
    ],
)
async def test_bad_input_is_422_and_writes_nothing(api, session, ctx, kw, loc) -> None:
    before = await counts(session)
    problem(await api.post(f"{API}/incidents", json=body(**kw), headers=ctx.h["county"]), 422, loc)
    assert await counts(session) == before


async def test_scope_and_roles_on_declare(api, session, ctx) -> None:
    before = await counts(session)
    got = problem(await api.post(f"{API}/incidents", json=body(), headers=ctx.h["c1"]), 403)
    assert got["detail"].startswith("1 of the 2 communities") and got["outside"] == 1
    problem(await api.post(f"{API}/incidents", json=body(), headers=ctx.h["vol"]), 403)
    problem(await api.post(f"{API}/incidents", json=body(), headers=ctx.h["b"]), 403)
    assert await counts(session) == before


async def test_gcj02_centre_is_stored_as_wgs84(api, ctx) -> None:
    lon, lat = 99.93, 25.61
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    data = body(area=None, centre={"lon": g_lon, "lat": g_lat}, radius_m=200)
    resp = await api.post(
        f"{API}/incidents", params={"crs": "gcj02"}, json=data, headers=ctx.h["county"]
    )
    assert resp.status_code == 201, resp.text
    centre = resp.json()["centre"]
    assert centre["lon"] == pytest.approx(lon, abs=1e-7)
    assert centre["lat"] == pytest.approx(lat, abs=1e-7)
    gpoly = [
        list(wgs84_to_gcj02(x, y))
        for x, y in [(99.91, 25.55), (99.93, 25.55), (99.93, 25.61), (99.91, 25.55)]
    ]
    data = body(area={"type": "Polygon", "coordinates": [gpoly]})
    resp = await api.post(
        f"{API}/incidents", params={"crs": "gcj02"}, json=data, headers=ctx.h["county"]
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["bbox"] == pytest.approx([99.91, 25.55, 99.93, 25.61], abs=1e-7)


async def test_list_and_geojson(api, ctx) -> None:
    h = ctx.h["county"]
    poly = (await api.post(f"{API}/incidents", json=body(), headers=h)).json()
    circle_body = body(area=None, hazard="earthquake", mode="live_drill", speedup=10,
                       centre={"lon": 99.71, "lat": 25.46}, radius_m=500)  # fmt: skip
    circle = (await api.post(f"{API}/incidents", json=circle_body, headers=h)).json()
    page = (await api.get(f"{API}/incidents", params={"limit": 1}, headers=h)).json()
    assert [i["id"] for i in page["items"]] == [circle["id"]] and page["next"]
    more = (await api.get(f"{API}/incidents", params={"next": page["next"]}, headers=h)).json()
    assert [i["id"] for i in more["items"]] == [poly["id"]]
    for params, want in [
        ({"mode": "live_drill"}, [circle["id"]]),
        ({"hazard": "flood"}, [poly["id"]]),
        ({"status": "active", "area": "532922100000"}, [poly["id"]]),
        ({"bbox": "99.6,25.4,99.8,25.5"}, [circle["id"]]),
    ]:
        items = (await api.get(f"{API}/incidents", params=params, headers=h)).json()["items"]
        assert [i["id"] for i in items] == want, params
    problem(await api.get(f"{API}/incidents", params={"hazard": "volcano"}, headers=h), 422)
    problem(await api.get(f"{API}/incidents", params={"area": "532923000000"}, headers=h), 422)
    c1 = (await api.get(f"{API}/incidents", headers=ctx.h["c1"])).json()["items"]
    assert [i["id"] for i in c1] == [poly["id"]]
    assert (await api.get(f"{API}/incidents", headers=ctx.h["b"])).json()["items"] == []
    fc = (await api.get(f"{API}/incidents", params={"format": "geojson"}, headers=h)).json()
    by_id = {f["id"]: f for f in fc["features"]}
    assert by_id[circle["id"]]["geometry"] == {"type": "Point", "coordinates": [99.71, 25.46]}
    assert by_id[circle["id"]]["properties"]["radius_m"] == 500
    assert by_id[poly["id"]]["geometry"]["type"] == "MultiPolygon"
    assert "area" not in by_id[poly["id"]]["properties"]
    assert "centre" not in by_id[circle["id"]]["properties"]


async def test_timeline_lists_committed_events_in_order(committed) -> None:
    async with committed.transaction() as s:
        w = await build_world(s)
        h = await bearer_for(
            s, role=Role.coordinator, area_code=w.tc.county_a.code, username="coord-ca"
        )
        hb = await bearer_for(
            s, role=Role.coordinator, area_code=w.tc.county_b.code, username="coord-cb"
        )
    app = create_app(Settings(_env_file=None), database=committed, background=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        got = (await client.post(f"{API}/incidents", json=body(), headers=h)).json()
        url = f"{API}/incidents/{got['id']}"
        await client.post(f"{url}/level", json={"level": 2}, headers=h)
        await client.post(f"{url}/mutual-aid", json={"area_codes": ["532922101000"]}, headers=h)
        await client.post(f"{url}/stand-down", headers=h)
        await read_events_eventually(committed, streams=[f"incident:{got['id']}"], at_least=5)
        page = (await client.get(f"{url}/timeline", params={"limit": 3}, headers=h)).json()
        rest = (
            await client.get(f"{url}/timeline", params={"next": page["next"]}, headers=h)
        ).json()
        hidden = await client.get(f"{url}/timeline", headers=hb)
    types = [e["type"] for e in page["items"] + rest["items"]]
    # The app registers plans/' activation hook, which records the activated versions.
    assert types == ["incident.declared", "plan.activated", "incident.level_changed",
                     "incident.mutual_aid_opened", "incident.stood_down"]  # fmt: skip
    seqs = [e["seq"] for e in page["items"] + rest["items"]]
    assert seqs == sorted(seqs) and rest["next"] is None
    level = next(e for e in page["items"] if e["type"] == "incident.level_changed")
    assert level["data"] == {"id": got["id"], "from": 3, "to": 2, "by": level["data"]["by"]}
    assert hidden.status_code == 404
