"""Timed escalation of overdue check-ins (grid → community → township), fired by durable
timers on committed data; two workers at once still emit one event per step."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

import plans.escalate  # registers the chain.escalate handler
import plans.overdue  # noqa: F401  (registers the chain.deadline handler)
from core import clock
from core.db import Database
from core.events import timers
from core.events.models import OutboxEvent, OutboxStream
from plans.chain import open_checkins
from plans.chain_schemas import HouseholdReport
from plans.escalation import escalation_interval
from plans.overdue import mark_overdue
from plans.reports import report_households
from tests.plans.chain_users import with_users
from tests.plans.chain_world import START, activate, build, make_incident, with_plan

MIN = timedelta(minutes=1)


async def _two_workers(db: Database) -> int:
    second = Database(db.url.render_as_string(hide_password=False))
    try:
        fired = await asyncio.gather(
            timers.fire_due(db, worker="w1"), timers.fire_due(second, worker="w2")
        )
    finally:
        await second.dispose()
    return sum(fired)


async def _escalated(session) -> list[tuple[str, list[str], list[str], set[str]]]:
    """(level, household_ids, users, streams) of every ``checkin.escalated`` event, in order."""
    events = await session.scalars(
        select(OutboxEvent).where(OutboxEvent.type == "checkin.escalated").order_by(OutboxEvent.seq)
    )
    out = []
    for e in events.all():
        streams = set(
            await session.scalars(select(OutboxStream.stream).where(OutboxStream.seq == e.seq))
        )
        data = e.payload
        assert set(data) == {"incident_id", "level", "household_ids", "users"}
        out.append((data["level"], data["household_ids"], data["users"], streams))
    return out


def _ids(*ids) -> list[str]:
    return sorted(str(i) for i in ids)


async def test_overdue_households_escalate_step_by_step_once(committed) -> None:
    with clock.use_clock(clock.ManualClock(START)) as manual:
        async with committed.transaction() as s:
            w = await with_users(s, await build(s))
            w.incident = await make_incident(s, [w.c["C1"]])
            await with_plan(s, w.incident, w.c["C1"], {"default": 30})  # h1, h2, h3 due at 30
            await open_checkins(
                session=s, incident_id=w.incident, hazard="earthquake", community_ids=[w.c["C1"].id]
            )
        grid, coord_c1, coord_t = (
            str(w.users[k][0].user_id) for k in ("grid", "coord_c1", "coord_t")
        )
        incident, c1, township = (
            f"incident:{w.incident}",
            f"area:{w.c['C1'].area_path}",
            f"area:{w.tc.township_a.area_path}",
        )
        manual.advance(31 * MIN)
        assert await _two_workers(committed) == 1  # the deadline
        async with committed.reader() as s:
            assert await _escalated(s) == [
                ("grid", _ids(w.h["h1"], w.h["h3"]), [grid], {incident, c1}),
                ("community", _ids(w.h["h2"]), [coord_c1], {incident, c1}),  # g2 has no worker
            ]
            overdue = await s.scalars(
                select(OutboxEvent).where(OutboxEvent.type == "checkin.overdue")
            )
            levels = {e.payload["household_id"]: e.payload["level"] for e in overdue}
        assert levels == {
            str(w.h["h1"]): "grid",
            str(w.h["h2"]): "community",
            str(w.h["h3"]): "grid",
        }

        manual.advance(9 * MIN)  # h3 is reported in between: it drops out
        report = HouseholdReport.model_validate(
            {
                "household_id": w.h["h3"],
                "members": [{"person_id": w.p[n], "status": "safe"} for n in ("丁", "戊")],
            }
        )
        async with committed.transaction() as s:
            await report_households(
                session=s, principal=None, incident_id=w.incident, reports=[report]
            )

        manual.advance(21 * MIN)  # 30 minutes after the first alert
        assert await _two_workers(committed) == 1
        async with committed.reader() as s:
            # h2 started at community: it is not alerted there twice
            assert (await _escalated(s))[2:] == [
                ("community", _ids(w.h["h1"]), [coord_c1], {incident, c1})
            ]
        manual.advance(30 * MIN)
        assert await _two_workers(committed) == 1
        async with committed.reader() as s:
            assert (await _escalated(s))[3:] == [
                ("township", _ids(w.h["h1"], w.h["h2"]), [coord_t], {incident, township})
            ]
        manual.advance(60 * MIN)
        assert await _two_workers(committed) == 0  # the township is the last step
        async with committed.reader() as s:
            assert len(await _escalated(s)) == 4


async def test_a_confirmed_batch_stops_escalating(committed) -> None:
    with clock.use_clock(clock.ManualClock(START)) as manual:
        async with committed.transaction() as s:
            w = await build(s)
            w.incident, _ = await activate(s, [w.c["C2"]])  # h4: the infant due at 90
        manual.advance(91 * MIN)
        assert await _two_workers(committed) == 1
        report = HouseholdReport.model_validate(
            {
                "household_id": w.h["h4"],
                "members": [{"person_id": w.p[n], "status": "safe"} for n in ("己", "庚")],
            }
        )
        async with committed.transaction() as s:
            await report_households(
                session=s, principal=None, incident_id=w.incident, reports=[report]
            )
        manual.advance(30 * MIN)
        assert await _two_workers(committed) == 1  # the community step finds no one
        manual.advance(60 * MIN)
        assert await _two_workers(committed) == 0  # and schedules no township step
        async with committed.reader() as s:
            assert [e[0] for e in await _escalated(s)] == ["community"]


async def test_a_household_without_a_grid_starts_at_community(session) -> None:
    with clock.use_clock(clock.ManualClock(START)):
        w = await with_users(session, await build(session))
        w.incident, _ = await activate(session, [w.c["C2"]])
    with clock.use_clock(clock.ManualClock(START + 91 * MIN)):
        await mark_overdue(session=session, incident_id=w.incident, due=START + 90 * MIN)
    assert await _escalated(session) == [
        (
            "community",
            _ids(w.h["h4"]),
            [],
            {f"incident:{w.incident}", f"area:{w.c['C2'].area_path}"},
        )
    ]


def test_a_drill_escalates_faster() -> None:
    assert escalation_interval(1.0) == 30 * MIN
    assert escalation_interval(10.0) == 3 * MIN
