"""Outbox and timers on both engines: visibility after commit, commit order, exactly-once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from core import clock
from core.db import Database
from core.events import timers
from core.events.models import Timer
from core.events.outbox import (
    EventIn,
    current_epoch,
    deferred,
    emit,
    emit_many,
    newest_seq,
    read_after,
)
from tests.conftest import read_events_eventually


async def _seen(db: Database, after: int = 0, *, expect: int = 0, **kw) -> list:
    return await read_events_eventually(db, at_least=expect, after=after, **kw)


async def test_emit_is_visible_only_after_commit(committed: Database) -> None:
    async with committed.writer() as s:
        await emit(
            s, type="area.created", data={"code": "530000000000"}, streams=["area:530000000000/"]
        )
        assert await _seen(committed) == []
        await s.commit()
    events = await _seen(committed, expect=1)
    assert [e.type for e in events] == ["area.created"]
    assert events[0].streams == ("area:530000000000/",)
    assert events[0].epoch == events[0].wire()["epoch"]
    assert events[0].wire()["at"].endswith("Z")


async def test_rolled_back_transaction_emits_nothing(committed: Database) -> None:
    async with committed.writer() as s:
        await emit(s, type="need.created", data={"n": 1})
        await s.rollback()
    async with committed.transaction() as s:
        await emit(s, type="need.created", data={"n": 2})
    events = await _seen(committed, expect=1)
    assert [e.data for e in events] == [{"n": 2}]


async def test_events_arrive_in_commit_order(committed: Database) -> None:
    first = committed.writer()
    second = committed.writer()
    async with first as s1, second as s2:
        await emit(s1, type="need.created", data={"who": "first"})

        async def later() -> None:
            await emit(s2, type="need.created", data={"who": "second"})
            await s2.commit()

        task = asyncio.create_task(later())
        await asyncio.sleep(0.2)
        # The second writer waits for the first (advisory lock / SQLite write lock).
        assert not task.done()
        assert await _seen(committed) == []
        await s1.commit()
        await asyncio.wait_for(task, 10)
    events = await _seen(committed, expect=2)
    assert [e.data["who"] for e in events] == ["first", "second"]
    assert events[0].seq < events[1].seq


@pytest.mark.only_engine("postgresql")
async def test_rows_do_not_wait_for_an_unrelated_running_transaction(committed: Database) -> None:
    """No xmin horizon: a long transaction elsewhere does not hold back committed events."""
    async with committed.writer() as old:
        await old.execute(text("SELECT pg_current_xact_id()"))  # takes a transaction id
        async with committed.transaction() as s:
            await emit(s, type="need.created", data={"n": 1})
        assert [e.data for e in await _seen(committed, expect=1)] == [{"n": 1}]
        await old.rollback()


async def test_numbers_handed_out_are_the_rows_even_past_a_rolled_back_savepoint(
    committed: Database,
) -> None:
    """Emits in one transaction number on from each other; a savepoint that emitted and
    rolled back leaves no wrong number (and on SQLite no gap: its number is reused)."""
    async with committed.transaction() as s:
        first = await emit_many(
            s, [EventIn("need.created", {"n": 1}), EventIn("need.created", {"n": 2})]
        )
        with pytest.raises(RuntimeError):
            async with s.begin_nested():
                await emit(s, type="need.created", data={"n": "gone"})
                raise RuntimeError("undo")
        then = await emit_many(s, [EventIn("need.created", {"n": 3})])
    events = await _seen(committed, expect=3)
    assert [(e.seq, e.data["n"]) for e in events] == list(zip(first + then, [1, 2, 3], strict=True))
    if committed.is_sqlite:  # a PostgreSQL sequence never gives a number back
        assert then == [first[-1] + 1]


async def test_stream_filter_and_resume(committed: Database) -> None:
    async with committed.transaction() as s:
        await emit_many(
            s,
            [
                EventIn("assignment.offered", {"i": 1}, ["volunteer:a", "incident:x"]),
                EventIn("assignment.offered", {"i": 2}, ["volunteer:b", "incident:x"]),
                EventIn("assignment.offered", {"i": 3}, ["volunteer:a"]),
            ],
        )
    mine = await _seen(committed, expect=2, streams=["volunteer:a"])
    assert [e.data["i"] for e in mine] == [1, 3]
    resumed = await _seen(committed, after=mine[0].seq, expect=1, streams=["volunteer:a"])
    assert [e.data["i"] for e in resumed] == [3]
    incident = await _seen(committed, expect=2, streams=["incident:x"])
    assert [e.data["i"] for e in incident] == [1, 2]


async def test_prefix_filter(committed: Database) -> None:
    async with committed.transaction() as s:
        await emit_many(
            s,
            [
                EventIn("need.created", {"i": 1}, ["area:53/5329/"]),
                EventIn("need.created", {"i": 2}, ["area:53/5330/"]),
                EventIn("need.created", {"i": 3}, ["area:53/5329/532922/", "incident:x"]),
                EventIn("need.created", {"i": 4}, ["area:53_5329/"]),
                EventIn("need.created", {"i": 5}, ["volunteer:a"]),
            ],
        )
    below = await _seen(committed, expect=2, prefixes=["area:53/5329/"])
    assert [e.data["i"] for e in below] == [1, 3]
    both = await _seen(committed, expect=3, streams=["volunteer:a"], prefixes=["area:53/5329/"])
    assert [e.data["i"] for e in both] == [1, 3, 5]
    assert await _seen(committed, streams=[], prefixes=[]) == []
    async with committed.reader() as s:
        assert await newest_seq(s) == both[-1].seq


async def test_deferred_events_are_written_last_in_order(session) -> None:
    """Inside ``deferred`` emit_many only queues (no row, no number); the queue is written
    in call order when the block ends; a single emit() is written at once."""
    start = await newest_seq(session)
    async with deferred(session):
        assert await emit_many(session, [EventIn("need.created", {"n": 1})]) == []
        assert await read_after(session, start) == []
        first = await emit(session, type="need.matched", data={"n": 2})
        await emit_many(session, [EventIn("need.created", {"n": 3}), EventIn("task.created", {})])
    got = await read_after(session, start)
    assert [(e.type, e.data.get("n")) for e in got] == [
        ("need.matched", 2),
        ("need.created", 1),
        ("need.created", 3),
        ("task.created", None),
    ]
    assert got[0].seq == first
    with pytest.raises(ValueError):
        async with deferred(session):
            await emit_many(session, [EventIn("need.created", {"n": 4})])
            raise ValueError("the write failed")
    assert len(await read_after(session, start)) == 4  # a failed block writes nothing queued
    with pytest.raises(ValueError):
        await emit_many(session, [EventIn("Bad Type", {})])  # still checked at the call


async def test_a_savepoint_rolled_back_in_a_deferred_block_takes_its_events_along(
    session,
) -> None:
    """What a rolled-back savepoint queued is dropped with its rows; what a committed one
    queued is written, in order — nested savepoints too."""
    start = await newest_seq(session)

    async def queue(n: int) -> None:
        await emit_many(session, [EventIn("need.created", {"n": n})])

    async with deferred(session):
        await queue(1)
        with pytest.raises(ValueError):
            async with session.begin_nested():
                await queue(2)
                raise ValueError("this step failed; the caller goes on")
        async with session.begin_nested():
            await queue(3)
            with pytest.raises(ValueError):
                async with session.begin_nested():
                    await queue(4)
                    raise ValueError("an inner step failed")
            await queue(5)
        await queue(6)
    got = await read_after(session, start)
    assert [e.data["n"] for e in got] == [1, 3, 5, 6]


async def test_bad_event_names_are_refused(session) -> None:
    with pytest.raises(ValueError, match=r"noun\.verb"):
        await emit(session, type="Created", data={})
    with pytest.raises(ValueError, match="kind:id"):
        await emit(session, type="need.created", data={}, streams=["no spaces allowed"])


async def test_epoch_is_set(session) -> None:
    epoch = await current_epoch(session)
    assert len(epoch) == 36


FIRED: list[str] = []


@timers.timer_handler("test.ping")
async def _ping(*, session, timer: timers.DueTimer) -> None:
    FIRED.append(timer.payload["name"])
    await emit(session, type="timer.fired", data={"name": timer.payload["name"]})


@timers.timer_handler("test.boom")
async def _boom(*, session, timer: timers.DueTimer) -> None:
    await emit(session, type="timer.fired", data={"name": "never"})
    raise RuntimeError("handler failed")


SETS: list[list[str]] = []


@timers.timer_handler("test.set")
async def _one_of_set(*, session, timer: timers.DueTimer) -> None:
    FIRED.append(timer.payload["name"])
    await emit(session, type="timer.fired", data={"name": timer.payload["name"]})


@timers.timer_batch_handler("test.set")
async def _set(*, session, timers: list[timers.DueTimer]) -> None:
    names = [t.payload["name"] for t in timers]
    await emit(session, type="timer.fired", data={"name": "set"})
    if "bad" in names:
        raise RuntimeError("the set cannot be fired whole")
    SETS.append(names)


async def _schedule_set(db: Database, start: datetime, names: list[str]) -> None:
    async with db.transaction() as s:
        for i, name in enumerate(names):
            await timers.schedule(s, kind="test.set", due_at=start - timedelta(seconds=i),
                                  payload={"name": name})  # fmt: skip


async def test_timers_of_a_kind_with_a_set_handler_fire_in_one_call_in_due_order(
    committed: Database,
) -> None:
    FIRED.clear()
    SETS.clear()
    start = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    with clock.use_clock(clock.ManualClock(start)):
        await _schedule_set(committed, start, ["c", "b", "a"])  # due a, then b, then c
        assert await timers.fire_due(committed, worker="w1") == 3
        assert await timers.fire_due(committed, worker="w1") == 0
    assert SETS == [["a", "b", "c"]] and FIRED == []


async def test_a_failing_set_handler_rolls_back_and_the_timers_fire_one_by_one(
    committed: Database,
) -> None:
    FIRED.clear()
    SETS.clear()
    start = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    with clock.use_clock(clock.ManualClock(start)):
        await _schedule_set(committed, start, ["bad", "x"])
        assert await timers.fire_due(committed, worker="w1") == 2
    assert SETS == [] and FIRED == ["x", "bad"]
    async with committed.reader() as s:
        names = await s.scalars(text("SELECT type FROM outbox"))
        assert sorted(names) == ["timer.fired", "timer.fired"]  # the set's event rolled back


async def test_due_timers_fire_once_across_concurrent_workers(committed: Database) -> None:
    FIRED.clear()
    start = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    with clock.use_clock(clock.ManualClock(start)) as manual:
        async with committed.transaction() as s:
            for i in range(30):
                await timers.schedule(
                    s,
                    kind="test.ping",
                    due_at=start + timedelta(seconds=i % 3),
                    payload={"name": f"t{i}"},
                )
            await timers.schedule(
                s, kind="test.ping", due_at=start + timedelta(hours=1), payload={"name": "later"}
            )
        manual.advance(10)
        second = Database(str(committed.url.render_as_string(hide_password=False)))
        try:
            counts = await asyncio.gather(
                timers.fire_due(committed, worker="w1"), timers.fire_due(second, worker="w2")
            )
        finally:
            await second.dispose()
        assert sum(counts) == 30
        assert sorted(FIRED) == sorted(f"t{i}" for i in range(30))
        async with committed.reader() as s:
            fired_events = await s.scalar(
                text("SELECT count(*) FROM outbox WHERE type = 'timer.fired'")
            )
            pending = await s.scalar(select(func.count()).where(Timer.claimed_by.is_(None)))
        assert fired_events == 30
        assert pending == 1
        # Nothing is due again: a second pass fires nothing.
        assert await timers.fire_due(committed, worker="w1") == 0


async def test_failing_handler_rolls_back_and_retries_later(committed: Database) -> None:
    start = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    with clock.use_clock(clock.ManualClock(start)) as manual:
        async with committed.transaction() as s:
            timer_id = await timers.schedule(s, kind="test.boom", due_at=start, key="boom-1")
        assert await timers.fire_due(committed, worker="w1") == 0
        async with committed.reader() as s:
            row = await s.get(Timer, timer_id)
            assert row.claimed_by is None and row.attempts == 1
            assert "handler failed" in row.last_error
            assert row.due_at > start
            assert await s.scalar(text("SELECT count(*) FROM outbox")) == 0
        for _ in range(timers.MAX_ATTEMPTS):
            manual.advance(3600)
            await timers.fire_due(committed, worker="w1")
        async with committed.reader() as s:
            row = await s.get(Timer, timer_id)
            assert row.failed_at is not None and row.attempts == timers.MAX_ATTEMPTS


async def test_cancelled_timer_never_fires(committed: Database) -> None:
    FIRED.clear()
    start = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    with clock.use_clock(clock.ManualClock(start)) as manual:
        async with committed.transaction() as s:
            await timers.schedule(
                s, kind="test.ping", due_at=start, key="offer:1", payload={"name": "x"}
            )
        async with committed.transaction() as s:
            assert await timers.cancel(s, key="offer:1") is True
            assert await timers.cancel(s, key="offer:1") is False
        manual.advance(60)
        assert await timers.fire_due(committed, worker="w1") == 0
    assert FIRED == []
