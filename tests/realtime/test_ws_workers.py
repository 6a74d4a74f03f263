"""Two workers, one PostgreSQL, one Redis: one event flow that survives a dead worker and a
Redis restart (each worker a real ``huzhu serve``; Redis a private ``redis-server``)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from core import clock
from core.db import Database
from core.events.models import Timer
from core.events.outbox import read_after
from core.incidents.match_models import Assignment
from realtime.client import SocketClient
from tests.realtime.servers import RedisServer, Server
from tests.realtime.sockets import database_url, eventually, marker, until
from tests.realtime.ws_world import counties, create_need, place, volunteer


async def _expire(db: Database, aid: uuid.UUID) -> None:
    """The offer's deadline passes (its timer becomes due for whichever worker polls)."""
    past = clock.now() - timedelta(seconds=1)
    async with db.transaction() as s:
        await s.execute(update(Assignment).where(Assignment.id == aid).values(offer_deadline=past))
        await s.execute(update(Timer).where(Timer.key == f"offer:{aid}").values(due_at=past))


async def _status_is(db: Database, aid: uuid.UUID, status: str) -> bool:
    async with db.reader() as s:
        return await s.scalar(select(Assignment.status).where(Assignment.id == aid)) == status


async def _offered(db: Database, vid: uuid.UUID, need_id: str) -> bool:
    async with db.reader() as s:
        found = await s.scalar(
            select(Assignment.id).where(
                Assignment.volunteer_id == vid,
                Assignment.need_id == uuid.UUID(need_id),
                Assignment.status == "offered",
            )
        )
    return found is not None


async def _received_all(db: Database, c: SocketClient, stream: str, after: int, end: int) -> list:
    """Read ``c`` up to the marker ``end``; its events must be exactly the stream's events
    in ``(after, end]``, in order, each once."""
    got: list[dict] = []
    await until(c, "test.marker", seen=got, where=lambda e: e["seq"] == end)
    async with db.reader() as s:
        expected = [e.seq for e in await read_after(s, after, streams=[stream]) if e.seq <= end]
    assert [e["seq"] for e in got if e.get("type") != "state"] == expected
    return got


@pytest.mark.only_engine("postgresql")
async def test_two_workers_share_one_flow_through_a_kill_and_a_redis_restart(
    committed: Database, tmp_path
) -> None:
    redis = RedisServer(tmp_path).start()
    url = database_url(committed)
    a = Server(url, tmp_path, redis_url=redis.url).start()
    b = Server(url, tmp_path, redis_url=redis.url).start()
    a2 = None
    clients: list[SocketClient] = []
    try:
        tc = await counties(committed)
        p = await place(committed, tc, 1)
        vid, token = await volunteer(committed, p, "worker1")
        await volunteer(committed, p, "worker2", dlat=0.01)
        stream = f"volunteer:{vid}"
        phone = SocketClient(a.ws, token)
        clients.append(phone)
        await phone.connect()
        create_need(b.base, p)  # through worker B; the volunteer is on worker A
        offer = await until(phone, "assignment.offered")
        last = phone.last_seq
        assert last is not None

        a.kill()  # SIGKILL with the offer pending
        aid = uuid.UUID(offer["data"]["id"])
        await _expire(committed, aid)  # B's timers expire it
        await eventually(lambda: _status_is(committed, aid, "expired"), what="the expiry")
        end = await marker(committed, stream)
        await phone.reconnect(b.ws)  # to B, with its last seq
        got = await _received_all(committed, phone, stream, last, end)
        assert [e["type"] for e in got] == ["assignment.expired", "test.marker"]

        # started off the event loop: the phone, connected meanwhile, answers its heartbeats
        a2 = await asyncio.to_thread(Server(url, tmp_path, redis_url=redis.url).start)
        second = SocketClient(a2.ws, token)  # the same volunteer on another worker too
        clients.append(second)
        await second.connect()
        start = (await second.next_event(10))["seq"]  # its fresh state's position
        phone_at = phone.last_seq
        assert phone_at is not None

        await asyncio.to_thread(redis.restart)  # every stream gone
        need = create_need(b.base, p, dlat=0.002)
        await eventually(lambda: _offered(committed, vid, need), what="a new offer")
        end = await marker(committed, stream)
        got = await _received_all(committed, phone, stream, phone_at, end)
        seen = await _received_all(committed, second, stream, start, end)
        assert "assignment.offered" in [e["type"] for e in got]
        assert [e["seq"] for e in got] == [e["seq"] for e in seen if e["seq"] > phone_at]
    finally:
        for c in clients:
            await c.close()
        for server in (a, b, a2):
            if server is not None:
                server.stop()
        redis.kill()
