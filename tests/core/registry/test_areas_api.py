"""Area and grid routes on both engines: problem details, nothing written, scope, GeoJSON."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import Role
from core.events.models import OutboxEvent
from core.registry.areas.models import Area, Grid
from tests.conftest import bearer_for
from tests.factories import TwoCounties, two_counties

API = "/api/v1"
BOW_TIE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}


def square(lon: float, lat: float, d: float = 0.01) -> dict[str, Any]:
    """A small square (lon/lat degrees), clockwise on purpose: the API must return it CCW."""
    ring = [[lon, lat], [lon, lat + d], [lon + d, lat + d], [lon + d, lat], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def signed_area(ring: list[list[float]]) -> float:
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring)) / 2


async def count(session: AsyncSession, model: Any = Area) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def event_count(session: AsyncSession) -> int:
    return await count(session, OutboxEvent)


class World:
    def __init__(self, tc: TwoCounties, headers: dict[str, dict[str, str]]) -> None:
        self.tc = tc
        self.h = headers


@pytest.fixture
async def world(session: AsyncSession) -> World:
    tc = await two_counties(session)
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
    return World(tc, headers)


def body(code: str, level: int, parent: str | None, **kw: Any) -> dict[str, Any]:
    return {"code": code, "name": f"area {code}", "level": level, "parent_code": parent, **kw}


def assert_problem(resp: httpx.Response, status: int, loc: list[Any] | None = None) -> dict:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    problem = resp.json()
    assert problem["status"] == status and problem["title"] and problem["detail"]
    if loc is not None:
        assert problem["errors"][0]["loc"] == loc, problem
    return problem


async def test_create_each_level(api: httpx.AsyncClient, session: AsyncSession) -> None:
    headers = await bearer_for(session, role=Role.admin, area_code=None, username="root")
    chain = [
        ("530000000000", 1, None),
        ("532900000000", 2, "530000000000"),
        ("532922000000", 3, "532900000000"),
        ("532922100000", 4, "532922000000"),
        ("532922100001", 5, "532922100000"),
    ]
    for code, level, parent in chain:
        extra = {"urban_rural": "urban"} if level == 5 else {}
        resp = await api.post(
            f"{API}/areas", json=body(code, level, parent, **extra), headers=headers
        )
        assert resp.status_code == 201, resp.text
        got = resp.json()
        assert (got["code"], got["level"], got["parent_code"]) == (code, level, parent)
        assert got["area_path"].endswith(f"{code}/") and got["boundary"] is None
    assert got["urban_rural"] == "urban"
    resp = await api.get(f"{API}/areas/{got['id']}", headers=headers)
    assert resp.json()["area_path"] == "/".join(c for c, _, _ in chain) + "/"


@pytest.mark.parametrize(
    ("payload", "loc", "needle"),
    [
        (
            body("532922100001", 5, "532922100000", boundary=BOW_TIE),
            ["body", "boundary"],
            "self-intersection",
        ),
        (
            body("532922100001", 5, "532922100000", boundary=square(99.9, 95.0)),
            ["body", "boundary"],
            "latitude",
        ),
        (
            body("532922100001", 5, "532922100000", boundary=square(-190.0, 25.0)),
            ["body", "boundary"],
            "longitude",
        ),
        (
            body(
                "532922100001",
                5,
                "532922100000",
                boundary={"type": "MultiPolygon", "coordinates": []},
            ),
            ["body", "boundary"],
            "empty",
        ),
        (body("532922100001", 5, "532922000000"), ["body", "parent_code"], "county"),
        (body("532922100001", 5, "532922777000"), ["body", "parent_code"], "no area"),
        (body("53292210000X", 5, "532922100000"), ["body", "code"], "pattern"),
        (body("532922100001", 7, "532922100000"), ["body", "level"], "input"),
        (body("532922010000", 3, None), ["body", "parent_code"], "required"),
        (
            body("532922100001", 5, "532922100000", urban_rural="town"),
            ["body", "urban_rural"],
            "urban",
        ),
        ({**body("532922100001", 5, "532922100000"), "extra": 1}, ["body", "extra"], "extra"),
    ],
)
async def test_bad_input_is_422_and_writes_nothing(
    api: httpx.AsyncClient,
    session: AsyncSession,
    world: World,
    payload: dict[str, Any],
    loc: list[str],
    needle: str,
) -> None:
    before = (await count(session), await event_count(session))
    resp = await api.post(f"{API}/areas", json=payload, headers=world.h["admin"])
    problem = assert_problem(resp, 422, loc)
    assert needle in problem["errors"][0]["msg"].lower()
    assert (await count(session), await event_count(session)) == before


async def test_duplicate_code_is_409(
    api: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    before = await count(session)
    resp = await api.post(
        f"{API}/areas", json=body("532922100000", 4, "532922000000"), headers=world.h["admin"]
    )
    problem = assert_problem(resp, 409, ["body", "code"])
    assert "532922100000" in problem["detail"]
    assert await count(session) == before


async def test_auth_and_roles(api: httpx.AsyncClient, session: AsyncSession, world: World) -> None:
    new = body("532922101000", 4, "532922000000")
    assert_problem(await api.post(f"{API}/areas", json=new), 401)
    assert_problem(await api.post(f"{API}/areas", json=new, headers=world.h["vol_a"]), 403)
    resp = await api.get(f"{API}/areas/{world.tc.township_a.id}", headers=world.h["vol_a"])
    assert resp.status_code == 200


async def test_coordinator_scope(
    api: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    h, tc = world.h["coord_a"], world.tc
    resp = await api.post(f"{API}/areas", json=body("532922101000", 4, "532922000000"), headers=h)
    assert resp.status_code == 201, resp.text
    before = await count(session)
    outside = await api.post(
        f"{API}/areas", json=body("532923101000", 4, "532923000000"), headers=h
    )
    unknown = await api.post(
        f"{API}/areas", json=body("532923101000", 4, "532923555000"), headers=h
    )
    p1 = assert_problem(outside, 422, ["body", "parent_code"])
    p2 = assert_problem(unknown, 422, ["body", "parent_code"])
    assert p1["errors"][0]["msg"].replace("532923000000", "X") == p2["errors"][0]["msg"].replace(
        "532923555000", "X"
    )
    assert await count(session) == before
    for method in ("GET", "PATCH", "DELETE"):
        kw: dict[str, Any] = {"json": {"name": "x"}} if method == "PATCH" else {}
        resp = await api.request(method, f"{API}/areas/{tc.county_b.id}", headers=h, **kw)
        assert_problem(resp, 404)
    resp = await api.patch(f"{API}/areas/{tc.county_a.id}", json={"name": "x"}, headers=h)
    assert_problem(resp, 403)
    listed = await api.get(f"{API}/areas", headers=h)
    assert {a["code"] for a in listed.json()["items"]} == {
        "532922000000",
        "532922100000",
        "532922101000",
    }
    assert_problem(
        await api.get(f"{API}/areas?area=532923000000", headers=h), 422, ["query", "area"]
    )


async def test_patch_and_delete(
    api: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    h, town = world.h["admin"], world.tc.township_a
    resp = await api.patch(
        f"{API}/areas/{town.id}", json={"boundary": square(99.9, 25.6), "name": "苍山西"}, headers=h
    )
    assert resp.status_code == 200, resp.text
    got = resp.json()
    assert got["name"] == "苍山西" and got["bbox"] == pytest.approx([99.9, 25.6, 99.91, 25.61])
    assert signed_area(got["boundary"]["coordinates"][0][0]) > 0
    resp = await api.patch(f"{API}/areas/{town.id}", json={"code": "532922100009"}, headers=h)
    assert_problem(resp, 422, ["body", "code"])
    resp = await api.patch(f"{API}/areas/{town.id}", json={"boundary": BOW_TIE}, headers=h)
    assert_problem(resp, 422, ["body", "boundary"])
    resp = await api.patch(f"{API}/areas/{town.id}", json={"name": None}, headers=h)
    assert_problem(resp, 422, ["body", "name"])
    resp = await api.patch(f"{API}/areas/{town.id}", json={"boundary": None}, headers=h)
    assert resp.json()["boundary"] is None and resp.json()["name"] == "苍山西"
    problem = assert_problem(
        await api.delete(f"{API}/areas/{world.tc.county_a.id}", headers=h), 409
    )
    assert problem["children"] == 1
    resp = await api.delete(f"{API}/areas/{world.tc.township_b.id}", headers=h)
    assert resp.status_code == 204
    assert_problem(await api.get(f"{API}/areas/{world.tc.township_b.id}", headers=h), 404)
    types = [e.type for e in await session.scalars(select(OutboxEvent).order_by(OutboxEvent.seq))]
    assert types[-3:] == ["area.updated", "area.updated", "area.deleted"]


async def test_list_pagination_and_filters(
    api: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    h = world.h["admin"]
    for i in range(1, 8):
        resp = await api.post(
            f"{API}/areas",
            json=body(f"53292210000{i}", 5, "532922100000", boundary=square(99.9 + i / 100, 25.6)),
            headers=h,
        )
        assert resp.status_code == 201
    seen: list[str] = []
    url = f"{API}/areas?area=532922100000&limit=3"
    pages = 0
    while url:
        page = (await api.get(url, headers=h)).json()
        assert len(page["items"]) <= 3
        seen += [a["code"] for a in page["items"]]
        pages += 1
        url = f"{API}/areas?area=532922100000&limit=3&next={page['next']}" if page["next"] else ""
    assert pages == 3 and seen == ["532922100000"] + [f"53292210000{i}" for i in range(1, 8)]
    kids = (await api.get(f"{API}/areas?parent=532900000000", headers=h)).json()["items"]
    assert [a["code"] for a in kids] == ["532922000000", "532923000000"]
    level5 = (await api.get(f"{API}/areas?level=5&limit=500", headers=h)).json()["items"]
    assert len(level5) == 7
    hits = (await api.get(f"{API}/areas?bbox=99.925,25.0,99.935,26.0", headers=h)).json()["items"]
    assert [a["code"] for a in hits] == ["532922000000", "532922100002", "532922100003"]
    assert_problem(await api.get(f"{API}/areas?bbox=1,2,3", headers=h), 422, ["query", "bbox"])
    assert_problem(await api.get(f"{API}/areas?next=zzz", headers=h), 422, ["query", "next"])
    assert_problem(await api.get(f"{API}/areas?limit=501", headers=h), 422, ["query", "limit"])


@pytest.mark.parametrize("how", ["query", "accept"])
async def test_geojson_feature_collection(
    api: httpx.AsyncClient, session: AsyncSession, world: World, how: str
) -> None:
    h = world.h["admin"]
    resp = await api.post(
        f"{API}/areas",
        json=body("532922100001", 5, "532922100000", boundary=square(99.95, 25.66)),
        headers=h,
    )
    assert resp.status_code == 201
    if how == "query":
        resp = await api.get(f"{API}/areas?area=532922000000&format=geojson", headers=h)
    else:
        headers = {**h, "Accept": "application/geo+json"}
        resp = await api.get(f"{API}/areas?area=532922000000", headers=headers)
    assert resp.headers["content-type"].startswith("application/geo+json")
    fc = resp.json()
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 3
    for feature in fc["features"]:
        assert feature["type"] == "Feature" and feature["id"] == feature["properties"]["id"]
        assert "boundary" not in feature["properties"]
        geom = feature["geometry"]
        if geom is None:
            continue
        assert geom["type"] == "MultiPolygon"
        for polygon in geom["coordinates"]:
            assert signed_area(polygon[0]) > 0  # exterior rings counter-clockwise
            for lon, lat in polygon[0]:
                assert 99 < lon < 101 and 25 < lat < 26  # lon/lat order
    assert [f["properties"]["code"] for f in fc["features"]] == [
        "532922000000",
        "532922100000",
        "532922100001",
    ]


async def test_grid_routes(api: httpx.AsyncClient, session: AsyncSession, world: World) -> None:
    h = world.h["coord_a"]
    resp = await api.post(f"{API}/areas", json=body("532922100001", 5, "532922100000"), headers=h)
    community = resp.json()
    url = f"{API}/areas/{community['id']}/grids"
    resp = await api.post(
        url, json={"code": "01", "name": "第一网格", "boundary": square(99.95, 25.66)}, headers=h
    )
    assert resp.status_code == 201, resp.text
    grid = resp.json()
    assert grid["area_path"] == community["area_path"] and grid["community_code"] == "532922100001"
    before = await count(session, Grid)
    assert_problem(
        await api.post(url, json={"code": "01", "name": "again"}, headers=h), 409, ["body", "code"]
    )
    bad = {"code": "02", "name": "x", "boundary": BOW_TIE}
    assert_problem(await api.post(url, json=bad, headers=h), 422, ["body", "boundary"])
    town_url = f"{API}/areas/{world.tc.township_a.id}/grids"
    assert_problem(
        await api.post(town_url, json={"code": "03", "name": "x"}, headers=h),
        422,
        ["path", "area_id"],
    )
    b_url = f"{API}/areas/{world.tc.township_b.id}/grids"
    assert_problem(await api.post(b_url, json={"code": "03", "name": "x"}, headers=h), 404)
    assert await count(session, Grid) == before
    listed = (await api.get(f"{API}/grids?community=532922100001", headers=h)).json()
    assert [g["id"] for g in listed["items"]] == [grid["id"]]
    fc = (await api.get(f"{API}/grids?format=geojson", headers=h)).json()
    assert (
        fc["type"] == "FeatureCollection"
        and fc["features"][0]["geometry"]["type"] == "MultiPolygon"
    )
    resp = await api.patch(f"{API}/grids/{grid['id']}", json={"name": "一网格"}, headers=h)
    assert resp.json()["name"] == "一网格"
    assert_problem(await api.delete(f"{API}/areas/{community['id']}", headers=h), 409)
    assert (await api.delete(f"{API}/grids/{grid['id']}", headers=h)).status_code == 204
    assert_problem(await api.get(f"{API}/grids/{grid['id']}", headers=h), 404)
    assert (await api.delete(f"{API}/areas/{community['id']}", headers=h)).status_code == 204
