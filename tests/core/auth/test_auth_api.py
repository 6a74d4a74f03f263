"""Tokens, logins, invites and revocation through the API, on both engines."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core import clock
from core.auth import service
from core.auth.models import Invite, PersonalDataAccess, Token, User
from core.auth.roles import Role
from tests.conftest import bearer_for
from tests.factories import two_counties

PASSWORD = "correct horse battery"


async def test_login_me_logout(api, session) -> None:
    world = await two_counties(session)
    await service.create_user(
        session=session,
        username="li.wei",
        display_name="李伟",
        role=Role.coordinator,
        area_code=world.county_a.code,
        password=PASSWORD,
    )
    bad = await api.post("/api/v1/auth/token", json={"username": "li.wei", "password": "nope"})
    assert bad.status_code == 401
    assert bad.headers["content-type"] == "application/problem+json"
    ok = await api.post("/api/v1/auth/token", json={"username": "li.wei", "password": PASSWORD})
    assert ok.status_code == 200
    token = ok.json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    me = await api.get("/api/v1/auth/me", headers=headers)
    assert me.json()["role"] == "coordinator"
    assert me.json()["scope_path"] == world.county_a.area_path
    stored = await session.scalar(
        select(Token.token_hash).where(Token.user_id == uuid.UUID(me.json()["user_id"]))
    )
    assert stored != token and token not in stored
    assert (await api.post("/api/v1/auth/logout", headers=headers)).status_code == 204
    assert (await api.get("/api/v1/auth/me", headers=headers)).status_code == 401


async def test_missing_and_unknown_tokens_are_401(api) -> None:
    assert (await api.get("/api/v1/auth/me")).status_code == 401
    r = await api.get("/api/v1/auth/me", headers={"Authorization": "Bearer hz_forged"})
    assert r.status_code == 401
    assert r.json()["detail"] == "unknown token"


async def test_expired_token_is_refused(api, session) -> None:
    world = await two_counties(session)
    start = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    with clock.use_clock(clock.ManualClock(start)) as manual:
        headers = await bearer_for(
            session, role=Role.coordinator, area_code=world.county_a.code, username="coord"
        )
        assert (await api.get("/api/v1/auth/me", headers=headers)).status_code == 200
        manual.advance(timedelta(hours=1, seconds=1))
        r = await api.get("/api/v1/auth/me", headers=headers)
    assert r.status_code == 401
    assert r.json()["detail"] == "token expired"


async def test_revoked_user_is_refused_on_next_call(api, session) -> None:
    world = await two_counties(session)
    admin = await bearer_for(session, role=Role.admin, area_code=None, username="root")
    coord = await bearer_for(
        session, role=Role.coordinator, area_code=world.county_a.code, username="coord"
    )
    me = (await api.get("/api/v1/auth/me", headers=coord)).json()
    r = await api.post(f"/api/v1/users/{me['user_id']}/revoke", headers=admin)
    assert r.status_code == 200 and r.json() == {"revoked_tokens": 1}
    refused = await api.get("/api/v1/auth/me", headers=coord)
    assert refused.status_code == 401 and refused.json()["detail"] == "token revoked"


async def test_invite_exchange_is_single_use_and_scoped(api, session) -> None:
    world = await two_counties(session)
    coord = await bearer_for(
        session, role=Role.coordinator, area_code=world.county_a.code, username="coord"
    )
    body = {
        "role": "volunteer",
        "area_code": world.township_a.code,
        "username": "wang.fang",
        "display_name": "王芳",
    }
    r = await api.post("/api/v1/invites", json=body, headers=coord)
    assert r.status_code == 201, r.text
    code = r.json()["code"]
    assert r.json()["link"].endswith(f"/v#{code}")  # the volunteer page spends it
    assert await session.scalar(select(func.count()).where(Invite.code_hash == code)) == 0
    first = await api.post("/api/v1/invites/exchange", json={"code": code})
    assert first.status_code == 200
    headers = {"Authorization": f"Bearer {first.json()['token']}"}
    me = (await api.get("/api/v1/auth/me", headers=headers)).json()
    assert me["role"] == "volunteer" and me["scope_path"] == world.township_a.area_path
    again = await api.post("/api/v1/invites/exchange", json={"code": code})
    assert again.status_code == 401 and again.json()["detail"] == "code already used"
    assert await session.scalar(select(func.count()).where(User.username == "wang.fang")) == 1


async def test_invite_outside_scope_or_above_role_is_refused(api, session) -> None:
    world = await two_counties(session)
    coord = await bearer_for(
        session, role=Role.coordinator, area_code=world.county_a.code, username="coord"
    )
    before = await session.scalar(select(func.count()).select_from(Invite))
    outside = await api.post(
        "/api/v1/invites",
        json={"role": "volunteer", "area_code": world.county_b.code, "username": "x.y"},
        headers=coord,
    )
    assert outside.status_code == 422
    assert outside.json()["errors"][0]["loc"] == ["body", "area_code"]
    admin = await api.post(
        "/api/v1/invites", json={"role": "admin", "username": "evil"}, headers=coord
    )
    assert admin.status_code == 403
    volunteer = await bearer_for(
        session, role=Role.volunteer, area_code=world.county_a.code, username="vol"
    )
    by_volunteer = await api.post(
        "/api/v1/invites",
        json={"role": "volunteer", "area_code": world.county_a.code, "username": "a.b"},
        headers=volunteer,
    )
    assert by_volunteer.status_code == 403
    assert await session.scalar(select(func.count()).select_from(Invite)) == before


async def test_expired_invite_is_refused(api, session) -> None:
    world = await two_counties(session)
    start = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    with clock.use_clock(clock.ManualClock(start)) as manual:
        coord = await bearer_for(
            session, role=Role.coordinator, area_code=world.county_a.code, username="coord"
        )
        r = await api.post(
            "/api/v1/invites",
            json={"role": "grid_worker", "area_code": world.county_a.code, "username": "g.w"},
            headers=coord,
        )
        manual.advance(timedelta(days=30))
        late = await api.post("/api/v1/invites/exchange", json={"code": r.json()["code"]})
    assert late.status_code == 401 and late.json()["detail"] == "code expired"


async def test_bad_input_names_the_field(api, session) -> None:
    r = await api.post("/api/v1/invites/exchange", json={"code": 5})
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "code"]
    assert r.headers["content-type"] == "application/problem+json"


async def test_users_list_is_scoped_and_paginated(api, session) -> None:
    world = await two_counties(session)
    coord = await bearer_for(
        session, role=Role.coordinator, area_code=world.county_a.code, username="coord"
    )
    for i in range(4):
        await service.create_user(
            session=session,
            username=f"aa{i}",
            display_name="",
            role=Role.volunteer,
            area_code=world.township_a.code,
        )
        await service.create_user(
            session=session,
            username=f"bb{i}",
            display_name="",
            role=Role.volunteer,
            area_code=world.township_b.code,
        )
    names, cursor = [], None
    while True:
        params = {"limit": 2} | ({"next": cursor} if cursor else {})
        page = (await api.get("/api/v1/users", params=params, headers=coord)).json()
        names += [u["username"] for u in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert names == ["aa0", "aa1", "aa2", "aa3", "coord"]
    bad = await api.get("/api/v1/users", params={"next": "%%%"}, headers=coord)
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["query", "next"]


async def test_personal_data_reads_are_logged(session) -> None:
    world = await two_counties(session)
    user = await service.create_user(
        session=session,
        username="coord",
        display_name="",
        role=Role.coordinator,
        area_code=world.county_a.code,
    )
    issued = await service.issue_token(session=session, user=user, ttl=timedelta(hours=1))
    principal = await service.authenticate(session=session, token=issued.token)
    subject = user.id
    await service.log_personal_read(
        session=session,
        principal=principal,
        subject_kind="person",
        subject_ids=[subject, subject],
        purpose="GET /persons/x",
    )
    rows = (await session.scalars(select(PersonalDataAccess))).all()
    assert len(rows) == 1
    assert rows[0].user_id == user.id and rows[0].subject_kind == "person"


async def test_user_create_validates(session) -> None:
    from core.errors import Invalid

    with pytest.raises(Invalid) as bad_area:
        await service.create_user(
            session=session,
            username="coord",
            display_name="",
            role=Role.coordinator,
            area_code="999999999999",
        )
    assert bad_area.value.errors[0].loc == ("body", "area_code")
    with pytest.raises(Invalid) as no_area:
        await service.create_user(
            session=session,
            username="coord",
            display_name="",
            role=Role.coordinator,
            area_code=None,
        )
    assert no_area.value.errors[0].loc == ("body", "area_code")


async def test_grid_worker_gets_their_grids(session) -> None:
    from core.errors import Invalid
    from tests.factories import make_area, make_grid

    world = await two_counties(session)
    community = await make_area(
        session, code="532922100001", name="光明村", level=5, parent=world.township_a
    )
    grid = await make_grid(session, community=community, code="G1")
    user = await service.create_user(
        session=session,
        username="grid.w",
        display_name="",
        role=Role.grid_worker,
        area_code=community.code,
        grid_codes=["G1"],
    )
    issued = await service.issue_token(session=session, user=user, ttl=timedelta(hours=1))
    principal = await service.authenticate(session=session, token=issued.token)
    assert principal.grid_ids == frozenset({grid.id})
    with pytest.raises(Invalid) as unknown:
        await service.create_user(
            session=session,
            username="grid.x",
            display_name="",
            role=Role.grid_worker,
            area_code=community.code,
            grid_codes=["G9"],
        )
    assert unknown.value.errors[0].loc == ("body", "grid_codes", 0)
    with pytest.raises(Invalid):
        await service.create_user(
            session=session,
            username="grid.y",
            display_name="",
            role=Role.grid_worker,
            area_code=community.code,
        )
