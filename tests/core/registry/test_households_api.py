"""Household routes on both engines: create with members, bad input, filters, GeoJSON,
personal fields by role, the access log."""

from __future__ import annotations

import math
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.app import create_app
from core.auth.models import PersonalDataAccess
from core.auth.roles import Role
from core.events.models import OutboxEvent
from core.geo.distance import EARTH_RADIUS_M
from core.geo.gcj02 import wgs84_to_gcj02
from core.registry.households.create import create_households
from core.registry.households.models import Household, Person
from core.registry.households.schemas import HouseholdCreate
from tests.conftest import bearer_for
from tests.core.registry.households_world import (
    API,
    HouseholdWorld,
    add_headers,
    build_world,
    contact_of,
    count,
    household,
    member,
)


@pytest.fixture
async def world(session: AsyncSession) -> HouseholdWorld:
    w = await build_world(session)
    await add_headers(session, w)
    await session.commit()  # releases the test savepoint: failed requests roll back only themselves
    return w


async def post(api: httpx.AsyncClient, headers: dict[str, str], body: dict, **params: Any) -> dict:
    resp = await api.post(f"{API}/households", json=body, headers=headers, params=params)
    assert resp.status_code == 201, resp.text
    return resp.json()


def assert_problem(resp: httpx.Response, status: int, loc: list[Any] | None = None) -> dict:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    problem = resp.json()
    if loc is not None:
        assert problem["errors"][0]["loc"] == loc, problem
    return problem


