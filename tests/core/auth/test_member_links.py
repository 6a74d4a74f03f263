"""One-time member links: who makes them, single use, expiry, reuse, on both engines."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core import clock
from core.auth.models import Invite, User
from tests.core.incidents.needs_world import build_world, with_users


async def _world(session):
    return await with_users(session, await build_world(session))


async def _link(api, w, who, person):
    pid = w.p[person] if isinstance(person, str) else person
    return await api.post(f"/api/v1/persons/{pid}/sos-link", headers=w.users[who][1])


async def _count(session, model) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_link_is_exchanged_once_for_a_member_token(api, session, settings) -> None:
    w = await _world(session)
    r = await _link(api, w, "coord_a", "老甲")
    assert r.status_code == 201, r.text
    code = r.json()["code"]
    assert r.json()["link"] == f"{settings.public_url.rstrip('/')}/h#{code}"
    invite = await session.scalar(select(Invite).order_by(Invite.created_at.desc()).limit(1))
    assert invite is not None and invite.username == f"member-{w.p['老甲']}"
    assert (invite.role, invite.display_name) == ("household_contact", "")
    assert (invite.area_id, invite.scope_path) == (w.c["A1"].id, w.c["A1"].area_path)
    ok = await api.post("/api/v1/invites/exchange", json={"code": code})
    assert ok.status_code == 200, ok.text
    assert ok.json()["role"] == "household_contact"
    member = await session.get(User, uuid.UUID(ok.json()["user_id"]))
    assert member is not None and member.household_id == w.h["h1"]
    assert member.display_name == "" and invite.user_id == member.id
    again = await api.post("/api/v1/invites/exchange", json={"code": code})
    assert again.status_code == 401 and again.json()["detail"] == "code already used"


async def test_a_later_link_reuses_the_member_user(api, session) -> None:
    w = await _world(session)
    ids = []
    for who in ("coord_a", "contact1"):
        r = await _link(api, w, who, "小乙")
        assert r.status_code == 201, r.text
        ex = await api.post("/api/v1/invites/exchange", json={"code": r.json()["code"]})
        assert ex.status_code == 200, ex.text
        ids.append(ex.json()["user_id"])
    assert ids[0] == ids[1]
    stmt = select(func.count()).where(User.username == f"member-{w.p['小乙']}")
    assert await session.scalar(stmt) == 1


@pytest.mark.parametrize(
    ("who", "person", "status"),
    [
        ("coord_b", "老甲", 404),  # outside the coordinator's subtree
        ("contact2", "老甲", 404),  # another household
        ("volunteer", "老甲", 404),  # reaches no household
        ("grid", "丙", 404),  # outside the grid worker's community
        ("auditor", "老甲", 403),  # sees it, may not make links
        ("coord_a", None, 404),  # no such person
    ],
)
async def test_who_may_not_make_a_link(api, session, who, person, status) -> None:
    w = await _world(session)
    before = await _count(session, Invite)
    r = await _link(api, w, who, person or w.h["h1"])
    assert r.status_code == status, r.text
    assert await _count(session, Invite) == before


@pytest.mark.parametrize(
    ("who", "person"), [("grid", "老甲"), ("contact1", "小乙"), ("admin", "己")]
)
async def test_who_may_make_a_link(api, session, who, person) -> None:
    w = await _world(session)
    assert (await _link(api, w, who, person)).status_code == 201


async def test_expired_link_is_refused(api, session, settings) -> None:
    start = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    with clock.use_clock(clock.ManualClock(start)) as manual:
        w = await _world(session)
        r = await _link(api, w, "coord_a", "老甲")
        assert r.status_code == 201
        users = await _count(session, User)
        manual.advance(timedelta(hours=settings.invite_ttl_hours, seconds=1))
        ex = await api.post("/api/v1/invites/exchange", json={"code": r.json()["code"]})
    assert ex.status_code == 401 and ex.json()["detail"] == "code expired"
    assert await _count(session, User) == users


async def test_bad_input_spends_nothing(api, session) -> None:
    w = await _world(session)
    r = await api.post(
        "/api/v1/invites",
        json={"role": "household_contact", "area_code": w.c["A1"].code,
              "username": f"member-{w.p['老甲']}"},
        headers=w.users["coord_a"][1],
    )  # fmt: skip
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "username"]
    code = (await _link(api, w, "coord_a", "老甲")).json()["code"]
    bad = await api.post("/api/v1/invites/exchange", json={"code": code, "password": "x" * 12})
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["body", "password"]
    ok = await api.post("/api/v1/invites/exchange", json={"code": code})
    assert ok.status_code == 200, ok.text
