"""The matching loop: one batch per incident at a time, committed batches, the app wiring."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from core.config import Settings
from core.incidents.match_lock import batch_lock
from core.incidents.match_loop import incidents_due, match_loop, run_once, solver_pool, stop_pool
from core.incidents.match_models import Assignment, MatchBatch
from core.incidents.matching import match_incident
from core.incidents.need_models import Need
from tests.core.incidents.match_world import match_world, need, volunteer


async def _world(db, needs: int = 1):
    async with db.transaction() as s:
        w = await match_world(s)
        for i in range(needs):
            await volunteer(s, w, 99.95, 25.65 + 0.001 * i)
        ids = [await need(s, w, 99.95, 25.65 + 0.001 * i, kind="visit") for i in range(needs)]
    return w, ids


async def _count(db, model) -> int:
    async with db.reader() as s:
        return len(list(await s.scalars(select(model.id))))


async def test_a_batch_already_running_makes_the_next_skip(committed) -> None:
    w, _ = await _world(committed)
    async with batch_lock(committed, w.real) as got:
        assert got
        summary = await match_incident(database=committed, incident_id=w.real)
        assert summary.skipped and summary.batch_id is None
        other = await match_incident(database=committed, incident_id=w.drill)
        assert not other.skipped  # another incident is not held up
    assert await _count(committed, Assignment) == 0
    summary = await match_incident(database=committed, incident_id=w.real)
    assert not summary.skipped and summary.assigned == 1
    assert await _count(committed, MatchBatch) == 1


@pytest.mark.only_engine("postgresql")
async def test_two_concurrent_batches_of_one_incident_one_runs(committed) -> None:
    w, _ = await _world(committed, needs=30)
    first, second = await asyncio.gather(
        match_incident(database=committed, incident_id=w.real),
        match_incident(database=committed, incident_id=w.real),
    )
    assert sorted([first.skipped, second.skipped]) == [False, True]
    assert max(first.assigned, second.assigned) == 30
    assert await _count(committed, MatchBatch) == 1


async def test_run_once_solves_incidents_with_open_needs(committed) -> None:
    w, (n,) = await _world(committed)
    settings = Settings(_env_file=None, database_url="sqlite+aiosqlite:///unused.db")
    assert await incidents_due(committed) == [w.real]
    assert await run_once(committed, settings) == [w.real]
    async with committed.reader() as s:
        assert await s.scalar(select(Need.status).where(Need.id == n)) == "matched"
    assert await incidents_due(committed) == []
    assert await run_once(committed, settings) == []


async def test_the_app_runs_the_loop(committed) -> None:
    from core.app import create_app

    _, (n,) = await _world(committed)
    settings = Settings(
        _env_file=None,
        database_url="sqlite+aiosqlite:///unused.db",
        match_interval_seconds=0.05,
        timer_poll_seconds=0.05,
    )
    app = create_app(settings, database=committed, background=True)
    async with app.router.lifespan_context(app):
        for _ in range(400):
            async with committed.reader() as s:
                if await s.scalar(select(Need.status).where(Need.id == n)) == "matched":
                    break
            await asyncio.sleep(0.05)
        else:
            pytest.fail("the matching loop did not match the need within 20 s")
    assert await _count(committed, MatchBatch) == 1
    assert committed.engine.sync_engine.pool.checkedout() == 0  # no loop left a connection


async def test_the_loop_returns_after_its_round_once_asked_to_stop(committed) -> None:
    _, (n,) = await _world(committed)
    settings = Settings(_env_file=None, database_url="sqlite+aiosqlite:///unused.db",
                        match_interval_seconds=0.05)  # fmt: skip
    stop = asyncio.Event()
    loop = asyncio.create_task(match_loop(committed, settings, stop))
    for _ in range(400):
        async with committed.reader() as s:
            if await s.scalar(select(Need.status).where(Need.id == n)) == "matched":
                break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(loop, timeout=30)  # returns by itself: nothing cancelled
    assert not loop.cancelled() and loop.exception() is None
    assert committed.engine.sync_engine.pool.checkedout() == 0


def test_stopping_the_solver_pool_ends_its_process() -> None:
    """The spawned solver processes are gone once the pool is stopped (one once outlived
    ``huzhu serve``)."""
    pool = solver_pool(2)
    assert [f.result(timeout=60) for f in [pool.submit(int, "7"), pool.submit(int, "8")]] == [7, 8]
    processes = list(pool._processes.values())
    assert len(processes) == 2 and all(_running(p.pid) for p in processes)
    stop_pool(pool)
    assert not any(_running(p.pid) for p in processes)


def _running(pid: int) -> bool:
    """Whether the process still runs, asked of the OS: ``Process.is_alive()`` can say yes
    for a child the pool's own thread has just reaped (two threads waiting on one pid)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")  # a zombie has ended, only not been reaped yet
