"""Realtime fixtures: brokers of both kinds, a private restartable ``redis-server``.

* ``broker_kind`` — "memory" or "redis" (the shared test Redis from
  ``HUZHU_TEST_REDIS_URL``, each test on its own stream key).
* ``private_redis`` — a ``redis-server`` of this test on a free port (nothing on disk),
  which the test may kill -9 and start again on the same port.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from realtime.broker_memory import MemoryBroker
from realtime.broker_redis import RedisBroker
from tests.conftest import service_url
from tests.realtime.servers import RedisServer

PrivateRedis = RedisServer  # the brokers' tests name it so


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def redis_url() -> str:
    return service_url("HUZHU_TEST_REDIS_URL", "Redis")


@pytest.fixture(params=["memory", "redis"])
def broker_kind(request: pytest.FixtureRequest) -> str:
    if request.param == "redis":
        request.getfixturevalue("redis_url")  # skips (or fails) without a test Redis
    return request.param


@pytest.fixture
async def make_broker(broker_kind: str, request: pytest.FixtureRequest) -> AsyncIterator:
    """``make_broker(small=False)``: a new broker of ``broker_kind``; ``small`` = a memory
    queue of 5 batches or a Redis stream trimmed to about 10 entries."""
    made: list[MemoryBroker | RedisBroker] = []
    key = f"huzhu:test:{uuid.uuid4().hex}"

    def make(*, small: bool = False) -> MemoryBroker | RedisBroker:
        if broker_kind == "memory":
            broker: MemoryBroker | RedisBroker = MemoryBroker(capacity=5 if small else 10_000)
        else:
            url = request.getfixturevalue("redis_url")
            broker = RedisBroker(url, key=key, maxlen=10 if small else 100_000)
        made.append(broker)
        return broker

    yield make
    for broker in made:
        await broker.close()
    if broker_kind == "redis":
        client = Redis.from_url(request.getfixturevalue("redis_url"))
        await client.delete(key, f"{key}:instance")
        await client.aclose()


async def eventually(check: Callable, *, timeout: float = 10.0, what: str = "condition"):
    """Poll the (async) ``check`` until it answers something truthy, within a deadline."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"{what} not reached within {timeout:g} s")
        await asyncio.sleep(0.02)
