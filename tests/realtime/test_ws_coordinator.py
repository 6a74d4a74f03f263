"""``/ws/coordinator`` against a real ``huzhu serve``: only the coordinator's area, ever."""

from __future__ import annotations

import os
import subprocess
from typing import Any

import pytest

from core.auth.roles import Role
from realtime.client import Refused
from tests.realtime.servers import HUZHU
from tests.realtime.sockets import Served, database_url, marker, served_fixture, until  # noqa: F401
from tests.realtime.ws_world import create_need, place, token_for, volunteer

COORD = "/ws/coordinator"


def _is(need_id: str) -> Any:
    return lambda e: e["data"].get("id") == need_id


def _paths(seen: list[dict]) -> list[str]:
    return [e["data"]["area_path"] for e in seen if "area_path" in e.get("data", {})]


async def test_a_coordinator_sees_only_their_area(served: Served) -> None:
    pa = await place(served.db, served.tc, served.n(), county="a")
    pb = await place(served.db, served.tc, served.n(), county="b")
    admin = await token_for(served.db, f"admin{pa.community.code}", Role.admin, None)
    ca = await served.client(pa.coordinator, path=COORD)
    cb = await served.client(pb.coordinator, path=COORD)
    everyone = await served.client(admin, path=COORD)
    need_a = create_need(served.server.base, pa)
    seen_a: list[dict] = []
    seen_b: list[dict] = []
    created = await until(ca, "need.created", seen=seen_a, where=_is(need_a))
    await until(everyone, "need.created", where=_is(need_a))
    need_b = create_need(served.server.base, pb)
    await until(cb, "need.created", seen=seen_b, where=_is(need_b))
    await until(everyone, "need.created", where=_is(need_b))
    await marker(served.db, f"area:{pb.community.area_path}")
    await marker(served.db, f"area:{pa.community.area_path}")
    await until(cb, "test.marker", seen=seen_b)
    await until(ca, "test.marker", seen=seen_a)
    county_a, county_b = pa.county.area_path, pb.county.area_path
    assert all(path.startswith(county_b) for path in _paths(seen_b))
    assert created["seq"] not in {e.get("seq") for e in seen_b}
    assert all(path.startswith(county_a) for path in _paths(seen_a))
    assert need_b not in {e["data"].get("id") for e in seen_a}


async def test_subscribe_narrows_to_one_incident_in_scope(served: Served) -> None:
    p1 = await place(served.db, served.tc, served.n())
    p2 = await place(served.db, served.tc, served.n())
    pb = await place(served.db, served.tc, served.n(), county="b")
    c = await served.client(p1.coordinator, path=COORD)
    answer = await c.request("subscribe", {"incident_id": str(p1.incident)})
    assert answer["ok"] and answer["data"] == {"incident_id": str(p1.incident)}
    outside = await c.request("subscribe", {"incident_id": str(pb.incident)})
    assert not outside["ok"] and outside["error"]["status"] == 404  # existence not disclosed
    bad = await c.request("subscribe", {"incident_id": "x"})
    assert bad["error"]["errors"][0]["loc"] == ["data", "incident_id"]
    other = create_need(served.server.base, p2)
    mine = create_need(served.server.base, p1)
    seen: list[dict] = []
    await until(c, "need.created", seen=seen, where=_is(mine))
    assert other not in {e["data"].get("id") for e in seen}
    assert (await c.request("subscribe", {}))["data"] == {"incident_id": None}
    third = create_need(served.server.base, p2)
    await until(c, "need.created", where=_is(third))


async def test_only_coordinators_and_admins_and_revoking_the_user_closes(served: Served) -> None:
    p = await place(served.db, served.tc, served.n())
    _, volunteer_token = await volunteer(served.db, p, f"notcoord{p.community.code}")
    with pytest.raises(Refused):
        await served.client(volunteer_token, path=COORD)
    c = await served.client(p.coordinator, path=COORD)
    env = {**os.environ, "HUZHU_DATABASE_URL": database_url(served.db)}
    done = subprocess.run([HUZHU, "user", "revoke", p.coordinator_name, "--disable"],
                          env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    seen: list[dict] = []
    with pytest.raises(Refused) as closed:
        await until(c, "never", seen=seen)
    assert closed.value.code == 4401 and seen[-1]["type"] == "token.revoked"