async def ids_of(api: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> set[str]:
    resp = await api.get(f"{API}/households", headers=headers, params={"limit": 500, **params})
    assert resp.status_code == 200, resp.text
    return {item["id"] for item in resp.json()["items"]}


async def log_rows(session: AsyncSession) -> list[PersonalDataAccess]:
    stmt = select(PersonalDataAccess).order_by(PersonalDataAccess.id)
    return list((await session.scalars(stmt)).all())


async def test_create_with_members_and_contact(api, session, world) -> None:
    body = household(
        99.91, 25.61, code="YB-1", phone="0872-1234567", contact_index=1,
        members=[member("王奶奶", birth_year=1938, sex="female",
                        tags=["aged_80_plus", "living_alone", "aged_80_plus"],
                        languages=["iii", "cmn"]),
                 member("王强", birth_year=1975, sex="male", phone="13800000001")],
    )  # fmt: skip
    got = await post(api, world.h["coord_a"], body)
    assert (got["community_code"], got["grid_id"]) == (world.c1.code, str(world.g1.id))
    assert got["personal"] and got["point_exact"] and (got["lon"], got["lat"]) == (99.91, 25.61)
    assert got["member_count"] == 2 and got["address"] == "苍山西镇 1 号"
    grandma, son = got["members"]
    assert grandma["tags"] == ["aged_80_plus", "living_alone"]
    assert grandma["languages"] == ["iii", "cmn"] and grandma["is_contact"] is False
    assert son["is_contact"] and got["contact_person_id"] == son["id"]
    resp = await api.get(f"{API}/households/{got['id']}", headers=world.h["coord_a"])
    assert resp.json() == got
    purposes = [(r.subject_kind, r.purpose) for r in await log_rows(session)]
    assert purposes.count(("person", f"GET /api/v1/households/{got['id']}")) == 2
    assert purposes.count(("household", f"GET /api/v1/households/{got['id']}")) == 1


@pytest.mark.parametrize(
    ("changes", "loc", "needle"),
    [
        ({"members": [member("甲", tags=["aged_80_plus", "flying"])]},
         ["body", "members", 0, "tags", 1], "unknown vulnerability tag 'flying'"),
        ({"members": [member("甲", languages=["klingon"])]},
         ["body", "members", 0, "languages", 0], "unknown language"),
        ({"members": [member("甲", sex="x")]}, ["body", "members", 0, "sex"], "female"),
        ({"members": [member("甲", birth_year=2999)]}, ["body", "members", 0, "birth_year"],
         "future"),
        ({"members": [member(" ")]}, ["body", "members", 0, "name"], "blank"),
        ({"lat": 95.0}, ["body", "lat"], "90"),
        ({"contact_index": 3}, ["body", "contact_index"], "no member at position 3"),
        ({"phone": "call me"}, ["body", "phone"], "pattern"),
        ({"community_code": "532922100001", "lon": 100.15, "lat": 25.85}, ["body", "lon"],
         "outside the boundary of community 532922100001"),
        ({"lon": 100.15, "lat": 25.85}, ["body", "community_code"], "name the community"),
        ({"grid_code": "02"}, ["body", "lon"], "outside grid 02"),
        ({"grid_code": "77"}, ["body", "grid_code"], "no grid 77"),
        ({"extra": 1}, ["body", "extra"], "Extra"),
    ],
)  # fmt: skip
async def test_bad_input_is_422_and_writes_nothing(
    api, session, world, changes: dict[str, Any], loc: list[Any], needle: str
) -> None:
    before = [await count(session, m) for m in (Household, Person, OutboxEvent)]
    resp = await api.post(
        f"{API}/households", json={**household(99.91, 25.61), **changes}, headers=world.h["coord_a"]
    )
    problem = assert_problem(resp, 422, loc)
    assert needle in problem["errors"][0]["msg"]
    assert [await count(session, m) for m in (Household, Person, OutboxEvent)] == before


async def test_duplicate_code_is_409(api, session, world) -> None:
    await post(api, world.h["coord_a"], household(99.91, 25.61, code="YB-9"))
    before = await count(session, Household)
    resp = await api.post(
        f"{API}/households", json=household(99.97, 25.61, code="YB-9"), headers=world.h["admin"]
    )
    assert "YB-9" in assert_problem(resp, 409, ["body", "code"])["detail"]
    assert await count(session, Household) == before


async def test_gcj02_input_is_stored_as_wgs84(api, world) -> None:
    lon, lat = wgs84_to_gcj02(99.97, 25.65)
    got = await post(api, world.h["coord_a"], household(lon, lat), crs="gcj02")
    assert got["grid_id"] == str(world.g2.id)
    assert math.isclose(got["lon"], 99.97, abs_tol=1e-5)
    assert math.isclose(got["lat"], 25.65, abs_tol=1e-5)


async def test_list_filters(api, world) -> None:
    h = world.h["coord_a"]
    west = await post(api, h, household(99.91, 25.61, members=[member("甲", tags=["dibao"])]))
    east = await post(api, h, household(99.97, 25.61))
    c3 = household(100.15, 25.85, community_code=world.c3.code,
                   members=[member("乙", tags=["disabled"])])  # fmt: skip
    village = await post(api, h, c3)
    theirs = await post(api, world.h["admin"], household(100.65, 25.35))
    ids = {"west": west["id"], "east": east["id"], "c3": village["id"]}
    assert await ids_of(api, h) == set(ids.values())
    assert theirs["id"] in await ids_of(api, world.h["admin"])
    assert await ids_of(api, h, area=world.c1.code) == {ids["west"], ids["east"]}
    assert await ids_of(api, h, community=world.c3.code) == {ids["c3"]}
    assert await ids_of(api, h, grid=str(world.g2.id)) == {ids["east"]}
    assert await ids_of(api, h, bbox="99.9,25.6,99.95,25.7") == {ids["west"]}
    tagged = await ids_of(api, h, has_tag=["dibao", "disabled"])
    assert tagged == {ids["west"], ids["c3"]}
    resp = await api.get(f"{API}/households", headers=h, params={"has_tag": ["dibao", "x"]})
    assert_problem(resp, 422, ["query", "has_tag", 1])
    resp = await api.get(f"{API}/households", headers=h, params={"area": world.c4.code})
    assert_problem(resp, 422, ["query", "area"])
    seen, cursor = [], None
    while True:
        params = {"limit": 1, **({"next": cursor} if cursor else {})}
        page = (await api.get(f"{API}/households", headers=h, params=params)).json()
        seen += [item["id"] for item in page["items"]]
        if not (cursor := page["next"]):
            break
    assert seen == sorted(ids.values())


def east_of(lon: float, lat: float, metres: float) -> float:
    """The longitude ``metres`` due east of (lon, lat) along the parallel, on the sphere."""
    half = math.sin(metres / (2 * EARTH_RADIUS_M)) / math.cos(math.radians(lat))
    return lon + math.degrees(2 * math.asin(half))


async def test_near_uses_spherical_distance(api, world) -> None:
    h = world.h["coord_a"]
    inside = await post(api, h, household(east_of(99.91, 25.65, 995.0), 25.65))
    outside = await post(api, h, household(east_of(99.91, 25.65, 1005.0), 25.65))
    found = await ids_of(api, h, near="99.91,25.65", km=1)
    assert inside["id"] in found and outside["id"] not in found
    resp = await api.get(f"{API}/households", headers=h, params={"near": "99.91,25.65"})
    assert_problem(resp, 422, ["query", "km"])


async def test_geojson(api, world) -> None:
    h = world.h["coord_a"]
    got = await post(api, h, household(99.91, 25.61))
    for params, accept in (({"format": "geojson"}, {}), ({}, {"Accept": "application/geo+json"})):
        resp = await api.get(f"{API}/households", params=params, headers={**h, **accept})
        assert resp.headers["content-type"].startswith("application/geo+json")
        (feature,) = resp.json()["features"]
        assert feature["id"] == got["id"]
        assert feature["geometry"] == {"type": "Point", "coordinates": [99.91, 25.61]}
        assert "lon" not in feature["properties"] and feature["properties"]["address"]


async def test_personal_fields_are_absent_without_the_right(api, session, world) -> None:
    body = household(99.912345, 25.614321, phone="0872-7654321")
    west = await post(api, world.h["coord_a"], body)
    east = await post(api, world.h["coord_a"], household(99.97, 25.61))
    before = len(await log_rows(session))
    resp = await api.get(f"{API}/households", headers=world.h["auditor_a"])
    for item in resp.json()["items"]:
        assert not item["personal"] and not item["point_exact"]
        assert item["address"] is None and item["phone"] is None
        assert item["contact_person_id"] is None and item["member_count"] == 1
    item = next(i for i in resp.json()["items"] if i["id"] == west["id"])
    assert (item["lon"], item["lat"]) == (99.912, 25.614)
    resp = await api.get(f"{API}/households/{west['id']}", headers=world.h["auditor_a"])
    assert resp.json()["members"] is None and resp.json()["address"] is None
    assert await ids_of(api, world.h["auditor_a"], bbox="99.9,25.6,100,25.7") == set()
    assert len(await log_rows(session)) == before  # nothing personal was read
    resp = await api.get(f"{API}/households/{west['id']}", headers=world.h["auditor_granted"])
    assert resp.json()["members"][0]["name"] == "李四" and resp.json()["lon"] == 99.912345
    resp = await api.get(f"{API}/households", headers=world.h["grid_01"])
    personal = {i["id"]: i["personal"] for i in resp.json()["items"]}
    assert personal == {west["id"]: True, east["id"]: False}
    assert await ids_of(api, world.h["vol_a"]) == set()
    assert_problem(await api.get(f"{API}/households/{west['id']}", headers=world.h["vol_a"]), 404)
    assert_problem(await api.get(f"{API}/households/{west['id']}", headers=world.h["coord_b"]), 404)


async def test_each_personal_read_is_logged(api, session, world) -> None:
    for lon in (99.91, 99.92, 99.97):
        await post(api, world.h["coord_a"], household(lon, 25.61))
    start = len(await log_rows(session))
    resp = await api.get(f"{API}/households", headers=world.h["grid_01"])
    rows = (await log_rows(session))[start:]
    readable = {i["id"] for i in resp.json()["items"] if i["personal"]}
    assert len(readable) == 2 and {str(r.subject_id) for r in rows} == readable
    assert {(r.subject_kind, r.purpose, r.role) for r in rows} == {
        ("household", "GET /api/v1/households", "grid_worker")
    }


async def test_patch_and_delete(api, session, world) -> None:
    h = world.h["coord_a"]
    got = await post(api, h, household(99.91, 25.61, members=[member("甲"), member("乙")]))
    other = await post(api, h, household(99.97, 25.61))
    url = f"{API}/households/{got['id']}"
    second = got["members"][1]["id"]
    resp = await api.patch(url, json={"phone": "13900000000", "contact_person_id": second},
                           headers=h)  # fmt: skip
    assert resp.status_code == 200, resp.text
    assert resp.json()["contact_person_id"] == second and resp.json()["members"][1]["is_contact"]
    bad = {"contact_person_id": other["members"][0]["id"]}
    assert_problem(await api.patch(url, json=bad, headers=h), 422, ["body", "contact_person_id"])
    assert_problem(
        await api.patch(url, json={"address": None}, headers=h), 422, ["body", "address"]
    )
    lon, lat = wgs84_to_gcj02(99.97, 25.62)
    resp = await api.patch(url, json={"lon": lon, "lat": lat}, params={"crs": "gcj02"}, headers=h)
    assert resp.json()["grid_id"] == str(world.g2.id)
    assert_problem(await api.patch(url, json={"lon": 100.15, "lat": 25.85}, headers=h), 422,
                   ["body", "lon"])  # fmt: skip
    resp = await api.delete(url, headers=h)
    assert resp.status_code == 204
    assert_problem(await api.get(url, headers=h), 404)
    assert await count(session, Person) == 1


async def test_household_contact_sees_and_changes_only_their_own(api, session, world) -> None:
    own = await post(api, world.h["coord_a"], household(99.91, 25.61))
    other = await post(api, world.h["coord_a"], household(99.92, 25.61))
    h = await contact_of(session, own["id"], world.c1.code, "contact-1")
    await session.commit()
    assert await ids_of(api, h) == {own["id"]}
    resp = await api.get(f"{API}/households/{own['id']}", headers=h)
    assert resp.json()["personal"] and resp.json()["members"][0]["name"] == "李四"
    assert_problem(await api.get(f"{API}/households/{other['id']}", headers=h), 404)
    resp = await api.patch(f"{API}/households/{own['id']}", json={"phone": "0872-1"}, headers=h)
    assert resp.status_code == 200 and resp.json()["phone"] == "0872-1"
    resp = await api.patch(f"{API}/households/{own['id']}", json={"address": "x"}, headers=h)
    assert_problem(resp, 403)
    assert_problem(await api.delete(f"{API}/households/{own['id']}", headers=h), 403)
    assert_problem(
        await api.post(f"{API}/households", json=household(99.91, 25.61), headers=h), 403
    )


async def test_roles_that_never_write(api, world) -> None:
    got = await post(api, world.h["coord_a"], household(99.91, 25.61))
    url = f"{API}/households/{got['id']}"
    for name in ("auditor_a", "auditor_granted"):
        assert_problem(await api.patch(url, json={"phone": "1234"}, headers=world.h[name]), 403)
        assert_problem(await api.delete(url, headers=world.h[name]), 403)
    for name in ("auditor_a", "vol_a"):
        resp = await api.post(f"{API}/households", json=household(99.91, 25.61),
                              headers=world.h[name])  # fmt: skip
        assert_problem(resp, 403)
    assert_problem(await api.patch(url, json={"phone": "1234"}, headers=world.h["vol_a"]), 404)
    assert_problem(await api.get(f"{API}/households"), 401)


async def test_the_log_commits_with_a_read_only_request(committed, settings) -> None:
    """GET requests use the reader session; the access-log rows must still be committed."""
    async with committed.transaction() as s:
        w = await build_world(s)
        headers = await bearer_for(
            s, role=Role.coordinator, area_code=w.tc.county_a.code, username="coord"
        )
        data = HouseholdCreate.model_validate(household(99.91, 25.61))
        (hid,) = await create_households(session=s, principal=None, rows=[data])
    app = create_app(settings, database=committed, background=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        resp = await client.get(f"{API}/households/{hid}", headers=headers)
    assert resp.status_code == 200 and resp.json()["members"][0]["name"] == "李四"
    async with committed.reader() as s:
        kinds = sorted(await s.scalars(select(PersonalDataAccess.subject_kind)))
    assert kinds == ["household", "person"]
