"""``/ws/volunteer`` against a real ``huzhu serve`` (its matching loop and timers running)."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from sqlalchemy import func, select, update
from websockets.asyncio.client import connect

from core import clock
from core.auth.models import PersonalDataAccess
from core.events.models import Timer
from core.events.outbox import EventIn, emit_many, read_after
from core.incidents.match_models import Assignment
from core.incidents.need_models import Need
from tests.realtime.sockets import Served, marker, served_fixture, until  # noqa: F401
from tests.realtime.ws_world import (
    create_need,
    household,
    place,
    status_of,
    stocked_item,
    volunteer,
)


async def test_offer_accept_pick_up_and_done(served: Served) -> None:
    n = served.n()
    p = await place(served.db, served.tc, n)
    code = await stocked_item(served.db, p, f"W-{n}")
    vid, token = await volunteer(served.db, p, f"vol{n}")
    c = await served.client(token)
    state = await c.next_event(10)
    assert state["type"] == "state" and state["data"] == {"assignments": []}
    need_id = create_need(served.server.base, p, kind="supplies",
                          items=[{"item_code": code, "quantity": 5}])  # fmt: skip
    seen: list[dict] = []
    offer = await until(c, "assignment.offered", seen=seen)
    data = offer["data"]
    assert data["need"]["id"] == need_id and data["volunteer_id"] == str(vid)
    assert [(i["quantity"], i["unit"]) for i in data["items"]] == [(5, "L")]
    assert data["depot"]["name"] == f"{code}库" and data["deadline"]
    aid = data["id"]
    first = await c.request("offer.accept", {"assignment_id": aid}, id="accept-1")
    assert first["ok"] and first["data"]["status"] == "accepted" and first["data"]["changed"]
    assert await c.request("offer.accept", {"assignment_id": aid}, id="accept-1") == first
    repeat = await c.request("offer.accept", {"assignment_id": aid})
    assert repeat["ok"] and repeat["data"]["changed"] is False  # the service is idempotent too
    for status in ("picked_up", "en_route", "arrived", "done"):
        answer = await c.request("assignment.status", {"assignment_id": aid, "status": status})
        assert answer["ok"], answer
        await until(c, f"assignment.{status}", seen=seen)
    kinds = [e["type"] for e in seen if e["type"].startswith("assignment.")]
    assert kinds == ["assignment.offered", "assignment.accepted", "assignment.picked_up",
                     "assignment.en_route", "assignment.arrived", "assignment.done"]  # fmt: skip
    assert await status_of(served.db, Need, need_id) == "fulfilled"
    again = await c.request("assignment.status", {"assignment_id": aid, "status": "en_route"})
    assert not again["ok"] and again["error"]["status"] == 409
    assert "done" in again["error"]["detail"]


async def test_decline_offers_the_next_volunteer_only_to_them(served: Served) -> None:
    p = await place(served.db, served.tc, served.n())
    v1, t1 = await volunteer(served.db, p, f"near{p.community.code}")
    v2, t2 = await volunteer(served.db, p, f"far{p.community.code}", dlat=0.01)
    c1, c2 = await served.client(t1), await served.client(t2)
    need_id = create_need(served.server.base, p)
    seen1: list[dict] = []
    seen2: list[dict] = []
    offer = await until(c1, "assignment.offered", seen=seen1)
    answer = await c1.request("offer.decline", {"assignment_id": offer["data"]["id"],
                                                "reason": "too far"})  # fmt: skip
    assert answer["ok"] and answer["data"]["status"] == "declined"
    await until(c1, "assignment.declined", seen=seen1)
    second = await until(c2, "assignment.offered", seen=seen2)
    assert second["data"]["need_id"] == need_id and second["data"]["id"] != offer["data"]["id"]
    assert second["data"]["volunteer_id"] == str(v2)
    await marker(served.db, f"volunteer:{v1}")
    await until(c1, "test.marker", seen=seen1)
    mine1 = [e["data"]["volunteer_id"] for e in seen1 if e["type"].startswith("assignment.")]
    mine2 = [e["data"]["volunteer_id"] for e in seen2 if e["type"].startswith("assignment.")]
    assert set(mine1) == {str(v1)} and set(mine2) == {str(v2)}


async def test_cannot_complete_carries_its_reason(served: Served) -> None:
    p = await place(served.db, served.tc, served.n())
    _, token = await volunteer(served.db, p, f"fail{p.community.code}")
    c = await served.client(token)
    create_need(served.server.base, p)
    aid = (await until(c, "assignment.offered"))["data"]["id"]
    assert (await c.request("offer.accept", {"assignment_id": aid}))["ok"]
    answer = await c.request("assignment.status", {"assignment_id": aid, "status": "failed",
                                                   "reason": "路断了 road blocked"})  # fmt: skip
    assert answer["ok"] and answer["data"]["status"] == "failed"
    failed = await until(c, "assignment.failed")
    assert failed["data"]["reason"] == "路断了 road blocked"
    long = await c.request("assignment.status", {"assignment_id": aid, "status": "failed",
                                                 "reason": "x" * 501})  # fmt: skip
    assert not long["ok"] and long["error"]["errors"][0]["loc"] == ["data", "reason"]


async def test_an_expired_offer_is_offered_again_and_a_late_accept_refused(served: Served) -> None:
    p = await place(served.db, served.tc, served.n())
    _, t1 = await volunteer(served.db, p, f"slow{p.community.code}")
    v2, t2 = await volunteer(served.db, p, f"next{p.community.code}", dlat=0.01)
    c1, c2 = await served.client(t1), await served.client(t2)
    create_need(served.server.base, p)
    offer = await until(c1, "assignment.offered")
    aid = uuid.UUID(offer["data"]["id"])
    past = clock.now() - timedelta(seconds=1)
    async with served.db.transaction() as s:  # the deadline passes (the clock of the server)
        await s.execute(update(Assignment).where(Assignment.id == aid).values(offer_deadline=past))
        await s.execute(update(Timer).where(Timer.key == f"offer:{aid}").values(due_at=past))
    await until(c1, "assignment.expired")
    late = await c1.request("offer.accept", {"assignment_id": str(aid)})
    assert not late["ok"] and late["error"]["status"] == 409
    assert "expired" in late["error"]["detail"]
    again = await until(c2, "assignment.offered")
    assert again["data"]["need_id"] == offer["data"]["need_id"]
    assert again["data"]["volunteer_id"] == str(v2)


async def test_reconnect_with_the_last_seq_gets_exactly_what_was_missed(served: Served) -> None:
    p = await place(served.db, served.tc, served.n())
    vid, token = await volunteer(served.db, p, f"drop{p.community.code}")
    phone = await served.client(token)
    create_need(served.server.base, p)
    offer = await until(phone, "assignment.offered")
    aid = offer["data"]["id"]
    last = phone.last_seq
    await phone.close()  # the phone drops; the same volunteer goes on from the CLI
    cli = await served.client(token)
    assert (await cli.request("offer.accept", {"assignment_id": aid}))["ok"]
    assert (await cli.request("assignment.status", {"assignment_id": aid,
                                                    "status": "en_route"}))["ok"]  # fmt: skip
    end = await marker(served.db, f"volunteer:{vid}")
    await phone.connect()  # resumes after ``last``
    got: list[dict] = []
    await until(phone, "test.marker", seen=got)
    async with served.db.reader() as s:
        missed = await read_after(s, last, streams=[f"volunteer:{vid}"])
    assert [e["seq"] for e in got] == [e.seq for e in missed if e.seq <= end]
    assert [e["type"] for e in got] == ["assignment.accepted", "assignment.en_route",
                                        "test.marker"]  # fmt: skip
    stale = await served.client(token, last_seq=last, epoch="another-history")
    reload = await stale.next_event(10)
    state = await stale.next_event(10)
    assert reload["type"] == "resume.reload" and state["type"] == "state"
    assert [(a["id"], a["status"]) for a in state["data"]["assignments"]] == [(aid, "en_route")]
    before = cli.last_seq
    await cli.close()
    async with served.db.transaction() as s:  # more than HUZHU_RESUME_MAX_EVENTS (50) missed
        many = [EventIn("test.filler", {}, [f"volunteer:{vid}"]) for _ in range(60)]
        await emit_many(s, many)
    await cli.connect()
    kinds = [(await cli.next_event(10))["type"] for _ in range(2)]
    assert kinds == ["resume.reload", "state"] and cli.last_seq > before


async def test_the_people_of_a_visit_only_while_it_is_active(served: Served) -> None:
    p = await place(served.db, served.tc, served.n())
    hid = await household(served.db, p, {"李奶奶": ["aged_80_plus"], "小李": []})
    _, token = await volunteer(served.db, p, f"visit{p.community.code}")
    c = await served.client(token)
    create_need(served.server.base, p, household_id=hid)
    aid = (await until(c, "assignment.offered"))["data"]["id"]
    early = await c.request("assignment.contact", {"assignment_id": aid})
    assert not early["ok"] and early["error"]["status"] == 403
    assert (await c.request("offer.accept", {"assignment_id": aid}))["ok"]
    contact = await c.request("assignment.contact", {"assignment_id": aid})
    assert contact["ok"] and contact["data"]["household"]["id"] == str(hid)
    members = {m["name"]: m["tags"] for m in contact["data"]["household"]["members"]}
    assert members == {"李奶奶": ["aged_80_plus"], "小李": []}
    async with served.db.reader() as s:
        logged = await s.scalar(select(func.count()).where(PersonalDataAccess.subject_id == hid))
    assert logged == 1
    bad = await c.request("visit.report", {"assignment_id": aid, "report": "safe"})
    assert bad["error"]["errors"][0]["loc"] == ["data", "report"]


async def test_bad_messages_are_answered_naming_the_field(served: Served) -> None:
    p = await place(served.db, served.tc, served.n())
    _, token = await volunteer(served.db, p, f"typo{p.community.code}")
    c = await served.client(token)
    async with connect(served.server.ws + "/ws/volunteer") as raw:
        await raw.send(json.dumps({"id": "a", "type": "auth", "data": {"token": token}}))
        assert json.loads(await raw.recv())["ok"]
        assert json.loads(await raw.recv())["type"] == "state"
        await raw.send("{not json")
        assert json.loads(await raw.recv())["error"]["errors"][0]["loc"] == ["message"]
        await raw.send(json.dumps({"type": "ping"}))
        answer = json.loads(await raw.recv())
        assert answer["re"] is None and answer["error"]["errors"][0]["loc"] == ["id"]
    cases = [
        ("offer.accepted", {"assignment_id": str(uuid.uuid4())}, 422, ["type"]),
        ("offer.accept", {"assignment_id": "nope"}, 422, ["data", "assignment_id"]),
        ("offer.accept", {}, 422, ["data", "assignment_id"]),
        ("assignment.status", {"assignment_id": str(uuid.uuid4()), "status": "flying"}, 422,
         ["data", "status"]),
        ("position", {"lon": 99.9, "lat": 200}, 422, ["data", "lat"]),
        ("offer.accept", {"assignment_id": str(uuid.uuid4())}, 404, None),
    ]  # fmt: skip
    for kind, data, status, loc in cases:
        answer = await c.request(kind, data)
        assert not answer["ok"] and answer["error"]["status"] == status, (kind, answer)
        if loc is not None:
            assert answer["error"]["errors"][0]["loc"] == loc, (kind, answer)
    stored = await c.request("position", {"lon": p.point[0], "lat": p.point[1]})
    again = await c.request("position", {"lon": p.point[0], "lat": p.point[1], "accuracy_m": 8})
    assert stored["data"] == {"stored": True} and again["data"] == {"stored": False}
