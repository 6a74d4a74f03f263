"""Item catalogue routes on both engines: national reads, admin-only writes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import Role
from core.ids import uuid7
from core.registry.items.catalogue import sync_catalogue
from core.registry.items.models import Item
from tests.conftest import bearer_for
from tests.factories import two_counties

API = "/api/v1"
NEW = {
    "code": "FOOD-TSAMPA-KG",
    "name_zh": "糌粑",
    "name_en": "Tsampa (roasted barley flour)",
    "base_unit": "kg",
    "category": "food",
    "pack_sizes": [{"unit": "bag_5kg", "qty": 5}],
}


@pytest.fixture
async def headers(session: AsyncSession) -> dict[str, dict[str, str]]:
    await sync_catalogue(session=session)
    admin = await bearer_for(session, role=Role.admin, area_code=None, username="admin1")
    await session.commit()
    return {"admin": admin}


async def user(session: AsyncSession, role: Role, name: str) -> dict[str, str]:
    tc = await two_counties(session)
    return await bearer_for(session, role=role, area_code=tc.county_a.code, username=name)


async def count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Item)) or 0)


def assert_problem(resp: httpx.Response, status: int, loc: list[Any] | None = None) -> None:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    if loc is not None:
        assert resp.json()["errors"][0]["loc"] == loc


async def test_anyone_authenticated_reads(
    api: httpx.AsyncClient, session: AsyncSession, headers: dict
) -> None:
    vol = await user(session, Role.volunteer, "vol")
    assert_problem(await api.get(f"{API}/items"), 401)
    r = await api.get(f"{API}/items", params={"category": "bedding", "limit": 2}, headers=vol)
    page = r.json()
    assert r.status_code == 200 and len(page["items"]) == 2 and page["next"]
    assert all(i["category"] == "bedding" for i in page["items"])
    r = await api.get(f"{API}/items", params={"q": "帐篷"}, headers=vol)
    tents = r.json()["items"]
    assert {i["code"] for i in tents} == {"SHELTER-TENT-12M2", "SHELTER-TENT-36M2"}
    r = await api.get(f"{API}/items/{tents[0]['id']}", headers=vol)
    assert r.status_code == 200 and r.json()["base_unit"] == "piece"
    assert_problem(await api.get(f"{API}/items/{uuid7()}", headers=vol), 404)
    assert_problem(
        await api.get(f"{API}/items", params={"category": "toys"}, headers=vol),
        422,
        ["query", "category"],
    )


async def test_only_admins_write(
    api: httpx.AsyncClient, session: AsyncSession, headers: dict
) -> None:
    coord = await user(session, Role.coordinator, "coord")
    before = await count(session)
    assert_problem(await api.post(f"{API}/items", json=NEW, headers=coord), 403)
    r = await api.post(f"{API}/items", json={**NEW, "base_unit": "jin"}, headers=headers["admin"])
    assert_problem(r, 422, ["body", "base_unit"])
    assert await count(session) == before
    r = await api.post(f"{API}/items", json=NEW, headers=headers["admin"])
    assert r.status_code == 201, r.text
    item = r.json()
    assert item["pack_sizes"] == [{"unit": "bag_5kg", "qty": 5, "label": None}]
    r = await api.post(f"{API}/items", json=NEW, headers=headers["admin"])
    assert_problem(r, 409, ["body", "code"])
    url = f"{API}/items/{item['id']}"
    assert_problem(await api.patch(url, json={"shelf_life_days": 90}, headers=coord), 403)
    r = await api.patch(url, json={"shelf_life_days": 90}, headers=headers["admin"])
    assert r.status_code == 200 and r.json()["shelf_life_days"] == 90
    r = await api.patch(url, json={"code": "X"}, headers=headers["admin"])
    assert_problem(r, 422, ["body", "code"])
