"""A household member sends an SOS through a one-time link, on both engines."""

from __future__ import annotations

from tests.core.incidents.needs_world import build_world, counts, with_users


async def _member(api, w, who: str, person: str) -> dict[str, str]:
    link = await api.post(f"/api/v1/persons/{w.p[person]}/sos-link", headers=w.users[who][1])
    assert link.status_code == 201, link.text
    ex = await api.post("/api/v1/invites/exchange", json={"code": link.json()["code"]})
    assert ex.status_code == 200, ex.text
    return {"Authorization": f"Bearer {ex.json()['token']}"}


async def _sos(api, w, headers, body, incident="live"):
    return await api.post(f"/api/v1/incidents/{w.inc[incident]}/sos", json=body, headers=headers)


async def test_member_sends_an_sos_for_their_household(api, session) -> None:
    w = await with_users(session, await build_world(session))
    member = await _member(api, w, "coord_a", "小乙")
    r = await _sos(api, w, member, {"lon": 99.912, "lat": 25.612, "person_id": str(w.p["小乙"])})
    assert r.status_code == 201, r.text
    sos = r.json()
    assert (sos["kind"], sos["source"], sos["severity"]) == ("rescue", "sos", 4)
    assert sos["household_id"] == str(w.h["h1"])
    me = (await api.get("/api/v1/auth/me", headers=member)).json()
    assert me["role"] == "household_contact" and me["scope_path"] == w.c["A1"].area_path


async def test_member_of_a_grid_workers_household(api, session) -> None:
    w = await with_users(session, await build_world(session))
    member = await _member(api, w, "grid", "老甲")
    r = await _sos(api, w, member, {"lon": 99.905, "lat": 25.605})
    assert r.status_code == 201, r.text
    assert r.json()["household_id"] == str(w.h["h1"])


async def test_member_cannot_send_for_another_household(api, session) -> None:
    w = await with_users(session, await build_world(session))
    member = await _member(api, w, "coord_a", "老甲")
    before = await counts(session)
    r = await _sos(api, w, member, {"lon": 99.93, "lat": 25.61, "household_id": str(w.h["h2"])})
    assert 400 <= r.status_code < 500, r.text
    r = await _sos(api, w, member, {"lon": 100.61, "lat": 25.31}, incident="b")
    assert r.status_code == 404, r.text
    assert await counts(session) == before
