"""Plan routes on both engines: create from a handbook, edit drafts, approve, diff, YAML."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.events.models import OutboxEvent
from plans.models import Plan, PlanVersion
from tests.plans.world import API, PlanWorld, count


def assert_problem(resp: httpx.Response, status: int, loc: list[Any] | None = None) -> dict:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    problem = resp.json()
    if loc is not None:
        assert problem["errors"][0]["loc"] == loc, problem
    return problem


async def create(api: httpx.AsyncClient, h: dict[str, str], **body: Any) -> httpx.Response:
    return await api.post(f"{API}/plans", json={"hazard": "earthquake", **body}, headers=h)


async def test_create_from_handbook_then_edit_approve_and_version(
    api: httpx.AsyncClient, session: AsyncSession, pw: PlanWorld
) -> None:
    h = pw.h["coord_a"]
    shelters = [{"depot_id": str(pw.depots["town_shelter"]), "note": "第一网格"}]
    points = [{"depot_id": str(pw.depots["seat_assembly"])}]
    resp = await create(api, h, area_code=pw.seat.code, document={
        "title": "城中社区地震应急预案", "shelters": shelters, "assembly_points": points,
    })  # fmt: skip
    assert resp.status_code == 201, resp.text
    plan = resp.json()
    assert plan["area_code"] == pw.seat.code and plan["title"] == "城中社区地震应急预案"
    assert plan["latest"]["version"] == 1 and plan["latest"]["status"] == "draft"
    assert plan["approved"] is None
    v1 = (await api.get(f"{API}/plan-versions/{plan['latest']['id']}", headers=h)).json()
    assert v1["template"] == "earthquake" and v1["document"]["shelters"][0]["note"] == "第一网格"
    assert v1["document"]["levels"][0]["name"] == "特别重大"  # stored with defaults filled
    url = f"{API}/plan-versions/{v1['id']}"

    workers = [{"grid_code": "01", "name": "李芳"}]
    patch = {"document": {"checkin_deadlines_minutes": {"default": 180, "shidu": None},
                          "contact_tree": {"grid_workers": workers}}}  # fmt: skip
    resp = await api.patch(url, json=patch, headers=h)
    assert resp.status_code == 200, resp.text
    deadlines = resp.json()["document"]["checkin_deadlines_minutes"]
    assert deadlines["default"] == 180 and "shidu" not in deadlines

    diff = (await api.get(f"{url}/diff", headers=h)).json()  # v1 against its handbook
    assert diff["against"] == {"template": "earthquake", "version_id": None, "plan_id": None,
                               "version": None}  # fmt: skip
    paths = {tuple(c["path"]) for c in diff["changes"]}
    assert ("checkin_deadlines_minutes", "shidu") in paths and ("title",) in paths

    resp = await api.post(f"{url}/approve", headers=h)
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "approved" and resp.json()["approved_at"]
    resp = await api.patch(url, json={"document": {"title": "改"}}, headers=h)
    assert "approved versions are immutable" in assert_problem(resp, 409)["detail"]
    assert_problem(await api.post(f"{url}/approve", headers=h), 409)

    resp = await api.post(f"{API}/plans/{plan['id']}/versions", json={}, headers=h)
    assert resp.status_code == 201, resp.text
    v2 = resp.json()
    assert (
        v2["version"] == 2
        and v2["status"] == "draft"
        and v2["document"] == (await api.get(url, headers=h)).json()["document"]
    )
    resp = await api.post(f"{API}/plans/{plan['id']}/versions", json={}, headers=h)
    assert "still a draft" in assert_problem(resp, 409)["detail"]
    url2 = f"{API}/plan-versions/{v2['id']}"
    resp = await api.patch(url2, json={"document": {"supply_days": 5}}, headers=h)
    assert resp.status_code == 200, resp.text
    diff = (await api.get(f"{url2}/diff", headers=h)).json()
    assert diff["against"]["version"] == 1 and diff["counts"] == {
        "added": 0, "removed": 0, "changed": 1}  # fmt: skip
    assert diff["changes"] == [{"op": "changed", "path": ["supply_days"], "old": 3, "new": 5}]
    back = (await api.get(f"{url}/diff", params={"against": v2["id"]}, headers=h)).json()
    assert back["changes"][0]["old"] == 5

    assert (await api.post(f"{url2}/approve", headers=h)).json()["status"] == "approved"
    got = (await api.get(f"{API}/plans/{plan['id']}", headers=h)).json()
    assert got["approved"]["version"] == 2
    listed = (await api.get(f"{API}/plans/{plan['id']}/versions", headers=h)).json()["items"]
    assert [(v["version"], v["status"]) for v in listed] == [(1, "retired"), (2, "approved")]
    types = list(await session.scalars(select(OutboxEvent.type).order_by(OutboxEvent.seq)))
    plan_types = [t for t in types if t.startswith("plan")]
    assert plan_types == ["plan_version.created", "plan.created", "plan_version.updated",
                          "plan_version.approved", "plan_version.created",
                          "plan_version.updated", "plan_version.approved"]  # fmt: skip


async def test_yaml_in_and_out(api: httpx.AsyncClient, pw: PlanWorld) -> None:
    h = {**pw.h["coord_a"], "Content-Type": "application/yaml"}
    body = "area_code: '532922000000'\nhazard: flood\ndocument:\n  title: 漾濞县洪涝预案\n"
    resp = await api.post(f"{API}/plans", content=body.encode(), headers=h)
    assert resp.status_code == 201, resp.text
    vid = resp.json()["latest"]["id"]
    resp = await api.get(f"{API}/plan-versions/{vid}", params={"format": "yaml"}, headers=h)
    assert resp.headers["content-type"].startswith("application/yaml")
    assert resp.text.startswith("# plan ") and "漾濞县洪涝预案" in resp.text
    data = yaml.safe_load(resp.text)
    data["document"]["supply_days"] = 4
    text = yaml.safe_dump(data, allow_unicode=True)
    resp = await api.patch(f"{API}/plan-versions/{vid}", content=text.encode(), headers=h)
    assert resp.status_code == 200 and resp.json()["document"]["supply_days"] == 4
    resp = await api.patch(f"{API}/plan-versions/{vid}", content=b"document: [unclosed", headers=h)
    assert_problem(resp, 422, ["body"])
    resp = await api.patch(
        f"{API}/plan-versions/{vid}",
        content=b"document:\n  levels: []\n",
        headers=h,
    )
    assert_problem(resp, 422, ["body", "document", "levels"])


async def test_templates_and_schema(api: httpx.AsyncClient, pw: PlanWorld) -> None:
    h = pw.h["vol_a"]
    names = [t["name"] for t in (await api.get(f"{API}/plans/templates", headers=h)).json()]
    assert "landslide_debris_flow" in names and len(names) == 7
    doc = (await api.get(f"{API}/plans/templates/drought", headers=h)).json()
    assert doc["hazard"] == "drought"
    resp = await api.get(f"{API}/plans/templates/drought", params={"format": "yaml"}, headers=h)
    assert yaml.safe_load(resp.text) == doc
    assert_problem(await api.get(f"{API}/plans/templates/tsunami", headers=h), 404)
    assert_problem(await api.get(f"{API}/plans/templates/..%2Fsecret", headers=h), 404)
    schema = (await api.get(f"{API}/plans/schema")).json()
    assert schema["title"] == "PlanDocument" and "checkin_deadlines_minutes" in schema["required"]


async def test_bad_input_writes_nothing(
    api: httpx.AsyncClient, session: AsyncSession, pw: PlanWorld
) -> None:
    h = pw.h["coord_a"]
    county = pw.tc.county_a.code
    doc = "document"
    cases: list[tuple[dict[str, Any], int, list[Any]]] = [
        ({"area_code": county, "document": {"materials": [{"item_code": "X", "per_person": 1}]}},
         422, ["body", doc, "materials", 0, "item_code"]),
        ({"area_code": county, "document": {"volunteer_skills": {"magic": 1}}},
         422, ["body", doc, "volunteer_skills", "magic"]),
        ({"area_code": county, "document": {"checkin_deadlines_minutes": {"infant": 0}}},
         422, ["body", doc, "checkin_deadlines_minutes", "infant"]),
        ({"area_code": county, "document": {"levels": [{"level": "IV", "triggers": ["x"]}] * 4}},
         422, ["body", doc, "levels", 0, "level"]),
        ({"area_code": county, "document": {"hazard": "flood"}}, 422, ["body", doc, "hazard"]),
        ({"area_code": county, "template": "flood"}, 422, ["body", "template"]),
        ({"area_code": county, "template": "nope"}, 422, ["body", "template"]),
        ({"area_code": "532923000000"}, 422, ["body", "area_code"]),  # county B: not in scope
        ({"area_code": county, "hazard": "meteor"}, 422, ["body", "hazard"]),
        ({"area_code": county, "document": {"shelters": [
            {"depot_id": str(pw.depots["b_shelter"])}]}},
         422, ["body", doc, "shelters", 0, "depot_id"]),
        ({"area_code": county, "document": {"shelters": [
            {"depot_id": str(pw.depots["seat_assembly"])}]}},
         422, ["body", doc, "shelters", 0, "depot_id"]),  # an assembly point is no shelter
        ({"area_code": pw.village.code, "document": {"assembly_points": [
            {"depot_id": str(pw.depots["seat_assembly"])}]}},
         422, ["body", doc, "assembly_points", 0, "depot_id"]),  # the next village's
        ({"area_code": county, "document": {"contact_tree": {"grid_workers": [
            {"grid_code": "01"}]}}},
         422, ["body", doc, "contact_tree", "grid_workers"]),  # a county has no grids
        ({"area_code": pw.seat.code, "document": {"contact_tree": {"grid_workers": [
            {"grid_code": "99"}]}}},
         422, ["body", doc, "contact_tree", "grid_workers", 0, "grid_code"]),
    ]  # fmt: skip
    for body, status, loc in cases:
        assert_problem(await create(api, h, **body), status, loc)
    assert await count(session, Plan) == 0 and await count(session, PlanVersion) == 0
    assert_problem(await create(api, pw.h["vol_a"], area_code=county), 403)
    assert await count(session, Plan) == 0


async def test_one_plan_per_area_and_hazard(api: httpx.AsyncClient, pw: PlanWorld) -> None:
    h = pw.h["coord_a"]
    assert (await create(api, h, area_code=pw.tc.county_a.code)).status_code == 201
    resp = await create(api, h, area_code=pw.tc.county_a.code)
    assert_problem(resp, 409, ["body", "hazard"])
    assert (await create(api, h, area_code=pw.tc.county_a.code, hazard="flood")).status_code == 201


async def test_patch_errors_name_the_document_path(
    api: httpx.AsyncClient, session: AsyncSession, pw: PlanWorld
) -> None:
    h = pw.h["coord_a"]
    vid = (await create(api, h, area_code=pw.seat.code)).json()["latest"]["id"]
    url = f"{API}/plan-versions/{vid}"
    before = (await api.get(url, headers=h)).json()["document"]
    levels = copy.deepcopy(before["levels"])
    levels[3]["thresholds"] = [{"metric": "magnitude", "at_least": 8.0}]
    resp = await api.patch(url, json={"document": {"levels": levels}}, headers=h)
    assert_problem(resp, 422, ["body", "document", "levels", 3, "thresholds", 0, "at_least"])
    resp = await api.patch(url, json={"document": {"title": None}}, headers=h)
    assert_problem(resp, 422, ["body", "document", "title"])
    assert (await api.get(url, headers=h)).json()["document"] == before


async def test_scope_roles_and_filters(api: httpx.AsyncClient, pw: PlanWorld) -> None:
    a, b = pw.h["coord_a"], pw.h["coord_b"]
    county = (await create(api, a, area_code=pw.tc.county_a.code)).json()
    seat = (await create(api, pw.h["coord_seat"], area_code=pw.seat.code)).json()
    other = (await create(api, b, area_code=pw.tc.county_b.code)).json()
    assert_problem(await create(api, pw.h["coord_seat"], area_code=pw.tc.county_a.code), 422)
    for path in (f"/plans/{other['id']}", f"/plan-versions/{other['latest']['id']}"):
        assert_problem(await api.get(f"{API}{path}", headers=a), 404)
    resp = await api.post(f"{API}/plan-versions/{other['latest']['id']}/approve", headers=a)
    assert_problem(resp, 404)
    ids = {p["id"] for p in (await api.get(f"{API}/plans", headers=a)).json()["items"]}
    assert ids == {county["id"], seat["id"]}
    listed = await api.get(f"{API}/plans", params={"area": pw.seat.code}, headers=a)
    assert [p["id"] for p in listed.json()["items"]] == [seat["id"]]
    listed = await api.get(f"{API}/plans", params={"hazard": "flood"}, headers=a)
    assert listed.json()["items"] == []
    resp = await api.get(f"{API}/plans", params={"area": pw.tc.county_b.code}, headers=a)
    assert_problem(resp, 422, ["query", "area"])
    page = (await api.get(f"{API}/plans", params={"limit": 1}, headers=pw.h["admin"])).json()
    rest = await api.get(f"{API}/plans", params={"next": page["next"]}, headers=pw.h["admin"])
    assert len(page["items"]) == 1 and len(rest.json()["items"]) == 2

    vol = pw.h["vol_a"]  # reads approved versions only; writes nothing
    draft = county["latest"]["id"]
    assert_problem(await api.get(f"{API}/plan-versions/{draft}", headers=vol), 404)
    assert (await api.get(f"{API}/plans/{county['id']}", headers=vol)).json()["latest"] is None
    assert_problem(await api.post(f"{API}/plan-versions/{draft}/approve", headers=vol), 404)
    assert (await api.post(f"{API}/plan-versions/{draft}/approve", headers=a)).status_code == 200
    got = (await api.get(f"{API}/plan-versions/{draft}", headers=vol)).json()
    assert got["status"] == "approved"
    resp = await api.post(f"{API}/plans/{county['id']}/versions", json={}, headers=vol)
    assert_problem(resp, 403)
    resp = await api.get(f"{API}/plan-versions/{draft}/diff",
                         params={"against": other["latest"]["id"]}, headers=a)  # fmt: skip
    assert_problem(resp, 422, ["query", "against"])
