"""Volunteer routes on both engines: CRUD, bad input, filters, GeoJSON, personal data, /me."""

from __future__ import annotations

import math
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.models import PersonalDataAccess
from core.auth.roles import Role
from core.events.models import OutboxEvent
from core.geo.distance import EARTH_RADIUS_M, haversine_m
from core.geo.gcj02 import gcj02_to_wgs84
from core.registry.volunteers.models import Volunteer, VolunteerSkill
from tests.access.routes_volunteers import make_community, make_person, make_volunteer
from tests.conftest import bearer_for
from tests.factories import TwoCounties, two_counties

API = "/api/v1/volunteers"


async def count(session: AsyncSession, model: Any = Volunteer) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


class World:
    def __init__(self, tc: TwoCounties, h: dict[str, dict[str, str]]) -> None:
        self.tc, self.h = tc, h


@pytest.fixture
async def world(session: AsyncSession) -> World:
    tc = await two_counties(session)
    h = {
        "admin": await bearer_for(session, role=Role.admin, area_code=None, username="admin1"),
        "coord_a": await bearer_for(
            session, role=Role.coordinator, area_code=tc.county_a.code, username="coord-a"
        ),
        "auditor_a": await bearer_for(
            session, role=Role.auditor, area_code=tc.county_a.code, username="auditor-a"
        ),
        "contact_a": await bearer_for(
            session, role=Role.household_contact, area_code=tc.county_a.code, username="contact-a"
        ),
    }
    await session.commit()  # a failed request then rolls back only itself
    return World(tc, h)


def body(**kw: Any) -> dict[str, Any]:
    return {"name": "王芳", "area_code": "532922000000", "lon": 99.9, "lat": 25.6, **kw}


def assert_problem(resp: httpx.Response, status: int, loc: list[Any] | None = None) -> dict:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    problem = resp.json()
    if loc is not None:
        assert loc in [e["loc"] for e in problem["errors"]], problem
    return problem


