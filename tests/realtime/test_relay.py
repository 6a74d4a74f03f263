"""The relay on both engines: committed rows published in order, one relay at a time."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from sqlalchemy import text

from core.db import Database
from core.events.outbox import current_epoch, emit
from realtime.broker import Delivery
from realtime.broker_memory import MemoryBroker
from realtime.relay import Relay
from tests.realtime.conftest import eventually
from tests.realtime.test_broker_contract import ev


async def emit_one(db: Database, n: int) -> int:
    async with db.transaction() as s:
        return await emit(s, type="need.created", data={"n": n}, streams=["incident:x"])


@contextlib.asynccontextmanager
async def running(relay: Relay) -> AsyncIterator[Relay]:
    await relay.start()
    try:
        yield relay
    finally:
        await relay.stop()


async def collect(sub, *, until: int) -> list[Delivery]:
    out: list[Delivery] = []
    while not out or out[-1].last_seq < until:
        d = await sub.next(timeout=10)
        assert d is not None, f"nothing published up to {until}; got {out}"
        out.append(d)
    return out


def chain(deliveries: list[Delivery]) -> list[int]:
    """The seqs delivered, checking each batch names the one before it."""
    for before, after in itertools.pairwise(deliveries):
        assert after.prev_seq == before.last_seq
    return [e.seq for d in deliveries for e in d.events]


async def test_publishes_committed_rows_in_order_from_the_newest(committed: Database) -> None:
    before = [await emit_one(committed, n) for n in range(2)]
    broker = MemoryBroker()
    async with broker.subscribe(after_seq=0) as sub, running(Relay(committed, broker)) as relay:
        await eventually(lambda: relay.holding, what="relay holding")
        assert relay.cursor == before[-1]  # starts at the newest committed seq
        seqs = [await emit_one(committed, n) for n in range(2, 6)]
        got = await collect(sub, until=seqs[-1])
        assert got[0].prev_seq == before[-1]  # older rows: subscribers read them from the DB
        assert chain(got) == seqs
        assert got[0].events[0].data == {"n": 2} and got[0].events[0].streams == ("incident:x",)
        assert relay.published == 4


async def test_starts_after_the_broker_head_of_the_same_epoch(committed: Database) -> None:
    await emit_one(committed, 0)
    async with committed.reader() as s:
        epoch = await current_epoch(s)
    for head_epoch, cursor in (("an older history", 1), (epoch, 40)):
        broker = MemoryBroker()
        await broker.publish([replace(ev(40), epoch=head_epoch)], prev_seq=0)  # stream ahead
        async with running(Relay(committed, broker)) as relay:
            await eventually(lambda relay=relay: relay.holding, what="relay holding")
            assert relay.cursor == cursor


@pytest.mark.only_engine("postgresql")
async def test_late_committing_transaction_is_not_skipped(committed: Database) -> None:
    broker = MemoryBroker()
    async with broker.subscribe(after_seq=0) as sub, running(Relay(committed, broker)) as relay:
        await eventually(lambda: relay.holding, what="relay holding")
        async with committed.writer() as first:
            s1 = await emit(first, type="need.created", data={"who": "first"})
            second_done = asyncio.Event()

            async def second() -> int:
                async with committed.transaction() as s2:
                    seq = await emit(s2, type="need.created", data={"who": "second"})
                second_done.set()
                return seq

            task = asyncio.create_task(second())
            await asyncio.sleep(0.2)  # give the relay polls a chance to run ahead (they must not)
            assert await sub.next(timeout=0.2) is None
            await first.commit()
        s2 = await asyncio.wait_for(task, 10)
        got = await collect(sub, until=s2)
        assert chain(got) == [s1, s2] and s1 < s2
        assert [e.data["who"] for d in got for e in d.events] == ["first", "second"]


@pytest.mark.only_engine("postgresql")
async def test_holes_and_long_transactions_do_not_stall_it(committed: Database) -> None:
    broker = MemoryBroker()
    async with broker.subscribe(after_seq=0) as sub, running(Relay(committed, broker)) as relay:
        await eventually(lambda: relay.holding, what="relay holding")
        a = await emit_one(committed, 1)
        async with committed.writer() as rolled:
            await emit(rolled, type="need.created", data={"n": "never"})
            await rolled.rollback()  # leaves a permanent hole
        async with committed.writer() as long_tx:
            await long_tx.execute(text("SELECT pg_current_xact_id()"))  # an unrelated long one
            b = await emit_one(committed, 2)
            got = await collect(sub, until=b)  # published while the long one still runs
            await long_tx.rollback()
        assert b > a + 1
        assert chain(got) == [a, b]


@pytest.mark.only_engine("postgresql")
async def test_one_relay_publishes_and_another_takes_over(committed: Database) -> None:
    other_db = Database(committed.url.render_as_string(hide_password=False))
    broker = MemoryBroker()
    first = Relay(committed, broker, retry_s=0.1)
    second = Relay(other_db, broker, retry_s=0.1)
    try:
        async with broker.subscribe(after_seq=0) as sub:
            await first.start()
            await eventually(lambda: first.holding, what="first relay holding")
            await second.start()
            seqs = [await emit_one(committed, n) for n in range(3)]
            got = await collect(sub, until=seqs[-1])
            assert chain(got) == seqs
            assert first.published == 3 and second.published == 0 and not second.holding
            await first.stop()
            await eventually(lambda: second.holding, what="takeover")
            more = [await emit_one(committed, n) for n in range(3, 5)]
            got = await collect(sub, until=more[-1])
            assert [e.seq for d in got for e in d.events] == more
            assert second.published == 2
    finally:
        await first.stop()
        await second.stop()
        await other_db.dispose()
