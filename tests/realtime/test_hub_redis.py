"""Hubs and relays on Redis Streams: a Redis restart loses nothing, two workers agree."""

from __future__ import annotations

import asyncio
import contextlib

from core.db import Database
from core.events.outbox import Event, emit
from realtime.broker_redis import RedisBroker
from realtime.hub import Hub
from realtime.relay import Relay
from tests.realtime.conftest import PrivateRedis, eventually


class Worker:
    """One app worker's realtime half: its engine, broker, relay, hub and one listener."""

    def __init__(self, db: Database, url: str) -> None:
        self.db = db
        self.broker = RedisBroker(url)
        self.relay = Relay(db, self.broker, retry_s=0.1)
        self.hub = Hub(db, self.broker, idle_poll_s=60)  # only Redis, or polls while it is down
        self.got: list[Event] = []
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.hub.start()
        await self.relay.start()
        listener = self.hub.listen(streams=["incident:x"])

        async def collect() -> None:
            while True:
                self.got += await listener.next(timeout=1) or []

        self._task = asyncio.create_task(collect())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.relay.stop()
        await self.hub.stop()
        await self.broker.close()


async def emit_some(db: Database, count: int) -> list[int]:
    seqs = []
    for n in range(count):
        async with db.transaction() as s:
            seqs.append(await emit(s, type="need.created", data={"n": n}, streams=["incident:x"]))
        async with db.transaction() as s:  # another stream, for nobody here
            await emit(s, type="need.created", data={"n": n}, streams=["incident:y"])
    return seqs


async def test_redis_restart_loses_nothing_and_two_workers_agree(
    committed: Database, private_redis: PrivateRedis
) -> None:
    second_db = None
    workers = [Worker(committed, private_redis.url)]
    if not committed.is_sqlite:  # SQLite runs one worker; PostgreSQL two, like two processes
        second_db = Database(committed.url.render_as_string(hide_password=False))
        workers.append(Worker(second_db, private_redis.url))
    try:
        for w in workers:
            await w.start()
        await eventually(lambda: any(w.relay.holding for w in workers), what="a relay holds")

        def all_have(seqs: list[int]):
            return lambda: all([e.seq for e in w.got] == seqs for w in workers)

        seqs = await emit_some(committed, 5)
        await eventually(all_have(seqs), what="events before the restart")
        private_redis.kill()
        seqs += await emit_some(committed, 5)  # Redis is down: the hubs poll the database
        await eventually(all_have(seqs), what="events while Redis is down")
        private_redis.start()
        seqs += await emit_some(committed, 5)
        await eventually(all_have(seqs), what="events after the restart")
        await eventually(
            lambda: all(s.connected and s.reconnects for w in workers
                        for s in w.broker.subscriptions), what="subscriptions reconnected",
        )  # fmt: skip
        published = sum(w.relay.published for w in workers)
        seqs += await emit_some(committed, 5)
        await eventually(all_have(seqs), what="events on the new stream")
        assert sum(w.relay.published for w in workers) > published
        assert sum(w.relay.holding for w in workers) == 1  # one relay at a time
    finally:
        for w in workers:
            await w.stop()
        if second_db is not None:
            await second_db.dispose()
