"""Redis Streams only: a private redis-server killed (-9) and started again on its port."""

from __future__ import annotations

import asyncio

import pytest
from redis.exceptions import RedisError

from realtime.broker_redis import RedisBroker
from tests.realtime.conftest import PrivateRedis
from tests.realtime.test_broker_contract import batch, drain


async def test_restart_gives_lost_then_continues(private_redis: PrivateRedis) -> None:
    broker = RedisBroker(private_redis.url)
    try:
        async with broker.subscribe(after_seq=0) as a, broker.subscribe(after_seq=0) as b:
            await broker.publish(batch(1, 2), prev_seq=0)
            for sub in (a, b):
                assert [e.seq for d in await drain(sub, until=2) for e in d.events] == [1, 2]
            waiting = asyncio.create_task(a.next())  # blocked in XREAD across the restart
            await asyncio.sleep(0)  # let it reach XREAD
            private_redis.kill()
            # While Redis is down: no exception to the consumer, None on timeout.
            assert await b.next(timeout=0.3) is None
            assert not b.connected
            with pytest.raises(RedisError):
                await broker.publish(batch(3), prev_seq=2)
            assert not waiting.done()
            private_redis.start()
            await broker.publish(batch(3), prev_seq=2)  # publish after the restart works
            await broker.publish(batch(4, 5), prev_seq=3)
            for sub, first in ((a, await asyncio.wait_for(waiting, 10)), (b, None)):
                first = first or await sub.next(timeout=10)
                assert first is not None and first.lost and first.events == ()
                rest = await drain(sub, until=5)
                assert [(d.prev_seq, [e.seq for e in d.events]) for d in rest] == [
                    (2, [3]),
                    (3, [4, 5]),
                ]
                assert sub.connected
            assert await broker.head(epoch="e1") == 5
    finally:
        await broker.close()


async def test_a_subscriber_starting_while_redis_is_down_catches_up(
    private_redis: PrivateRedis,
) -> None:
    broker = RedisBroker(private_redis.url)
    try:
        private_redis.kill()
        async with broker.subscribe(after_seq=0) as sub:
            assert await sub.next(timeout=0.2) is None
            assert await broker.head(epoch="e1") == 0  # unknown while down
            private_redis.start()
            await broker.publish(batch(1), prev_seq=0)
            (d,) = await drain(sub, until=1)
            assert (d.prev_seq, d.lost) == (0, False)  # first connection: nothing to lose
    finally:
        await broker.close()
