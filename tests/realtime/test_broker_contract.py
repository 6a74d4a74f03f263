"""One contract for both brokers (in-process and Redis Streams), real backends only."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from core.events.outbox import Event
from realtime.broker import Delivery, broker_for
from realtime.broker_memory import MemoryBroker
from realtime.broker_redis import RedisBroker

AT = datetime(2026, 12, 1, 8, 0, 0, 123456, tzinfo=UTC)


def ev(seq: int, *streams: str) -> Event:
    return Event(
        seq=seq,
        epoch="e1",
        type="need.created",
        at=AT,
        data={"seq": seq, "名": "水"},
        streams=streams or ("incident:x",),
    )


def batch(*seqs: int) -> list[Event]:
    return [ev(s) for s in seqs]


async def drain(sub, *, until: int) -> list[Delivery]:
    """Deliveries until one ends at ``until`` (each next() bounded by a deadline)."""
    out: list[Delivery] = []
    while not out or out[-1].last_seq < until:
        d = await sub.next(timeout=10)
        assert d is not None, f"no delivery up to {until}; got {out}"
        out.append(d)
    return out


async def test_order_chain_and_every_subscriber_gets_everything(make_broker) -> None:
    broker = make_broker()
    await broker.connect()
    async with broker.subscribe(after_seq=0) as a, broker.subscribe(after_seq=0) as b:
        await broker.publish(batch(1, 2), prev_seq=0)
        await broker.publish(batch(3), prev_seq=2)
        await broker.publish([ev(4, "volunteer:v", "area:53/"), ev(6)], prev_seq=3)
        for sub in (a, b):
            got = await drain(sub, until=6)
            assert [(d.prev_seq, [e.seq for e in d.events]) for d in got] == [
                (0, [1, 2]),
                (2, [3]),
                (3, [4, 6]),
            ]
            assert not any(d.lost for d in got)
            assert got[2].events[0] == ev(4, "volunteer:v", "area:53/")
            assert await sub.next(timeout=0.05) is None
    assert await broker.head(epoch="e1") == 6
    assert await broker.head(epoch="another history") == 0


async def test_subscribe_after_seq(make_broker) -> None:
    broker = make_broker()
    await broker.publish(batch(1, 2), prev_seq=0)
    await broker.publish(batch(3), prev_seq=2)
    await broker.publish(batch(4, 5), prev_seq=3)
    async with broker.subscribe(after_seq=2) as sub:
        got = await drain(sub, until=5)
        assert [(d.prev_seq, [e.seq for e in d.events]) for d in got] == [(2, [3]), (3, [4, 5])]
    async with broker.subscribe(after_seq=4) as sub:
        (d,) = await drain(sub, until=5)
        assert (d.prev_seq, [e.seq for e in d.events]) == (4, [5])
    async with broker.subscribe(after_seq=5) as sub:
        assert await sub.next(timeout=0.05) is None
        await broker.publish(batch(6), prev_seq=5)
        (d,) = await drain(sub, until=6)
        assert (d.prev_seq, [e.seq for e in d.events], d.lost) == (5, [6], False)


async def test_a_republished_batch_is_ignored(make_broker) -> None:
    broker = make_broker()
    async with broker.subscribe(after_seq=0) as sub:
        await broker.publish(batch(1, 2), prev_seq=0)
        await broker.publish(batch(1, 2), prev_seq=0)
        await broker.publish(batch(2), prev_seq=1)
        await broker.publish(batch(3), prev_seq=2)
        got = await drain(sub, until=3)
        assert [[e.seq for e in d.events] for d in got] == [[1, 2], [3]]


async def test_a_subscriber_that_does_not_read_learns_it_lost_some(make_broker) -> None:
    broker = make_broker(small=True)
    async with broker.subscribe(after_seq=0) as slow, broker.subscribe(after_seq=0) as fast:
        seen_fast: list[int] = []
        for seq in range(1, 301):
            await broker.publish(batch(seq), prev_seq=seq - 1)
            if isinstance(broker, MemoryBroker):
                d = await fast.next(timeout=10)
                seen_fast += [e.seq for e in d.events]
        if isinstance(broker, MemoryBroker):
            assert seen_fast == list(range(1, 301))  # a reading subscriber is unaffected
            assert broker.overflows >= 1 and slow.overflows >= 1
        first = await slow.next(timeout=10)
        assert first is not None and first.lost and first.events == ()
        await broker.publish(batch(301), prev_seq=300)
        rest = await drain(slow, until=301)  # then it continues: a chain again, up to the end
        assert not any(d.lost for d in rest)
        for before, after in itertools.pairwise(rest):
            assert after.prev_seq == before.last_seq
        assert (rest[-1].prev_seq, [e.seq for e in rest[-1].events]) == (300, [301])


async def test_close_ends_subscriptions(make_broker) -> None:
    broker = make_broker()
    async with broker.subscribe(after_seq=0) as sub:
        await broker.publish(batch(1), prev_seq=0)
        await broker.close()
        assert await sub.next(timeout=1) is None
    assert await sub.next(timeout=1) is None


def test_broker_for_chooses_by_url() -> None:
    assert isinstance(broker_for(None), MemoryBroker)
    assert isinstance(broker_for("memory://"), MemoryBroker)
    redis = broker_for("redis://127.0.0.1:6379/2", stream_maxlen=50)
    assert isinstance(redis, RedisBroker) and redis.maxlen == 50
    with pytest.raises(ValueError, match="memory://"):
        broker_for("kafka://x")
