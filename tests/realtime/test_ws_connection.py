"""A socket's life on a real server: who may open it, heartbeats, idle close, revocation."""

from __future__ import annotations

import json

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from realtime.client import Refused
from tests.realtime.sockets import Served, served_fixture, until  # noqa: F401
from tests.realtime.ws_world import place, volunteer


async def test_only_a_volunteer_token_opens_the_socket(served: Served) -> None:
    p = await place(served.db, served.tc, served.n())
    for token in ("hz_not-a-token", p.coordinator):
        with pytest.raises(Refused):
            await served.client(token)
    async with connect(served.server.ws + "/ws/volunteer") as raw:
        await raw.send(json.dumps({"id": "x", "type": "ping", "data": {}}))
        assert not json.loads(await raw.recv())["ok"]
        await raw.wait_closed()
        assert raw.close_code == 4401


async def test_permessage_deflate_is_off_by_default(served: Served) -> None:
    async with connect(served.server.ws + "/ws/volunteer", compression="deflate") as raw:
        assert raw.response is not None
        assert "Sec-WebSocket-Extensions" not in raw.response.headers


async def test_heartbeats_and_a_silent_client_is_closed(served: Served) -> None:
    p = await place(served.db, served.tc, served.n())
    _, token = await volunteer(served.db, p, f"quiet{p.community.code}")
    async with connect(served.server.ws + "/ws/volunteer") as raw:
        await raw.send(json.dumps({"id": "a", "type": "auth", "data": {"token": token}}))
        assert json.loads(await raw.recv())["ok"]
        kinds = []
        with pytest.raises(ConnectionClosed):
            while True:  # never answers: heartbeats, then the server closes
                kinds.append(json.loads(await raw.recv())["type"])
        assert "heartbeat" in kinds and raw.close_code == 4408


async def test_revoking_the_token_closes_its_socket(served: Served) -> None:
    p = await place(served.db, served.tc, served.n())
    _, token = await volunteer(served.db, p, f"gone{p.community.code}")
    c = await served.client(token)
    r = httpx.post(f"{served.server.base}/api/v1/auth/logout",
                   headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert r.status_code == 204
    seen: list[dict] = []
    with pytest.raises(Refused) as closed:
        await until(c, "never", seen=seen)
    assert closed.value.code == 4401
    assert [e["type"] for e in seen if e.get("seq")][-1] == "token.revoked"
