"""Opening the chain: one check-in per household of the affected communities, deadlines
per vulnerability class (plan version or default), one timer per distinct deadline."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from core import clock
from core.events.models import OutboxEvent, OutboxStream, Timer
from core.incidents import hooks
from core.incidents.schemas import IncidentCreate
from core.incidents.service import declare_incident
from plans.activation import activation_hook
from plans.chain import open_chain, open_checkins
from plans.chain_models import HouseholdCheckin, PersonCheckin
from plans.deadlines import DEADLINE_TIMER, timer_key
from tests.plans.chain_world import START, activate, build, count, make_incident, with_plan


async def _persons(session, incident_id) -> dict:
    rows = await session.scalars(
        select(PersonCheckin).where(PersonCheckin.incident_id == incident_id)
    )
    return {r.person_id: r for r in rows}


async def test_one_checkin_per_household_inside_and_none_outside(session) -> None:
    with clock.use_clock(clock.ManualClock(START)):
        w = await build(session)
        incident_id, made = await activate(session, [w.c["C1"], w.c["C2"]])
    assert made == 4
    rows = list(await session.scalars(select(HouseholdCheckin)))
    assert sorted(r.household_id for r in rows) == sorted(w.h[k] for k in ("h1", "h2", "h3", "h4"))
    assert all(r.status == "pending" and r.incident_id == incident_id for r in rows)
    by_household = {r.household_id: r for r in rows}
    assert by_household[w.h["h1"]].grid_id == w.grids["g1"]
    assert by_household[w.h["h4"]].grid_id is None
    assert by_household[w.h["h2"]].area_path == w.c["C1"].area_path
    persons = await _persons(session, incident_id)
    assert len(persons) == 7
    assert w.p["辛"] not in persons and w.p["壬"] not in persons
    assert all(not r.is_drill for r in rows) and all(not p.is_drill for p in persons.values())
    ids = [r.id for r in rows] + [p.id for p in persons.values()]
    assert len(set(ids)) == 11 and {i.version for i in ids} == {7}  # UUIDv7 made in SQL


async def test_deadline_classes_from_the_default_table(session) -> None:
    with clock.use_clock(clock.ManualClock(START)):
        w = await build(session)
        incident_id, _ = await activate(session, [w.c["C1"], w.c["C2"]])
    persons = await _persons(session, incident_id)
    expect = {
        "老甲": ("bedridden", 30, True),
        "丙": ("aged_80_plus", 60, True),
        "己": ("infant", 90, True),
        "小乙": ("default", 240, False),
        "庚": ("default", 240, False),
    }
    for name, (cls, minutes, vulnerable) in expect.items():
        row = persons[w.p[name]]
        assert (row.deadline_class, row.vulnerable) == (cls, vulnerable), name
        assert row.deadline_at == START + timedelta(minutes=minutes), name
    assert all(p.status == "pending" and p.overdue_at is None for p in persons.values())


async def test_deadlines_come_from_the_activated_plan_version(session) -> None:
    with clock.use_clock(clock.ManualClock(START)):
        w = await build(session)
        incident_id = await make_incident(session, [w.c["C1"], w.c["C2"]])
        # C1's plan: bedridden and aged 80+ share 20 minutes; the rest 120. C2 has none.
        await with_plan(
            session, incident_id, w.c["C1"], {"bedridden": 20, "aged_80_plus": 20, "default": 120}
        )
        await open_checkins(
            session=session,
            incident_id=incident_id,
            hazard="earthquake",
            community_ids=[w.c["C1"].id, w.c["C2"].id],
        )
    persons = await _persons(session, incident_id)
    assert persons[w.p["老甲"]].deadline_at == START + timedelta(minutes=20)
    assert persons[w.p["丙"]].deadline_at == START + timedelta(minutes=20)
    assert persons[w.p["丁"]].deadline_at == START + timedelta(minutes=120)
    assert persons[w.p["己"]].deadline_at == START + timedelta(minutes=90)  # C2: default table
    assert persons[w.p["庚"]].deadline_at == START + timedelta(minutes=240)
    timers = list(await session.scalars(select(Timer).order_by(Timer.due_at)))
    assert [t.due_at - START for t in timers] == [timedelta(minutes=m) for m in (20, 90, 120, 240)]
    assert all(t.kind == DEADLINE_TIMER for t in timers)
    assert timers[0].key == timer_key(incident_id, START + timedelta(minutes=20))
    assert timers[0].payload["incident_id"] == str(incident_id)
    deadline = datetime.fromisoformat(timers[0].payload["deadline_at"])
    assert deadline == START + timedelta(minutes=20)


async def test_a_live_drill_divides_deadlines_and_marks_everything_drill(session) -> None:
    with clock.use_clock(clock.ManualClock(START)):
        w = await build(session)
        incident_id, _ = await activate(session, [w.c["C2"]], mode="live_drill", speedup=10.0)
    persons = await _persons(session, incident_id)
    assert persons[w.p["己"]].deadline_at == START + timedelta(minutes=9)
    assert persons[w.p["庚"]].deadline_at == START + timedelta(minutes=24)
    assert all(p.is_drill for p in persons.values())
    rows = list(await session.scalars(select(HouseholdCheckin)))
    assert rows and all(r.is_drill for r in rows)


async def test_opening_again_adds_nothing_and_timers_stay_unique(session) -> None:
    with clock.use_clock(clock.ManualClock(START)):
        w = await build(session)
        incident_id, _ = await activate(session, [w.c["C1"]])
        before = (
            await count(session, HouseholdCheckin),
            await count(session, PersonCheckin),
            await count(session, Timer),
        )
        again = await open_checkins(
            session=session,
            incident_id=incident_id,
            hazard="earthquake",
            community_ids=[w.c["C1"].id],
        )
    assert again == 0
    after = (
        await count(session, HouseholdCheckin),
        await count(session, PersonCheckin),
        await count(session, Timer),
    )
    assert after == before == (3, 5, 3)  # deadlines 30, 60, 240


async def test_one_opened_event_per_community_with_counts(session) -> None:
    with clock.use_clock(clock.ManualClock(START)):
        w = await build(session)
        incident_id, _ = await activate(session, [w.c["C1"], w.c["C2"]])
    events = list(
        await session.scalars(select(OutboxEvent).where(OutboxEvent.type == "checkin.opened"))
    )
    by_code = {e.payload["community_code"]: e for e in events}
    assert set(by_code) == {"532922100101", "532922100102"}
    c1 = by_code["532922100101"].payload
    assert (c1["households"], c1["persons"], c1["vulnerable"]) == (3, 5, 2)
    assert c1["first_deadline_at"].startswith("2026-11-23T08:30")
    streams = set(
        await session.scalars(
            select(OutboxStream.stream).where(OutboxStream.seq == by_code["532922100101"].seq)
        )
    )
    assert streams == {f"incident:{incident_id}", f"area:{w.c['C1'].area_path}"}


async def test_declaring_an_incident_runs_plans_then_the_chain(session) -> None:
    """The wiring the composition root does: the plans' hook first, then the chain's."""
    registered = hooks.activation_hooks()
    hooks.on_activation(activation_hook)
    hooks.on_activation(open_chain)
    try:
        with clock.use_clock(clock.ManualClock(START)):
            w = await build(session)
            area = {
                "type": "Polygon",
                "coordinates": [
                    [
                        [99.905, 25.605],
                        [99.915, 25.605],
                        [99.915, 25.615],
                        [99.905, 25.615],
                        [99.905, 25.605],
                    ]
                ],
            }
            data = IncidentCreate(title="漾濞地震", hazard="earthquake", level=2, area=area)
            incident = await declare_incident(session=session, principal=None, data=data)
    finally:
        for hook in (open_chain, activation_hook):
            if hook not in registered:  # leave the app's own registrations in place
                hooks.remove_activation(hook)
    rows = list(
        await session.scalars(
            select(HouseholdCheckin).where(HouseholdCheckin.incident_id == incident.id)
        )
    )
    assert sorted(r.household_id for r in rows) == sorted(w.h[k] for k in ("h1", "h2", "h3"))
