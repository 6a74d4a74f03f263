"""The durable deadline timers fired by ``fire_due()`` on committed data: the clock is moved,
nothing sleeps, and two workers firing at once still raise one visit need per household."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

import plans.overdue  # noqa: F401  (registers the chain.deadline handler)
from core import clock
from core.db import Database
from core.events import timers
from core.events.models import Timer
from core.incidents.need_models import Need
from plans.chain_models import PersonCheckin
from tests.plans.chain_world import START, activate, build

MIN = timedelta(minutes=1)


async def _setup(db: Database):
    async with db.transaction() as s:
        w = await build(s)
        w.incident, _ = await activate(s, [w.c["C1"], w.c["C2"]])
    return w


async def _two_workers(db: Database) -> list[int]:
    second = Database(db.url.render_as_string(hide_password=False))
    try:
        return list(
            await asyncio.gather(
                timers.fire_due(db, worker="w1"), timers.fire_due(second, worker="w2")
            )
        )
    finally:
        await second.dispose()


async def _needs_per_household(db: Database) -> dict:
    async with db.reader() as s:
        stmt = select(Need.household_id, func.count()).group_by(Need.household_id)
        return {hid: n for hid, n in await s.execute(stmt)}


async def test_the_deadline_fires_once_at_its_time_across_two_workers(committed) -> None:
    with clock.use_clock(clock.ManualClock(START)) as manual:
        w = await _setup(committed)
        manual.advance(29 * MIN)
        assert await _two_workers(committed) == [0, 0]  # not yet
        assert await _needs_per_household(committed) == {}
        manual.advance(2 * MIN)
        assert sum(await _two_workers(committed)) == 1
        assert await _needs_per_household(committed) == {w.h["h1"]: 1}
        async with committed.reader() as s:
            need = await s.scalar(select(Need))
            assert (need.person_id, need.kind, need.neighbours_first) == (
                w.p["老甲"],
                "visit",
                True,
            )
        assert await timers.fire_due(committed, worker="w1") == 0


async def test_every_deadline_due_at_once_still_one_need_per_household(committed) -> None:
    with clock.use_clock(clock.ManualClock(START)) as manual:
        w = await _setup(committed)
        manual.advance(5 * 60 * MIN)  # a worker outage: every deadline is due together
        assert sum(await _two_workers(committed)) == 4  # 30, 60, 90 and 240 minutes
        per_household = await _needs_per_household(committed)
        assert per_household == {w.h[k]: 1 for k in ("h1", "h2", "h3", "h4")}
        async with committed.reader() as s:
            unlinked = await s.scalar(
                select(func.count()).where(PersonCheckin.visit_need_id.is_(None))
            )
            pending = await s.scalar(
                select(func.count()).where(
                    Timer.claimed_by.is_(None), Timer.kind == "chain.deadline"
                )
            )
        assert (unlinked, pending) == (0, 0)