async def test_create_get_patch_delete(api, session, world) -> None:
    h = world.h["coord_a"]
    payload = body(
        phone="13800000000",
        skills=["driving", "first_aid"],
        vehicle_class="C1",
        languages=["cmn", "iii", "hni"],
        certifications=[
            {"kind": "first_aid_certificate", "number": "RC-1", "expires_on": "2027-06-30"}
        ],
        availability={"sat": [["09:00", "12:00"]]},
        max_travel_km=25,
        insurance_valid_until="2026-12-31",
    )  # fmt: skip
    r = await api.post(API, json=payload, headers=h)
    assert r.status_code == 201, r.text
    got = r.json()
    assert got["personal"] and got["name"] == "王芳" and got["area_code"] == "532922000000"
    assert got["skills"] == ["driving", "first_aid"] and got["languages"] == ["cmn", "hni", "iii"]
    assert got["certifications"][0]["number"] == "RC-1"
    vid = got["id"]
    r = await api.patch(f"{API}/{vid}", json={"hours_served": 7.5, "phone": None}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["hours_served"] == 7.5 and r.json()["phone"] is None
    r = await api.get(f"{API}/{vid}", headers=h)
    assert r.json()["max_travel_km"] == 25
    r = await api.delete(f"{API}/{vid}", headers=h)
    assert r.status_code == 204
    assert (await api.get(f"{API}/{vid}", headers=h)).status_code == 404
    assert await count(session) == 0 and await count(session, VolunteerSkill) == 0


@pytest.mark.parametrize(
    ("payload", "loc"),
    [
        (body(skills=["first_aid", "flying"]), ["body", "skills", 1]),
        (body(languages=["xx"]), ["body", "languages", 0]),
        (body(skills=["driving"]), ["body", "vehicle_class"]),
        (body(vehicle_class="C1"), ["body", "vehicle_class"]),
        (body(skills=["driving"], vehicle_class="Z9"), ["body", "vehicle_class"]),
        (body(certifications=[{"kind": "wizard"}]), ["body", "certifications", 0, "kind"]),
        (body(availability={"mon": [["18:00", "08:00"]]}), ["body", "availability"]),
        (body(max_travel_km=0), ["body", "max_travel_km"]),
        (body(max_travel_km=201), ["body", "max_travel_km"]),
        (body(max_active_tasks=0), ["body", "max_active_tasks"]),
        (body(hours_served=-1), ["body", "hours_served"]),
        (body(lat=95), ["body", "lat"]),
        (body(lon=100.7, lat=25.5), ["body", "lon"]),
        (body(area_code="532923000000", lon=100.7, lat=25.5), ["body", "area_code"]),
        (body(area_code="530000000000"), ["body", "area_code"]),
        (body(person_id="0190c2d3-0000-7000-8000-000000000000"), ["body", "person_id"]),
        (body(status="retired"), ["body", "status"]),
        (body(name="  "), ["body", "name"]),
        (body(nickname="x"), ["body", "nickname"]),
    ],
)
async def test_bad_input_names_the_field_and_writes_nothing(api, session, world, payload, loc):
    events = await count(session, OutboxEvent)
    r = await api.post(API, json=payload, headers=world.h["coord_a"])
    assert_problem(r, 422, loc)
    assert await count(session) == 0 and await count(session, OutboxEvent) == events


async def test_links_conflict_409(api, session, world) -> None:
    community = await make_community(session, world.tc.township_a)
    person = await make_person(session, community)
    await session.commit()
    h = world.h["coord_a"]
    r = await api.post(API, json=body(person_id=str(person.id)), headers=h)
    assert r.status_code == 201, r.text
    r = await api.post(API, json=body(person_id=str(person.id)), headers=h)
    assert_problem(r, 409, ["body", "person_id"])
    assert await count(session) == 1


async def test_gcj02_input_is_stored_as_wgs84(api, session, world) -> None:
    h = world.h["coord_a"]
    r = await api.post(API, params={"crs": "gcj02"}, json=body(), headers=h)
    assert r.status_code == 201, r.text
    lon, lat = gcj02_to_wgs84(99.9, 25.6)
    assert r.json()["lon"] == pytest.approx(lon) and r.json()["lat"] == pytest.approx(lat)
    assert abs(r.json()["lon"] - 99.9) > 5e-4  # it really moved (a few hundred metres)
    vid = r.json()["id"]
    r = await api.patch(f"{API}/{vid}", params={"crs": "gcj02"}, json={"lon": 99.8}, headers=h)
    assert_problem(r, 422, ["body", "lat"])


def east_of(lon: float, lat: float, metres: float) -> float:
    """The longitude ``metres`` due east of (lon, lat) on the sphere (same latitude)."""
    half = math.sin(metres / (2 * EARTH_RADIUS_M)) / math.cos(math.radians(lat))
    return lon + math.degrees(2 * math.asin(half))


async def test_filters(api, session, world) -> None:
    tc = world.tc
    centre = (99.9, 25.6)
    inside = east_of(*centre, 9_990)
    outside = east_of(*centre, 10_010)
    assert haversine_m(inside, 25.6, *centre) < 10_000 < haversine_m(outside, 25.6, *centre)
    ids = {
        "near": await make_volunteer(
            session, tc.county_a, lon=inside, lat=25.6, skills=["first_aid", "medical"],
            languages=["iii"], insurance_valid_until="2026-06-30",
            availability={"mon": [["08:00", "18:00"]]},
        ),
        "far": await make_volunteer(
            session, tc.county_a, lon=outside, lat=25.6, skills=["first_aid"],
            languages=["cmn"], status="inactive",
        ),
        "town": await make_volunteer(
            session, tc.township_a, lon=99.7, lat=25.45, languages=["bca"]
        ),
        "b": await make_volunteer(session, tc.county_b, skills=["first_aid", "medical"]),
    }  # fmt: skip
    await session.commit()
    name = {str(v): k for k, v in ids.items()}

    async def found(headers: str = "admin", **params: Any) -> set[str]:
        r = await api.get(API, params=params, headers=world.h[headers])
        assert r.status_code == 200, r.text
        return {name[item["id"]] for item in r.json()["items"]}

    assert await found() == {"near", "far", "town", "b"}
    assert await found("coord_a") == {"near", "far", "town"}
    assert await found(area=tc.township_a.code) == {"town"}
    assert await found(bbox=f"99.8,25.55,{(inside + outside) / 2},25.65") == {"near"}
    assert await found(near="99.9,25.6", km=10) == {"near"}
    assert await found(near="99.9,25.6", km=10.02) == {"near", "far"}
    assert await found(skill=["first_aid", "medical"]) == {"near", "b"}
    assert await found("coord_a", skill=["first_aid"]) == {"near", "far"}
    assert await found(language=["iii", "bca"]) == {"near", "town"}
    assert await found(status="inactive") == {"far"}
    assert await found(insured_on="2026-06-30") == {"near"}
    assert await found(insured_on="2026-07-01") == set()
    monday_9 = "2026-03-02T01:00:00Z"  # Monday 09:00 in Shanghai
    assert await found(available_at=monday_9) == {"near", "far", "town", "b"}
    sunday_23 = "2026-03-01T15:00:00Z"  # Sunday 23:00 in Shanghai
    assert await found(available_at=sunday_23) == {"far", "town", "b"}
    assert await found(available_at="2026-03-02T09:00:00+08:00", limit=1) == {"near"}
    for params, loc in [
        ({"skill": ["flying"]}, ["query", "skill", 0]),
        ({"language": ["cmn", "xx"]}, ["query", "language", 1]),
        ({"near": "99.9,25.6"}, ["query", "km"]),
        ({"bbox": "1,2,3"}, ["query", "bbox"]),
        ({"area": tc.county_b.code}, ["query", "area"]),
    ]:
        r = await api.get(API, params=params, headers=world.h["coord_a"])
        assert_problem(r, 422, loc)


async def test_paging_with_available_at(api, session, world) -> None:
    for i in range(5):
        hours = {"always": True} if i % 2 == 0 else {"sun": [["00:00", "01:00"]]}
        await make_volunteer(session, world.tc.county_a, availability=hours)
    await session.commit()
    seen, cursor = [], None
    while True:
        params = {"limit": 2, "available_at": "2026-03-02T01:00:00Z"}
        r = await api.get(
            API, params=params | ({"next": cursor} if cursor else {}), headers=world.h["admin"]
        )
        seen += [item["id"] for item in r.json()["items"]]
        cursor = r.json()["next"]
        if cursor is None:
            break
    assert len(seen) == 3 == len(set(seen))
    assert_problem(await api.get(API, params={"next": "bm9wZQ"}, headers=world.h["admin"]), 422)


async def test_geojson(api, session, world) -> None:
    vid = await make_volunteer(session, world.tc.county_a, lon=99.91, lat=25.61)
    await session.commit()
    r = await api.get(API, params={"format": "geojson"}, headers=world.h["coord_a"])
    assert r.headers["content-type"].startswith("application/geo+json")
    (feature,) = r.json()["features"]
    assert feature["id"] == str(vid)
    assert feature["geometry"] == {"type": "Point", "coordinates": [99.91, 25.61]}
    assert "lon" not in feature["properties"] and feature["properties"]["name"]
    r = await api.get(API, headers={**world.h["coord_a"], "Accept": "application/geo+json"})
    assert r.json()["type"] == "FeatureCollection"


async def test_personal_data_is_masked_and_reads_are_logged(api, session, world) -> None:
    vid = await make_volunteer(
        session, world.tc.county_a, phone="13900000000",
        certifications=[{"kind": "driving_license", "number": "530000199001010000"}],
    )  # fmt: skip
    granted = await bearer_for(
        session, role=Role.auditor, area_code=world.tc.county_a.code, username="auditor-g",
        can_read_personal=True,
    )  # fmt: skip
    await session.commit()
    logs = await count(session, PersonalDataAccess)
    r = await api.get(f"{API}/{vid}", headers=world.h["auditor_a"])
    got = r.json()
    assert not got["personal"] and got["name"] is None and got["phone"] is None
    assert got["certifications"][0]["number"] is None and got["certifications"][0]["kind"]
    assert await count(session, PersonalDataAccess) == logs
    r = await api.get(f"{API}/{vid}", headers=granted)
    assert r.json()["phone"] == "13900000000"
    r = await api.get(API, headers=world.h["coord_a"])
    assert r.json()["items"][0]["name"]
    rows = (await session.scalars(select(PersonalDataAccess))).all()
    assert len(rows) == logs + 2
    assert {(x.subject_kind, x.subject_id, x.purpose) for x in rows} == {
        ("volunteer", vid, f"GET {API}/{vid}"),
        ("volunteer", vid, f"GET {API}"),
    }
    assert_problem(await api.get(API, headers=world.h["contact_a"]), 403)


async def test_me(api, session, world) -> None:
    h_vol = await bearer_for(
        session, role=Role.volunteer, area_code=world.tc.county_a.code, username="vol-me"
    )
    other = await make_volunteer(session, world.tc.county_a)
    await session.commit()
    assert_problem(await api.get(f"{API}/me", headers=h_vol), 404)
    me = (await api.get("/api/v1/auth/me", headers=h_vol)).json()
    r = await api.post(API, json=body(user_id=me["user_id"]), headers=world.h["coord_a"])
    assert r.status_code == 201, r.text
    vid = r.json()["id"]
    logs = await count(session, PersonalDataAccess)
    r = await api.get(f"{API}/me", headers=h_vol)
    assert r.status_code == 200 and r.json()["id"] == vid and r.json()["name"] == "王芳"
    r = await api.get(API, headers=h_vol)
    assert [item["id"] for item in r.json()["items"]] == [vid]
    assert (await api.get(f"{API}/{other}", headers=h_vol)).status_code == 404
    assert (await api.get(f"{API}/{vid}", headers=h_vol)).status_code == 200
    assert await count(session, PersonalDataAccess) == logs  # their own profile: not logged
    patch = {
        "phone": "13711112222",
        "languages": ["lis"],
        "availability": {"sun": [["08:00", "12:00"]]},
    }
    r = await api.patch(f"{API}/me", json=patch, headers=h_vol)
    assert r.status_code == 200, r.text
    assert r.json()["languages"] == ["lis"] and r.json()["availability"] == patch["availability"]
    r = await api.patch(f"{API}/me", json={"skills": ["medical"]}, headers=h_vol)
    assert_problem(r, 422, ["body", "skills"])
    r = await api.patch(f"{API}/me", json={"languages": ["xx"]}, headers=h_vol)
    assert_problem(r, 422, ["body", "languages", 0])
    assert_problem(await api.patch(f"{API}/{vid}", json={"hours_served": 1}, headers=h_vol), 403)
    assert_problem(await api.get(f"{API}/me", headers=world.h["coord_a"]), 404)


async def test_certification_routes(api, session, world) -> None:
    vid = await make_volunteer(session, world.tc.county_a)
    await session.commit()
    h = world.h["coord_a"]
    r = await api.post(f"{API}/{vid}/certifications", json={"kind": "rescue_team"}, headers=h)
    assert r.status_code == 201, r.text
    cert = r.json()["id"]
    r = await api.post(
        f"{API}/{vid}/certifications", json={"kind": "rescue_team", "expires_on": "soon"}, headers=h
    )
    assert_problem(r, 422, ["body", "expires_on"])
    r = await api.get(f"{API}/{vid}", headers=h)
    assert [c["id"] for c in r.json()["certifications"]] == [cert]
    assert (await api.delete(f"{API}/{vid}/certifications/{cert}", headers=h)).status_code == 204
    assert (await api.delete(f"{API}/{vid}/certifications/{cert}", headers=h)).status_code == 404
