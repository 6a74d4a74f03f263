"""Matching over HTTP: run a batch, read assignments and tasks with reasons, overrides."""

from __future__ import annotations

from sqlalchemy import select

from core.auth.roles import Role
from core.events.models import OutboxEvent
from core.incidents.match_models import MatchOverride
from tests.conftest import bearer_for
from tests.core.incidents.match_world import (
    HERE,
    depot,
    match_world,
    need,
    rows,
    stock,
    volunteer,
)


async def _cast(session) -> dict:
    return {
        "coord": await bearer_for(
            session, role=Role.coordinator, area_code="532922000000", username="coord-a"
        ),
        "coord_b": await bearer_for(
            session, role=Role.coordinator, area_code="532923000000", username="coord-b"
        ),
        "auditor": await bearer_for(
            session, role=Role.auditor, area_code="532922000000", username="auditor-a"
        ),
        "volunteer": await bearer_for(
            session, role=Role.volunteer, area_code="532922000000", username="vol-a"
        ),
    }


async def test_run_a_batch_and_read_why(api, session) -> None:
    w = await match_world(session)
    who = await _cast(session)
    d = await depot(session, w, HERE[0], HERE[1] + 0.01)
    await stock(session, d, w.water, 50)
    v = await volunteer(session, w)
    n = await need(session, w, items={w.water: 10})
    r = await api.post(f"/api/v1/incidents/{w.real}/match", headers=who["coord"])
    assert r.status_code == 200, r.text
    summary = r.json()
    assert (summary["tasks"], summary["assigned"], summary["matched"]) == (1, 1, 1)
    assert summary["solver"] == "min_cost_flow" and summary["skipped"] is False
    r = await api.get(f"/api/v1/incidents/{w.real}/assignments", headers=who["auditor"])
    assert r.status_code == 200, r.text
    (a,) = r.json()["items"]
    assert a["volunteer_id"] == str(v) and a["status"] == "proposed"
    assert a["reason"]["batch_id"] == summary["batch_id"] and a["reason"]["depot_id"] == str(d)
    r = await api.get(f"/api/v1/assignments/{a['id']}", headers=who["coord"])
    assert r.status_code == 200 and r.json()["reason"] == a["reason"]
    r = await api.get(f"/api/v1/needs/{n}/tasks", headers=who["coord"])
    assert r.status_code == 200, r.text
    (task,) = r.json()["items"]
    assert task["depot_id"] == str(d) and task["status"] == "assigned"
    assert [(li["item_code"], li["quantity"]) for li in task["lines"]] == [("M-WATER", 10)]
    assert task["assignments"][0]["reason"]["distance_m"] > 0
    r = await api.get(
        f"/api/v1/incidents/{w.real}/assignments",
        params={"status": "withdrawn"},
        headers=who["coord"],
    )
    assert r.json()["items"] == []


async def test_other_county_and_read_only_roles(api, session) -> None:
    w = await match_world(session)
    who = await _cast(session)
    n = await need(session, w)
    for path in (f"/api/v1/incidents/{w.real}/match", f"/api/v1/needs/{n}/overrides"):
        body = {"kind": "forbid", "depot_id": str(await depot(session, w, *HERE))}
        r = await api.post(path, json=body, headers=who["coord_b"])
        assert r.status_code == 404, (path, r.text)
        r = await api.post(path, json=body, headers=who["auditor"])
        assert r.status_code == 403, (path, r.text)
    r = await api.get(f"/api/v1/needs/{n}/tasks", headers=who["coord_b"])
    assert r.status_code == 404
    r = await api.get(f"/api/v1/needs/{n}/tasks", headers=who["volunteer"])
    assert r.status_code == 403
    assert await rows(session, MatchOverride) == 0


async def test_overrides_create_list_delete(api, session) -> None:
    w = await match_world(session)
    who = await _cast(session)
    v = await volunteer(session, w)
    n = await need(session, w)
    r = await api.post(
        f"/api/v1/needs/{n}/overrides",
        json={"kind": "pin", "volunteer_id": str(v)},
        headers=who["coord"],
    )
    assert r.status_code == 201, r.text
    made = r.json()
    assert (made["kind"], made["volunteer_id"], made["depot_id"]) == ("pin", str(v), None)
    r = await api.get(f"/api/v1/needs/{n}/overrides", headers=who["auditor"])
    assert [o["id"] for o in r.json()["items"]] == [made["id"]]
    again = await api.post(
        f"/api/v1/needs/{n}/overrides",
        json={"kind": "forbid", "volunteer_id": str(v)},
        headers=who["coord"],
    )
    assert again.status_code == 409
    r = await api.delete(f"/api/v1/overrides/{made['id']}", headers=who["auditor"])
    assert r.status_code == 403
    r = await api.delete(f"/api/v1/overrides/{made['id']}", headers=who["coord_b"])
    assert r.status_code == 404
    r = await api.delete(f"/api/v1/overrides/{made['id']}", headers=who["coord"])
    assert r.status_code == 204
    r = await api.get(f"/api/v1/needs/{n}/overrides", headers=who["coord"])
    assert r.json()["items"] == []
    types = list(
        await session.scalars(
            select(OutboxEvent.type)
            .where(OutboxEvent.type.like("override.%"))
            .order_by(OutboxEvent.seq)
        )
    )
    assert types == ["override.created", "override.deleted"]


async def test_bad_override_bodies_name_the_field_and_write_nothing(api, session) -> None:
    w = await match_world(session)
    who = await _cast(session)
    v = await volunteer(session, w)
    d = await depot(session, w, *HERE)
    theirs = await volunteer(session, w, area="county_b")
    n = await need(session, w)
    unknown = "01900000-0000-7000-8000-000000000000"
    cases = [
        (
            {"kind": "pin", "volunteer_id": str(v), "depot_id": str(d)},
            {("body", "volunteer_id"), ("body", "depot_id")},
        ),
        ({"kind": "forbid"}, {("body", "volunteer_id"), ("body", "depot_id")}),
        ({"kind": "pin", "volunteer_id": unknown}, {("body", "volunteer_id")}),
        ({"kind": "pin", "depot_id": unknown}, {("body", "depot_id")}),
        ({"kind": "forbid", "volunteer_id": str(theirs)}, {("body", "volunteer_id")}),
        ({"kind": "ban", "volunteer_id": str(v)}, {("body", "kind")}),
    ]
    events = await rows(session, OutboxEvent)
    for body, fields in cases:
        r = await api.post(f"/api/v1/needs/{n}/overrides", json=body, headers=who["coord"])
        assert r.status_code == 422, (body, r.text)
        assert {tuple(e["loc"]) for e in r.json()["errors"]} == fields, body
    assert await rows(session, MatchOverride) == 0
    assert await rows(session, OutboxEvent) == events
