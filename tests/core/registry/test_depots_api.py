"""Depot routes on both engines: problem details, nothing written, scope, GCJ-02, GeoJSON."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import Role
from core.events.models import OutboxEvent
from core.geo.gcj02 import gcj02_to_wgs84, wgs84_to_gcj02
from core.registry.depots.models import Depot
from tests.conftest import bearer_for
from tests.core.registry.test_depots_service import count, make_org
from tests.factories import TwoCounties, two_counties

API = "/api/v1"


class World:
    def __init__(self, tc: TwoCounties, headers: dict[str, dict[str, str]], org_id: str) -> None:
        self.tc, self.h, self.org_id = tc, headers, org_id


@pytest.fixture
async def world(session: AsyncSession) -> World:
    tc = await two_counties(session)
    org = await make_org(session, tc.county_a)
    headers = {
        "admin": await bearer_for(session, role=Role.admin, area_code=None, username="admin1"),
        "coord_a": await bearer_for(
            session, role=Role.coordinator, area_code=tc.county_a.code, username="coord-a"
        ),
        "vol_a": await bearer_for(
            session, role=Role.volunteer, area_code=tc.county_a.code, username="vol-a"
        ),
    }
    await session.commit()  # releases the test savepoint: failed requests roll back only themselves
    return World(tc, headers, str(org.id))


def body(**kw: Any) -> dict[str, Any]:
    """A warehouse in 苍山西镇 (township A, no boundary) unless ``kw`` says otherwise."""
    return {"name": "镇仓库", "kind": "warehouse", "area_code": "532922100000",
            "lon": 99.9, "lat": 25.6, **kw}  # fmt: skip


def assert_problem(resp: httpx.Response, status: int, loc: list[Any] | None = None) -> dict:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    problem = resp.json()
    assert problem["status"] == status and problem["title"] and problem["detail"]
    if loc is not None:
        assert problem["errors"][0]["loc"] == loc, problem
    return problem


async def test_create_read_patch_delete(
    api: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    h = world.h["coord_a"]
    hours = {"mon": [["08:00", "12:00"], ["14:00", "24:00"]], "note": "节假日另行通知"}
    resp = await api.post(
        f"{API}/depots",
        json=body(owner_org_id=world.org_id, phone="0872-1234567", opening_hours=hours,
                  address="苍山西镇政府旁"),
        headers=h,
    )  # fmt: skip
    assert resp.status_code == 201, resp.text
    got = resp.json()
    assert got["area_code"] == "532922100000" and got["owner_org_id"] == world.org_id
    assert got["opening_hours"] == hours and got["capacity_people"] is None
    assert (got["lon"], got["lat"]) == (99.9, 25.6)
    url = f"{API}/depots/{got['id']}"
    assert (await api.get(url, headers=world.h["vol_a"])).json() == got
    resp = await api.patch(url, json={"kind": "shelter", "capacity_people": 120}, headers=h)
    assert resp.status_code == 200, resp.text
    assert resp.json()["opening_hours"] == hours  # stated hours stay
    resp = await api.patch(url, json={"opening_hours": None, "phone": None}, headers=h)
    assert resp.json()["opening_hours"] == {"always": True} and resp.json()["phone"] is None
    assert_problem(await api.patch(url, json={"lon": 99.8}, headers=h), 422, ["body", "lat"])
    assert_problem(await api.patch(url, json={"name": None}, headers=h), 422, ["body", "name"])
    assert_problem(
        await api.patch(url, json={"capacity_people": None}, headers=h),
        422,
        ["body", "capacity_people"],
    )
    assert (await api.delete(url, headers=h)).status_code == 204
    assert_problem(await api.get(url, headers=h), 404)
    types = [e.type for e in await session.scalars(select(OutboxEvent).order_by(OutboxEvent.seq))]
    assert types[-4:] == ["depot.created", "depot.updated", "depot.updated", "depot.deleted"]


@pytest.mark.parametrize(
    ("payload", "loc", "needle"),
    [
        (body(kind="bunker"), ["body", "kind"], "input"),
        (body(kind="charity_site"), ["body", "site_type"], "required"),
        (body(kind="charity_site", site_type="canteen"), ["body", "site_type"], "charity_canteen"),
        (body(site_type="park"), ["body", "site_type"], "only kind charity_site"),
        (body(kind="shelter"), ["body", "capacity_people"], "required"),
        (body(kind="assembly_point", capacity_people=0), ["body", "capacity_people"], "greater"),
        (body(opening_hours={"mon": [["20:00", "08:00"]]}), ["body", "opening_hours", "mon", 0],
         "earlier"),
        (body(opening_hours={"tue": [["8:00", "12:00"]]}),
         ["body", "opening_hours", "tue", 0, 0], "pattern"),
        (body(opening_hours={"always": True, "sun": [["08:00", "09:00"]]}),
         ["body", "opening_hours"], "not both"),
        (body(opening_hours={"monday": []}), ["body", "opening_hours", "monday"], "extra"),
        (body(lat=95), ["body", "lat"], "less than"),
        (body(lon=-181), ["body", "lon"], "greater than"),
        (body(area_code="532900000000"), ["body", "area_code"], "prefecture"),
        (body(area_code="532922000000", lon=100.5), ["body", "lon"], "outside the boundary"),
        (body(area_code="5329"), ["body", "area_code"], "pattern"),
        (body(owner_org_id="0190f1a2-0000-7000-8000-000000000000"), ["body", "owner_org_id"],
         "no organization"),
        (body(phone="call me"), ["body", "phone"], "pattern"),
        (body(name=" "), ["body", "name"], "blank"),
        ({**body(), "colour": "red"}, ["body", "colour"], "extra"),
    ],
)  # fmt: skip
async def test_bad_input_is_422_and_writes_nothing(
    api: httpx.AsyncClient,
    session: AsyncSession,
    world: World,
    payload: dict[str, Any],
    loc: list[Any],
    needle: str,
) -> None:
    before = (await count(session), await count(session, OutboxEvent))
    resp = await api.post(f"{API}/depots", json=payload, headers=world.h["admin"])
    problem = assert_problem(resp, 422, loc)
    assert needle.lower() in problem["errors"][0]["msg"].lower(), problem
    assert (await count(session), await count(session, OutboxEvent)) == before


async def test_auth_roles_and_scope(
    api: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    assert_problem(await api.post(f"{API}/depots", json=body()), 401)
    assert_problem(await api.post(f"{API}/depots", json=body(), headers=world.h["vol_a"]), 403)
    h = world.h["coord_a"]
    b_body = body(area_code="532923100000", lon=100.6, lat=25.3)
    p1 = assert_problem(await api.post(f"{API}/depots", json=b_body, headers=h), 422)
    p2 = assert_problem(
        await api.post(f"{API}/depots", json={**b_body, "area_code": "532923555000"}, headers=h),
        422,
    )
    assert p1["errors"][0]["msg"][:18] == p2["errors"][0]["msg"][:18] == "no area with code "
    theirs = await api.post(f"{API}/depots", json=b_body, headers=world.h["admin"])
    url = f"{API}/depots/{theirs.json()['id']}"
    for method in ("GET", "PATCH", "DELETE"):
        kw: dict[str, Any] = {"json": {"name": "x"}} if method == "PATCH" else {}
        assert_problem(await api.request(method, url, headers=h, **kw), 404)
    ours = (await api.post(f"{API}/depots", json=body(), headers=h)).json()
    resp = await api.patch(f"{API}/depots/{ours['id']}", json={"area_code": "532923100000"},
                           headers=h)  # fmt: skip
    assert_problem(resp, 422, ["body", "area_code"])
    resp = await api.patch(
        f"{API}/depots/{ours['id']}", json={"name": "x"}, headers=world.h["vol_a"]
    )
    assert_problem(resp, 403)
    listed = (await api.get(f"{API}/depots", headers=world.h["vol_a"])).json()["items"]
    assert [d["id"] for d in listed] == [ours["id"]]


async def test_gcj02_input_is_stored_as_wgs84(
    api: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    wgs = (99.95, 25.67)
    gcj = wgs84_to_gcj02(*wgs)
    assert abs(gcj[0] - wgs[0]) > 5e-4  # the offset is hundreds of metres
    resp = await api.post(
        f"{API}/depots?crs=gcj02", json=body(lon=gcj[0], lat=gcj[1]), headers=world.h["admin"]
    )
    assert resp.status_code == 201, resp.text
    assert (resp.json()["lon"], resp.json()["lat"]) == pytest.approx(wgs, abs=1e-8)
    url = f"{API}/depots/{resp.json()['id']}"
    moved = wgs84_to_gcj02(99.96, 25.68)
    resp = await api.patch(
        f"{url}?crs=gcj02", json={"lon": moved[0], "lat": moved[1]}, headers=world.h["admin"]
    )
    assert (resp.json()["lon"], resp.json()["lat"]) == pytest.approx(gcj02_to_wgs84(*moved))
    resp = await api.post(f"{API}/depots?crs=bd09", json=body(), headers=world.h["admin"])
    assert_problem(resp, 422, ["query", "crs"])


async def test_list_filters_and_pages(
    api: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    h = world.h["admin"]
    made = []
    for i in range(5):
        kind = {"kind": "shelter", "capacity_people": 10} if i % 2 else {}
        resp = await api.post(
            f"{API}/depots", json=body(name=f"d{i}", lon=99.9 + i / 100, **kind), headers=h
        )
        made.append(resp.json()["id"])
    b = await api.post(
        f"{API}/depots", json=body(area_code="532923000000", lon=100.6, lat=25.3, name="b",
                                   owner_org_id=world.org_id), headers=h,
    )  # fmt: skip
    seen, url = [], f"{API}/depots?area=532922000000&limit=2"
    while url:
        page = (await api.get(url, headers=h)).json()
        seen += [d["id"] for d in page["items"]]
        url = f"{API}/depots?area=532922000000&limit=2&next={page['next']}" if page["next"] else ""
    assert seen == made

    async def names(query: str) -> list[str]:
        resp = await api.get(f"{API}/depots?{query}", headers=h)
        assert resp.status_code == 200, resp.text
        return [d["name"] for d in resp.json()["items"]]

    assert await names("kind=shelter&kind=assembly_point") == ["d1", "d3"]
    assert await names(f"owner={world.org_id}") == ["b"]
    assert await names("bbox=99.915,25,99.935,26") == ["d2", "d3"]
    assert await names("near=99.9,25.6&km=1.5") == ["d0", "d1"]  # 0.01° of lon ≈ 1.0 km here
    assert b.status_code == 201
    for query, loc in [
        ("near=99.9,25.6", ["query", "km"]),
        ("km=3", ["query", "near"]),
        ("near=99.9&km=3", ["query", "near"]),
        ("bbox=1,2,3", ["query", "bbox"]),
        ("next=zzz", ["query", "next"]),
        ("next=WyJ4Il0=", ["query", "next"]),
        ("kind=castle", ["query", "kind", 0]),
        ("limit=501", ["query", "limit"]),
        ("area=532923000000&limit=5", None),
    ]:
        resp = await api.get(f"{API}/depots?{query}", headers=world.h["coord_a"])
        assert_problem(resp, 422, loc or ["query", "area"])


@pytest.mark.parametrize("how", ["query", "accept"])
async def test_geojson_feature_collection(
    api: httpx.AsyncClient, session: AsyncSession, world: World, how: str
) -> None:
    h = world.h["admin"]
    for i in range(2):
        await api.post(f"{API}/depots", json=body(name=f"d{i}", lon=99.9 + i / 10), headers=h)
    if how == "query":
        resp = await api.get(f"{API}/depots?format=geojson&limit=1", headers=h)
    else:
        resp = await api.get(
            f"{API}/depots?limit=1", headers={**h, "Accept": "application/geo+json"}
        )
    assert resp.headers["content-type"].startswith("application/geo+json")
    fc = resp.json()
    assert fc["type"] == "FeatureCollection" and fc["next"]
    (feature,) = fc["features"]
    assert feature["geometry"] == {"type": "Point", "coordinates": [99.9, 25.6]}
    props = feature["properties"]
    assert feature["id"] == props["id"] and props["name"] == "d0"
    assert "lon" not in props and "lat" not in props and props["kind"] == "warehouse"
    stored = await session.get(Depot, uuid.UUID(props["id"]))
    assert stored is not None and stored.name == "d0"
