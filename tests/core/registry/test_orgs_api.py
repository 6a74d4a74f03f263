"""Organization and community-fund routes on both engines: problem details, scope, pages."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import Role
from core.events.models import OutboxEvent
from core.registry.orgs.models import CommunityFund, Organization
from tests.conftest import bearer_for
from tests.factories import TwoCounties, two_counties

API = "/api/v1"


class World:
    def __init__(self, tc: TwoCounties, headers: dict[str, dict[str, str]]) -> None:
        self.tc, self.h = tc, headers


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
    await session.commit()  # failed requests then roll back only themselves
    return World(tc, headers)


async def count(session: AsyncSession, model: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def assert_problem(resp: httpx.Response, status: int, loc: list[Any] | None = None) -> dict:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    problem = resp.json()
    assert problem["status"] == status and problem["title"] and problem["detail"]
    if loc is not None:
        assert [e["loc"] for e in problem["errors"]] == [loc], problem
    return problem


def org_body(name: str, area: str, kind: str = "charity_organization", **kw: Any) -> dict:
    return {"name": name, "kind": kind, "area_code": area, **kw}


async def test_org_crud(api: httpx.AsyncClient, session: AsyncSession, world: World) -> None:
    h, tc = world.h["coord_a"], world.tc
    r = await api.post(
        f"{API}/organizations",
        json=org_body(
            "漾濞县慈善会", tc.county_a.code, public_fundraising=True, phone="0872-7512345"
        ),
        headers=h,
    )
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["area_code"] == tc.county_a.code and created["public_fundraising"] is True
    org_id = created["id"]
    r = await api.get(f"{API}/organizations/{org_id}", headers=world.h["vol_a"])
    assert r.status_code == 200 and r.json()["name"] == "漾濞县慈善会"
    r = await api.patch(f"{API}/organizations/{org_id}", json={"phone": None}, headers=h)
    assert r.status_code == 200 and r.json()["phone"] is None
    r = await api.patch(f"{API}/organizations/{org_id}", json={"kind": None}, headers=h)
    assert_problem(r, 422, ["body", "kind"])
    r = await api.delete(f"{API}/organizations/{org_id}", headers=world.h["vol_a"])
    assert_problem(r, 403)
    r = await api.delete(f"{API}/organizations/{org_id}", headers=h)
    assert r.status_code == 204
    assert_problem(await api.get(f"{API}/organizations/{org_id}", headers=h), 404)


@pytest.mark.parametrize(
    ("body", "status", "loc"),
    [
        (org_body("x", "532922000000", "community_social_organization"), 422, "category"),
        (org_body("x", "532922000000", credit_code="91350100M000100Y44"), 422, "credit_code"),
        (org_body("x", "532923000000"), 422, "area_code"),  # county B: not in scope
        (org_body("", "532922000000"), 422, "name"),
        (org_body("x", "532922000000", kind="church"), 422, "kind"),
        (org_body("已有", "532922000000"), 409, "name"),
    ],
)
async def test_bad_org_input_writes_nothing(
    api: httpx.AsyncClient, session: AsyncSession, world: World, body: dict, status: int, loc: str
) -> None:
    r = await api.post(
        f"{API}/organizations", json=org_body("已有", "532922000000"), headers=world.h["admin"]
    )
    assert r.status_code == 201
    before = (await count(session, Organization), await count(session, OutboxEvent))
    r = await api.post(f"{API}/organizations", json=body, headers=world.h["coord_a"])
    assert_problem(r, status, ["body", loc])
    assert (await count(session, Organization), await count(session, OutboxEvent)) == before


async def test_org_list_filters_and_pages(
    api: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    tc, admin = world.tc, world.h["admin"]
    bodies = [
        org_body("甲慈善会", tc.county_a.code),
        org_body(
            "乙文体队",
            tc.township_a.code,
            "community_social_organization",
            category="culture_sports",
            registration="township_managed",
        ),
        org_body("丙公司", tc.county_a.code, "enterprise"),
        org_body("丁慈善会", tc.county_b.code),
    ]
    for body in bodies:
        assert (await api.post(f"{API}/organizations", json=body, headers=admin)).status_code == 201

    async def names(headers: dict, **params: Any) -> list[str]:
        r = await api.get(f"{API}/organizations", params=params, headers=headers)
        assert r.status_code == 200, r.text
        return [o["name"] for o in r.json()["items"]]

    assert len(await names(admin)) == 4
    assert len(await names(world.h["coord_a"])) == 3
    assert await names(admin, area=tc.township_a.code) == ["乙文体队"]
    assert await names(admin, category="culture_sports") == ["乙文体队"]
    assert await names(admin, registration="township_managed") == ["乙文体队"]
    assert await names(admin, kind="enterprise") == ["丙公司"]
    assert sorted(await names(admin, q="慈善会")) == sorted(["甲慈善会", "丁慈善会"])
    r = await api.get(f"{API}/organizations", params={"limit": 3}, headers=admin)
    page = r.json()
    assert len(page["items"]) == 3 and page["next"]
    r = await api.get(f"{API}/organizations", params={"next": page["next"]}, headers=admin)
    assert len(r.json()["items"]) == 1 and r.json()["next"] is None
    r = await api.get(
        f"{API}/organizations", params={"area": tc.county_b.code}, headers=world.h["coord_a"]
    )
    assert_problem(r, 422, ["query", "area"])
    r = await api.get(f"{API}/organizations", params={"next": "bm9wZQ"}, headers=admin)
    assert_problem(r, 422, ["query", "next"])


async def test_fund_routes(api: httpx.AsyncClient, session: AsyncSession, world: World) -> None:
    tc, h = world.tc, world.h["coord_a"]
    r = await api.post(
        f"{API}/organizations", json=org_body("漾濞县慈善会", tc.county_a.code), headers=h
    )
    host = r.json()["id"]
    r = await api.post(
        f"{API}/organizations",
        json=org_body("蓝天救援队", tc.county_a.code, "volunteer_team"),
        headers=h,
    )
    team = r.json()["id"]
    body = {"host_org_id": host, "area_code": tc.township_a.code, "zihao": "连心"}
    for bad, loc in [
        ({**body, "name": "连心基金"}, "name"),
        ({**body, "host_org_id": team}, "host_org_id"),
        ({**body, "zihao": ""}, "zihao"),
        ({**body, "area_code": tc.county_a.code}, "area_code"),
    ]:
        r = await api.post(f"{API}/community-funds", json=bad, headers=h)
        problem = assert_problem(r, 422, ["body", loc])
        if loc == "name":
            assert "漾濞县慈善会苍山西镇连心社区基金" in problem["errors"][0]["msg"]
    assert await count(session, CommunityFund) == 0
    r = await api.post(f"{API}/community-funds", json=body, headers=h)
    assert r.status_code == 201, r.text
    fund = r.json()
    assert fund["name"] == "漾濞县慈善会苍山西镇连心社区基金"
    assert fund["area_code"] == tc.township_a.code
    assert_problem(
        await api.post(f"{API}/community-funds", json=body, headers=h), 409, ["body", "zihao"]
    )
    r = await api.get(f"{API}/community-funds", params={"host": host}, headers=world.h["vol_a"])
    assert [f["id"] for f in r.json()["items"]] == [fund["id"]]
    r = await api.patch(f"{API}/community-funds/{fund['id']}", json={"zihao": "同心"}, headers=h)
    assert r.json()["name"] == "漾濞县慈善会苍山西镇同心社区基金"
    assert_problem(await api.delete(f"{API}/organizations/{host}", headers=h), 409)
    r = await api.delete(f"{API}/community-funds/{fund['id']}", headers=h)
    assert r.status_code == 204
    assert (await api.delete(f"{API}/organizations/{host}", headers=h)).status_code == 204
