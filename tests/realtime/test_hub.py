"""The hub on both engines with a real in-process broker and relay running."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

from sqlalchemy import update

from core.db import Database
from core.events.models import MetaValue
from core.events.outbox import Event, EventIn, emit_many, read_after
from realtime.broker_memory import MemoryBroker
from realtime.hub import Hub, Listener
from realtime.relay import Relay
from tests.realtime.conftest import eventually

A = "area:53/5329/"  # a county and everything below


async def emit_events(db: Database, *streams_each: list[str]) -> list[int]:
    """One transaction emitting one event per stream list; returns their seqs."""
    async with db.transaction() as s:
        return await emit_many(s, [EventIn("need.created", {"i": i}, st) for i, st in
                                   enumerate(streams_each)])  # fmt: skip


async def take(listener: Listener, count: int) -> list[Event]:
    """Exactly ``count`` events (within a deadline), then nothing more is pending."""
    got: list[Event] = []
    while len(got) < count:
        batch = await listener.next(timeout=10)
        assert batch is not None, f"only {len(got)} of {count} events arrived"
        got += batch
    assert len(got) == count, got
    return got


@contextlib.asynccontextmanager
async def hub_and_relay(db: Database, **hub_kw) -> AsyncIterator[Hub]:
    broker = MemoryBroker()
    relay = Relay(db, broker, retry_s=0.1)
    hub = Hub(db, broker, **hub_kw)
    await hub.start()
    await relay.start()
    try:
        yield hub
    finally:
        await relay.stop()
        await hub.stop()
        await broker.close()


async def test_events_reach_the_right_listeners_in_order_once(committed: Database) -> None:
    async with hub_and_relay(committed) as hub:
        inc = hub.listen(streams=["incident:x"])
        area = hub.listen(prefixes=[A])
        both = hub.listen(streams=["volunteer:v"], prefixes=[A])
        none = hub.listen()
        everything = hub.listen(prefixes=[""])
        closed = hub.listen(streams=["incident:x"])
        closed.close()
        seqs = await emit_events(
            committed,
            ["incident:x", f"{A}532922/"],
            ["volunteer:v"],
            ["area:53/5330/", "incident:y"],
            [A],
        )
        seqs += await emit_events(committed, ["incident:x"], ["area:53_5329/"])
        assert [e.seq for e in await take(inc, 2)] == [seqs[0], seqs[4]]
        assert [e.seq for e in await take(area, 2)] == [seqs[0], seqs[3]]
        assert [e.seq for e in await take(both, 3)] == [seqs[0], seqs[1], seqs[3]]
        assert [e.seq for e in await take(everything, 6)] == seqs
        assert await closed.next(timeout=1) is None
        for listener in (inc, area, both, none, everything):
            assert await listener.next(timeout=0.1) is None  # nothing twice, nothing else
        assert inc.last_seq == seqs[4]


async def test_resume_returns_exactly_the_missed_events(committed: Database) -> None:
    async with hub_and_relay(committed) as hub:
        old = await emit_events(committed, ["incident:x"], ["incident:y"], ["incident:x"])
        listener = hub.listen(streams=["incident:x"])
        live = await emit_events(committed, ["incident:x"])  # arrives while it is resuming
        await eventually(lambda: hub.last_seq >= live[0], what="hub saw it")
        resumed = await listener.resume(old[0], epoch=None, max_events=100)
        assert not resumed.reload and len(resumed.epoch) == 36
        assert [e.seq for e in resumed.events] == [old[2], live[0]]
        after = await emit_events(committed, ["incident:x"])
        assert [e.seq for e in await take(listener, 1)] == after  # no gap, no duplicate
        same = await listener.resume(after[0], epoch=resumed.epoch, max_events=100)
        assert same.events == [] and not same.reload


async def test_resume_reloads_on_new_epoch_or_too_many_missed(committed: Database) -> None:
    async with hub_and_relay(committed) as hub:
        seqs = await emit_events(committed, *[["incident:x"]] * 5)
        listener = hub.listen(streams=["incident:x"])
        many = await listener.resume(0, epoch=None, max_events=4)
        assert many.reload and many.events == [] and listener.last_seq == seqs[-1]
        exact = await hub.listen(streams=["incident:x"]).resume(0, epoch=None, max_events=5)
        assert not exact.reload and [e.seq for e in exact.events] == seqs
        async with committed.transaction() as s:
            old = exact.epoch
            new = str(uuid.uuid4())
            await s.execute(update(MetaValue).where(MetaValue.key == "epoch").values(value=new))
        try:
            changed = await hub.listen(streams=["incident:x"]).resume(3, epoch=old, max_events=9)
            assert changed.reload and changed.epoch == new and changed.events == []
        finally:
            async with committed.transaction() as s:
                await s.execute(update(MetaValue).where(MetaValue.key == "epoch").values(value=old))


async def test_a_slow_listener_overflows_alone_and_refills_from_the_database(
    committed: Database,
) -> None:
    async with hub_and_relay(committed, queue_size=5) as hub:
        slow = hub.listen(streams=["incident:x"])
        fast = hub.listen(streams=["incident:x"])
        seqs: list[int] = []
        got_fast: list[Event] = []
        for _ in range(4):
            seqs += await emit_events(committed, *[["incident:x"]] * 4)
            got_fast += await take(fast, 4)  # the fast one keeps up, batch by batch
        assert [e.seq for e in got_fast] == seqs
        await eventually(lambda: slow.overflows >= 1, what="slow listener overflowed")
        assert fast.overflows == 0
        got_slow: list[Event] = []
        while len(got_slow) < len(seqs):
            batch = await slow.next(timeout=10)
            assert batch is not None
            got_slow += batch
        assert [e.seq for e in got_slow] == seqs  # everything, in order, once
        more = await emit_events(committed, ["incident:x"])
        assert [e.seq for e in await take(slow, 1)] == more


async def test_a_gap_is_read_once_for_every_listener(committed: Database) -> None:
    broker = MemoryBroker()
    hub = Hub(committed, broker, idle_poll_s=60)  # no idle poll: count the gap's reads
    await hub.start()
    relay = Relay(committed, broker, retry_s=0.1)
    try:
        listeners = [hub.listen(streams=["incident:x"]) for _ in range(3)]
        unpublished = await emit_events(committed, *[["incident:x"]] * 3)  # no relay yet
        await relay.start()
        await eventually(lambda: relay.holding, what="relay holding")
        published = await emit_events(committed, ["incident:x"])  # prev_seq past the hub
        for listener in listeners:
            assert [e.seq for e in await take(listener, 4)] == unpublished + published
        assert hub.fills == 1
    finally:
        await relay.stop()
        await hub.stop()


async def test_a_lost_delivery_is_read_from_the_database(committed: Database) -> None:
    broker = MemoryBroker(capacity=1)
    hub = Hub(committed, broker, idle_poll_s=60)
    await hub.start()
    try:
        listener = hub.listen(streams=["incident:x"])
        seqs = await emit_events(committed, ["incident:x"], ["incident:y"], ["incident:x"])
        async with committed.reader() as s:
            rows = await read_after(s, 0)
        for prev, row in zip([0, *seqs], rows, strict=False):  # faster than the hub reads
            await broker.publish([row], prev_seq=prev)
        assert broker.overflows >= 1
        assert [e.seq for e in await take(listener, 2)] == [seqs[0], seqs[2]]
        assert await listener.next(timeout=0.1) is None
    finally:
        await hub.stop()
