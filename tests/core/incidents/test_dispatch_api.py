"""Dispatch routes through the app: answers, 4xx naming the field, 409 saying what is allowed."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from core.auth.models import User
from core.auth.roles import Role
from core.events.models import OutboxEvent
from core.incidents.match_models import Assignment
from tests.conftest import bearer_for
from tests.core.incidents.dispatch_world import need_status, offered
from tests.core.incidents.match_world import HERE, depot, match_world, need, stock, volunteer


async def _volunteer_token(session, w, vid, name):
    headers = await bearer_for(session, role=Role.volunteer, area_code=w.c["C1"].code,
                               username=name)  # fmt: skip
    await session.execute(update(User).where(User.username == name).values(volunteer_id=vid))
    return headers


async def _setup(session, database, *, items: bool = False):
    w = await match_world(session)
    if items:
        d = await depot(session, w, HERE[0], HERE[1] + 0.01)
        await stock(session, d, w.water, 10)
    v = await volunteer(session, w)
    other = await volunteer(session, w, HERE[0], HERE[1] + 0.5, max_km=200)
    n = await need(session, w, items={w.water: 2} if items else None,
                   kind="supplies" if items else "visit")  # fmt: skip
    (aid,) = await offered(session, database, w)
    me = await _volunteer_token(session, w, v, "vol-me")
    them = await _volunteer_token(session, w, other, "vol-them")
    return w, n, aid, me, them


async def test_accept_status_and_done_over_http(api, session, database) -> None:
    _w, n, aid, me, them = await _setup(session, database, items=True)
    base = f"/api/v1/assignments/{aid}"
    r = await api.post(f"{base}/accept", headers=them)
    assert r.status_code == 404  # not theirs: existence not disclosed
    r = await api.post(f"{base}/accept", headers=me)
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    assert (await api.post(f"{base}/accept", headers=me)).json()["status"] == "accepted"
    r = await api.post(f"{base}/status", json={"status": "en_route"}, headers=me)
    assert r.status_code == 409 and "pick the stock up first" in r.json()["detail"]
    r = await api.post(f"{base}/status", json={"status": "teleported"}, headers=me)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "status"]
    r = await api.post(f"{base}/status", json={}, headers=me)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "status"]
    for status in ("picked_up", "en_route", "arrived", "done"):
        r = await api.post(f"{base}/status", json={"status": status}, headers=me)
        assert r.status_code == 200 and r.json()["status"] == status, r.text
    assert await need_status(session, n) == "fulfilled"
    r = await api.post(f"{base}/status", json={"status": "failed"}, headers=me)
    assert r.status_code == 409
    body = r.json()
    assert body["current"] == "done" and body["allowed"] == []
    r = await api.get(f"{base}/contact", headers=me)
    assert r.status_code == 403


async def test_decline_late_accept_and_cancel_over_http(api, session, database) -> None:
    w, n, aid, me, _ = await _setup(session, database)
    base = f"/api/v1/assignments/{aid}"
    deadline = await session.scalar(select(Assignment.offer_deadline).where(Assignment.id == aid))
    await session.execute(update(Assignment).where(Assignment.id == aid).values(
        offer_deadline=deadline - timedelta(days=1)))  # fmt: skip
    r = await api.post(f"{base}/accept", headers=me)
    assert r.status_code == 409 and r.json()["detail"].startswith("the offer expired at ")
    r = await api.post(f"{base}/decline", json={"reason": "x" * 501}, headers=me)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "reason"]
    before = await session.scalar(select(Assignment.status).where(Assignment.id == aid))
    assert before == "offered"  # a refused call writes nothing
    r = await api.post(f"{base}/decline", json={"reason": "far"}, headers=me)
    assert r.status_code == 200 and r.json()["status"] == "declined"
    assert await need_status(session, n) == "open"
    r = await api.post(f"{base}/cancel", headers=me)
    assert r.status_code == 403
    coord = await bearer_for(session, role=Role.coordinator, area_code=w.c["C1"].code,
                             username="coord")  # fmt: skip
    r = await api.post(f"{base}/cancel", headers=coord)
    assert r.status_code == 409 and r.json()["current"] == "declined"


async def test_position_over_http(api, session, database) -> None:
    w, _, _, me, _ = await _setup(session, database)
    r = await api.post("/api/v1/volunteers/me/position", json={"lon": 99.9, "lat": 25.6},
                       headers=me)  # fmt: skip
    assert r.status_code == 200 and r.json() == {"stored": True}
    r = await api.post("/api/v1/volunteers/me/position", json={"lon": 99.9, "lat": 25.61},
                       headers=me)  # fmt: skip
    assert r.json() == {"stored": False}
    events = select(OutboxEvent.seq).where(OutboxEvent.type == "volunteer.moved")
    assert len(list(await session.scalars(events))) == 1
    r = await api.post("/api/v1/volunteers/me/position", json={"lon": 99.9, "lat": 95},
                       headers=me)  # fmt: skip
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "lat"]
    coord = await bearer_for(session, role=Role.coordinator, area_code=w.c["C1"].code,
                             username="coord")  # fmt: skip
    r = await api.post("/api/v1/volunteers/me/position", json={"lon": 99.9, "lat": 25.6},
                       headers=coord)  # fmt: skip
    assert r.status_code == 403


async def test_visit_report_needs_a_visit(api, session, database) -> None:
    _w, _, aid, me, _ = await _setup(session, database)
    base = f"/api/v1/assignments/{aid}"
    r = await api.post(f"{base}/visit-report", json={"members": []}, headers=me)
    assert r.status_code == 409 and r.json()["current"] == "offered"
    await api.post(f"{base}/accept", headers=me)
    r = await api.post(f"{base}/visit-report", json={"members": []}, headers=me)
    assert r.status_code == 409 and "visit to a household" in r.json()["detail"]
    r = await api.get(f"{base}/contact", headers=me)
    assert r.status_code == 200 and r.json()["household"] is None
