"""Offer expiry by the real durable timer, the loop's offers, and escalation (committed)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from core import clock
from core.config import Settings, get_settings
from core.events.timers import fire_due
from core.incidents.dispatch_escalate import escalate_stuck
from core.incidents.dispatch_offer import OFFER_TIMER
from core.incidents.match_loop import run_once
from core.incidents.match_models import Assignment
from core.incidents.models import Incident
from core.incidents.need_models import Need
from tests.core.firing import both_ways
from tests.core.incidents.dispatch_world import count_events, events, need_status, of_need
from tests.core.incidents.match_world import HERE, match_world, need, volunteer

SETTINGS = Settings(_env_file=None, database_url="sqlite+aiosqlite:///unused.db")


@pytest.fixture
def manual() -> Iterator[clock.ManualClock]:
    with clock.use_clock(clock.ManualClock(datetime.now(UTC))) as c:
        yield c


async def _world(db, vols: int):
    async with db.transaction() as s:
        w = await match_world(s)
        ids = [await volunteer(s, w, HERE[0], HERE[1] + 0.01 * i) for i in range(vols)]
        n = await need(s, w, kind="visit")
    return w, ids, n


async def _assignments(db, n):
    async with db.reader() as s:
        return await of_need(s, n)


async def test_an_unanswered_offer_expires_and_goes_to_someone_else(committed, manual) -> None:
    w, (near, far), n = await _world(committed, 2)
    assert await run_once(committed, SETTINGS) == [w.real]
    (a,) = await _assignments(committed, n)
    assert (a.status, a.volunteer_id) == ("offered", near)
    manual.advance(timedelta(seconds=get_settings().offer_seconds - 1))
    assert await fire_due(committed, worker="w1") == 0
    manual.advance(timedelta(seconds=2))
    assert await fire_due(committed, worker="w1") == 1
    assert await fire_due(committed, worker="w2") == 0  # each fires once
    (a,) = await _assignments(committed, n)
    assert a.status == "expired"
    async with committed.reader() as s:
        assert await need_status(s, n) == "open"
        (ev,) = await events(s, "assignment.expired")
        assert ev["id"] == str(a.id) and ev["from"] == "offered"
    assert await run_once(committed, SETTINGS) == [w.real]
    _first, second = await _assignments(committed, n)
    assert (second.status, second.volunteer_id, second.attempt) == ("offered", far, 2)
    async with committed.reader() as s:
        assert await count_events(s, "assignment.offered") == 2
        assert await count_events(s, "need.escalated") == 0


async def test_an_answered_offer_is_left_alone_by_its_timer(committed, manual) -> None:
    _w, (_v,), n = await _world(committed, 1)
    await run_once(committed, SETTINGS)
    async with committed.transaction() as s:
        await s.execute(update(Assignment).where(Assignment.need_id == n).values(status="accepted"))
    manual.advance(timedelta(seconds=get_settings().offer_seconds + 1))
    assert await fire_due(committed, worker="w1") == 1
    (a,) = await _assignments(committed, n)
    assert a.status == "accepted"


async def test_a_need_nobody_is_left_for_is_escalated_once(committed, manual) -> None:
    w, (_v,), n = await _world(committed, 1)
    await run_once(committed, SETTINGS)
    manual.advance(timedelta(seconds=get_settings().offer_seconds + 1))
    assert await fire_due(committed, worker="w1") == 1
    assert await run_once(committed, SETTINGS) == [w.real]  # nobody left: escalated
    async with committed.reader() as s:
        (ev,) = await events(s, "need.escalated")
        assert ev["id"] == str(n) and ev["turned_down"] == 1
        assert await s.scalar(select(Need.escalated_at).where(Need.id == n)) is not None
    assert await run_once(committed, SETTINGS) == [w.real]
    async with committed.transaction() as s:
        assert await escalate_stuck(session=s, incident_id=w.real) == 0
        assert await count_events(s, "need.escalated") == 1


async def test_a_live_drill_divides_the_offer_window(committed, manual) -> None:
    async with committed.transaction() as s:
        w = await match_world(s)
        await s.execute(update(Incident).where(Incident.id == w.drill).values(speedup=10.0))
        await volunteer(s, w)
        n = await need(s, w, drill=True, kind="visit")
    start = clock.now()
    await run_once(committed, SETTINGS)
    (a,) = await _assignments(committed, n)
    assert a.offer_deadline == start + timedelta(seconds=get_settings().offer_seconds / 10)


firing = both_ways(OFFER_TIMER)  # through the set handler, and one by one


async def test_offers_expiring_together_expire_unless_answered(committed, manual, firing) -> None:
    async with committed.transaction() as s:
        w = await match_world(s)
        for i in range(3):
            await volunteer(s, w, HERE[0], HERE[1] + 0.01 * i)
        needs = [await need(s, w, HERE[0] + 0.001 * i, HERE[1], kind="visit") for i in range(3)]
    await run_once(committed, SETTINGS)
    async with committed.transaction() as s:
        await s.execute(update(Assignment).where(Assignment.need_id == needs[1])
                        .values(status="accepted"))  # fmt: skip
    manual.advance(timedelta(seconds=get_settings().offer_seconds + 1))
    assert await fire_due(committed, worker="w1") == 3
    statuses = [[a.status for a in await _assignments(committed, n)] for n in needs]
    assert statuses == [["expired"], ["accepted"], ["expired"]]
    async with committed.reader() as s:
        assert await count_events(s, "assignment.expired") == 2
        assert [await need_status(s, n) for n in needs] == ["open", "matched", "open"]
