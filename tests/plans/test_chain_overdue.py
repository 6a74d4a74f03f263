"""Deadlines: a person not accounted for in time becomes overdue, and their household one
visit need (neighbours first), escalated grid → community → township. The clock is moved;
nothing sleeps."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from core import clock
from core.events.models import OutboxEvent, OutboxStream
from core.incidents.models import Incident
from core.incidents.need_models import Need
from plans.chain_models import HouseholdCheckin, PersonCheckin
from plans.chain_schemas import HouseholdReport
from plans.overdue import mark_overdue
from plans.reports import report_households
from tests.plans.chain_users import with_users
from tests.plans.chain_world import (
    START,
    activate,
    build,
    count,
    person_checkin,
    written,
)

MIN = timedelta(minutes=1)


@pytest.fixture
async def w(session):
    with clock.use_clock(clock.ManualClock(START)):
        world = await with_users(session, await build(session))
        world.incident, _ = await activate(session, [world.c["C1"], world.c["C2"]])
    return world


async def _fire(session, w, minutes: int) -> int:
    """What the deadline timer due at START + ``minutes`` does when the clock is past it."""
    due = START + minutes * MIN
    with clock.use_clock(clock.ManualClock(due + MIN)):
        return await mark_overdue(session=session, incident_id=w.incident, due=due)


async def _needs(session) -> list[Need]:
    return list(await session.scalars(select(Need).order_by(Need.created_at, Need.id)))


async def test_an_overdue_vulnerable_person_becomes_one_visit_need(session, w) -> None:
    assert await _fire(session, w, 30) == 1
    (need,) = await _needs(session)
    assert (need.kind, need.source, need.neighbours_first) == ("visit", "chain", True)
    assert (need.household_id, need.person_id, need.severity) == (w.h["h1"], w.p["老甲"], 5)
    assert not need.is_drill and need.status == "open"
    old = await person_checkin(session, w.incident, w.p["老甲"])
    assert old.overdue_at == START + 31 * MIN and old.visit_need_id == need.id
    assert old.status == "pending"
    young = await person_checkin(session, w.incident, w.p["小乙"])
    assert young.overdue_at is None and young.visit_need_id is None
    h1 = await session.scalar(
        select(HouseholdCheckin).where(HouseholdCheckin.household_id == w.h["h1"])
    )
    await session.refresh(h1)
    assert h1.status == "overdue"
    assert await _fire(session, w, 30) == 0  # firing again changes nothing
    assert len(await _needs(session)) == 1


async def test_one_visit_need_per_household_whatever_the_deadlines(session, w) -> None:
    await _fire(session, w, 30)
    assert await _fire(session, w, 240) == 3  # h2, h3, h4 (h1 keeps its live need)
    needs = await _needs(session)
    assert sorted(n.household_id for n in needs) == sorted(w.h[k] for k in ("h1", "h2", "h3", "h4"))
    by_household = {n.household_id: n for n in needs}
    young = await person_checkin(session, w.incident, w.p["小乙"])
    assert young.visit_need_id == by_household[w.h["h1"]].id
    assert by_household[w.h["h2"]].severity == 4  # aged 80+
    assert by_household[w.h["h3"]].severity == 3
    assert by_household[w.h["h4"]].person_id == w.p["己"]  # the infant before the adult
    overdue = await count(session, PersonCheckin, PersonCheckin.overdue_at.is_not(None))
    assert overdue == 7


async def test_a_report_after_the_deadline_wins_and_the_need_stays(session, w) -> None:
    await _fire(session, w, 30)
    contact, _ = w.users["contact1"]
    report = HouseholdReport.model_validate(
        {"household_id": w.h["h1"], "members": [{"person_id": w.p["老甲"], "status": "safe"}]}
    )
    with clock.use_clock(clock.ManualClock(START + 40 * MIN)):
        await report_households(
            session=session, principal=contact, incident_id=w.incident, reports=[report]
        )
    old = await person_checkin(session, w.incident, w.p["老甲"])
    assert (old.status, old.overdue_at) == ("safe", None)
    (need,) = await _needs(session)
    assert old.visit_need_id == need.id and need.status == "open"
    h1 = await session.scalar(
        select(HouseholdCheckin).where(HouseholdCheckin.household_id == w.h["h1"])
    )
    await session.refresh(h1)
    assert h1.status == "pending"  # 小乙 is still within her deadline


async def test_overdue_events_escalate_grid_community_township(session, w) -> None:
    await _fire(session, w, 30)
    event = await session.scalar(select(OutboxEvent).where(OutboxEvent.type == "checkin.overdue"))
    data = event.payload
    assert data["household_id"] == str(w.h["h1"]) and data["vulnerable"] == 1
    levels = {level["level"]: level for level in data["escalate_to"]}
    assert [lv["level"] for lv in data["escalate_to"]] == ["grid", "community", "township"]
    assert levels["grid"]["users"] == [str(w.users["grid"][0].user_id)]
    assert levels["community"]["users"] == [str(w.users["coord_c1"][0].user_id)]
    assert levels["township"]["users"] == [str(w.users["coord_t"][0].user_id)]
    streams = set(
        await session.scalars(select(OutboxStream.stream).where(OutboxStream.seq == event.seq))
    )
    assert streams == {
        f"incident:{w.incident}",
        f"area:{w.c['C1'].area_path}",
        f"area:{w.tc.township_a.area_path}",
    }


async def test_a_stood_down_incident_raises_nothing(session, w) -> None:
    await session.execute(
        update(Incident)
        .where(Incident.id == w.incident)
        .values(status="stood_down", stood_down_at=START + 10 * MIN)
    )
    before = await written(session)
    assert await _fire(session, w, 240) == 0
    assert await written(session) == before


async def test_a_drills_visit_needs_carry_the_drill_flag(session) -> None:
    with clock.use_clock(clock.ManualClock(START)):
        w = await build(session)
        incident, _ = await activate(session, [w.c["C2"]], mode="live_drill", speedup=10.0)
    with clock.use_clock(clock.ManualClock(START + 10 * MIN)):
        assert await mark_overdue(session=session, incident_id=incident, due=START + 9 * MIN)
    (need,) = await _needs(session)
    assert need.is_drill and need.person_id == w.p["己"]
