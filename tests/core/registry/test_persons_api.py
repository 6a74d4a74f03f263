"""Person routes on both engines: members, tag and age filters, personal fields by role,
the access log and who may change members."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.models import PersonalDataAccess
from core.events.models import OutboxEvent
from core.registry.households.models import Household, Person, PersonTag
from core.registry.households.schemas import current_year
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
    await session.commit()
    return w


async def new_household(api: httpx.AsyncClient, world: HouseholdWorld, lon: float, **kw) -> dict:
    resp = await api.post(
        f"{API}/households", json=household(lon, 25.61, **kw), headers=world.h["coord_a"]
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


def problem_loc(resp: httpx.Response, status: int) -> list[Any]:
    assert resp.status_code == status, resp.text
    return resp.json()["errors"][0]["loc"] if status == 422 else []


async def person_ids(api: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> set[str]:
    resp = await api.get(f"{API}/persons", headers=headers, params={"limit": 500, **params})
    assert resp.status_code == 200, resp.text
    return {p["id"] for p in resp.json()["items"]}


async def test_add_change_and_remove_members(api, session, world) -> None:
    h = world.h["coord_a"]
    home = await new_household(api, world, 99.91, contact_index=0)
    url = f"{API}/households/{home['id']}/persons"
    resp = await api.post(url, json=member("小明", birth_year=2016, tags=["left_behind_child"]),
                          headers=h)  # fmt: skip
    assert resp.status_code == 201, resp.text
    kid = resp.json()
    assert kid["personal"] and kid["tags"] == ["left_behind_child"] and not kid["is_contact"]
    assert kid["area_path"] == world.c1.area_path
    change = {"tags": ["disabled", "chronically_ill"], "languages": ["bca"], "phone": "139 0000"}
    resp = await api.patch(f"{API}/persons/{kid['id']}", json=change, headers=h)
    assert resp.json()["tags"] == ["chronically_ill", "disabled"]
    assert resp.json()["languages"] == ["bca"] and resp.json()["name"] == "小明"
    contact = home["members"][0]["id"]
    assert (await api.delete(f"{API}/persons/{contact}", headers=h)).status_code == 204
    resp = await api.get(f"{API}/households/{home['id']}", headers=h)
    assert resp.json()["contact_person_id"] is None and resp.json()["member_count"] == 1
    assert problem_loc(await api.get(f"{API}/persons/{contact}", headers=h), 404) == []
    types = list(await session.scalars(select(OutboxEvent.type).order_by(OutboxEvent.seq)))
    assert types[-3:] == ["person.created", "person.updated", "person.deleted"]


@pytest.mark.parametrize(
    ("method", "body", "loc"),
    [
        ("POST", member("甲", tags=["flying"]), ["body", "tags", 0]),
        ("POST", member("甲", languages=["cmn", "xx"]), ["body", "languages", 1]),
        ("POST", {"birth_year": 1950}, ["body", "name"]),
        ("PATCH", {"tags": None}, ["body", "tags"]),
        ("PATCH", {"tags": ["pregnant", "nope"]}, ["body", "tags", 1]),
        ("PATCH", {"birth_year": 1700}, ["body", "birth_year"]),
    ],
)
async def test_bad_input_writes_nothing(api, session, world, method, body, loc) -> None:
    home = await new_household(api, world, 99.91, members=[member("甲", tags=["pregnant"])])
    target = home["members"][0]["id"]
    url = (
        f"{API}/households/{home['id']}/persons" if method == "POST" else f"{API}/persons/{target}"
    )
    before = [await count(session, m) for m in (Person, PersonTag, OutboxEvent)]
    resp = await api.request(method, url, json=body, headers=world.h["coord_a"])
    assert problem_loc(resp, 422) == loc
    assert [await count(session, m) for m in (Person, PersonTag, OutboxEvent)] == before


async def test_tag_and_age_filters(api, world) -> None:
    year = current_year()
    home = await new_household(api, world, 99.91, members=[
        member("老", birth_year=year - 85, tags=["aged_80_plus", "living_alone"]),
        member("中", birth_year=year - 40, tags=["chronically_ill"]),
        member("小", birth_year=year - 8, tags=["left_behind_child"]),
        member("无", tags=["pregnant"]),
    ])  # fmt: skip
    old, mid, kid, unknown = (m["id"] for m in home["members"])
    other = await new_household(api, world, 99.97)
    h = world.h["coord_a"]
    assert await person_ids(api, h, household=home["id"]) == {old, mid, kid, unknown}
    assert await person_ids(api, h, tag=["aged_80_plus", "left_behind_child"]) == {old, kid}
    assert await person_ids(api, h, tag="pregnant") == {unknown}
    assert await person_ids(api, h, age_min=80) == {old}
    assert await person_ids(api, h, age_max=40, household=home["id"]) == {mid, kid}
    assert await person_ids(api, h, age_min=40, age_max=40) == {mid}
    assert other["members"][0]["id"] in await person_ids(api, h, area=world.c1.code)
    assert await person_ids(api, h, area=world.c3.code) == set()
    resp = await api.get(f"{API}/persons", headers=h, params={"tag": "x"})
    assert problem_loc(resp, 422) == ["query", "tag", 0]
    resp = await api.get(f"{API}/persons", headers=h, params={"age_min": 50, "age_max": 10})
    assert problem_loc(resp, 422) == ["query", "age_max"]
    resp = await api.get(f"{API}/persons", headers=h, params={"area": world.c4.code})
    assert problem_loc(resp, 422) == ["query", "area"]


async def test_personal_fields_by_role_and_logged(api, session, world) -> None:
    west = await new_household(api, world, 99.91, members=[member("甲", tags=["disabled"])])
    east = await new_household(api, world, 99.97, members=[member("乙", tags=["disabled"])])
    w_id, e_id = west["members"][0]["id"], east["members"][0]["id"]
    resp = await api.get(f"{API}/persons", headers=world.h["auditor_a"])
    for item in resp.json()["items"]:
        assert not item["personal"]
        assert item["name"] is None and item["tags"] is None and item["birth_year"] is None
    assert await person_ids(api, world.h["auditor_a"]) == {w_id, e_id}
    assert await person_ids(api, world.h["auditor_a"], tag="disabled") == set()
    assert await person_ids(api, world.h["auditor_granted"], tag="disabled") == {w_id, e_id}
    assert await person_ids(api, world.h["grid_01"], tag="disabled") == {w_id}
    resp = await api.get(f"{API}/persons/{e_id}", headers=world.h["grid_01"])
    assert resp.json()["personal"] is False and resp.json()["phone"] is None
    assert await person_ids(api, world.h["vol_a"]) == set()
    assert problem_loc(await api.get(f"{API}/persons/{w_id}", headers=world.h["vol_a"]), 404) == []
    assert (
        problem_loc(await api.get(f"{API}/persons/{w_id}", headers=world.h["coord_b"]), 404) == []
    )
    start = await count(session, PersonalDataAccess)
    resp = await api.get(f"{API}/persons/{w_id}", headers=world.h["grid_01"])
    assert resp.json()["name"] == "甲"
    rows = (await session.scalars(select(PersonalDataAccess).order_by(PersonalDataAccess.id))).all()
    (row,) = rows[start:]
    assert (str(row.subject_id), row.subject_kind) == (w_id, "person")
    assert row.purpose == f"GET /api/v1/persons/{w_id}" and row.role == "grid_worker"


async def test_who_may_change_members(api, session, world) -> None:
    west = await new_household(api, world, 99.91)
    east = await new_household(api, world, 99.97)
    w_id, e_id = west["members"][0]["id"], east["members"][0]["id"]
    patch = {"phone": "0872-2"}
    for name in ("auditor_a", "auditor_granted"):
        assert problem_loc(await api.patch(f"{API}/persons/{w_id}", json=patch,
                                           headers=world.h[name]), 403) == []  # fmt: skip
    resp = await api.patch(f"{API}/persons/{e_id}", json=patch, headers=world.h["grid_01"])
    assert problem_loc(resp, 403) == []
    resp = await api.patch(f"{API}/persons/{w_id}", json=patch, headers=world.h["grid_01"])
    assert resp.status_code == 200
    resp = await api.patch(f"{API}/persons/{w_id}", json=patch, headers=world.h["coord_b"])
    assert problem_loc(resp, 404) == []
    contact = await contact_of(session, west["id"], world.c1.code, "contact-w")
    await session.commit()
    resp = await api.post(f"{API}/households/{west['id']}/persons", json=member("新生儿",
                          tags=["infant"]), headers=contact)  # fmt: skip
    assert resp.status_code == 201 and resp.json()["personal"]
    baby = resp.json()["id"]
    resp = await api.patch(f"{API}/persons/{baby}", json={"name": "王小宝"}, headers=contact)
    assert resp.json()["name"] == "王小宝"
    assert await person_ids(api, contact) == {w_id, baby}
    resp = await api.post(f"{API}/households/{east['id']}/persons", json=member("x"),
                          headers=contact)  # fmt: skip
    assert problem_loc(resp, 404) == []
    assert problem_loc(await api.delete(f"{API}/persons/{e_id}", headers=contact), 404) == []
    assert (await api.delete(f"{API}/persons/{baby}", headers=contact)).status_code == 204
    assert await count(session, Household) == 2
