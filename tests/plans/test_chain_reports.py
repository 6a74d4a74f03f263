"""Household reports: persons move through the states; bad input and scope write nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from core import clock
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.events.models import OutboxEvent
from core.incidents.models import Incident
from core.incidents.need_models import Need
from plans.chain_models import HouseholdCheckin
from plans.chain_schemas import HouseholdReport
from plans.reports import report_households
from tests.plans.chain_users import with_users
from tests.plans.chain_world import START, activate, build, person_checkin, written


@pytest.fixture
async def w(session):
    with clock.use_clock(clock.ManualClock(START)):
        world = await with_users(session, await build(session))
        world.incident, _ = await activate(session, [world.c["C1"], world.c["C2"]])
    return world


def _report(household_id, *members) -> HouseholdReport:
    return HouseholdReport.model_validate(
        {"household_id": household_id, "members": [dict(m) for m in members]}
    )


async def _household_status(session, w, name) -> str:
    row = await session.scalar(
        select(HouseholdCheckin).where(HouseholdCheckin.household_id == w.h[name])
    )
    await session.refresh(row)
    return row.status


async def test_a_contact_reports_the_household_and_its_needs(session, w) -> None:
    contact, _ = w.users["contact1"]
    need = {"kind": "medical", "severity": 4, "description": "腿部骨折 broken leg"}
    with clock.use_clock(clock.ManualClock(START + timedelta(minutes=10))):
        result = await report_households(
            session=session,
            principal=contact,
            incident_id=w.incident,
            reports=[
                _report(
                    w.h["h1"],
                    {"person_id": w.p["老甲"], "status": "injured", "needs": [need]},
                    {"person_id": w.p["小乙"], "status": "safe"},
                )
            ],
        )
    (outcome,) = result.households
    assert (outcome.status, result.persons, len(outcome.need_ids)) == ("confirmed", 2, 1)
    old = await person_checkin(session, w.incident, w.p["老甲"])
    assert old.status == "injured" and old.reported_by == contact.user_id
    assert old.reported_at == START + timedelta(minutes=10)
    raised = await session.get(Need, outcome.need_ids[0])
    assert (raised.source, raised.kind, raised.household_id, raised.person_id) == (
        "household_report",
        "medical",
        w.h["h1"],
        w.p["老甲"],
    )
    event = await session.scalar(select(OutboxEvent).where(OutboxEvent.type == "checkin.reported"))
    assert event.payload["status"] == "confirmed"
    assert {m["status"] for m in event.payload["members"]} == {"injured", "safe"}
    assert "腿部" not in str(event.payload)  # no personal text in events


async def test_a_household_is_confirmed_once_every_member_is_accounted_for(session, w) -> None:
    grid, _ = w.users["grid"]
    with clock.use_clock(clock.ManualClock(START)):
        first = _report(w.h["h3"], {"person_id": w.p["丁"], "status": "safe"})
        await report_households(
            session=session, principal=grid, incident_id=w.incident, reports=[first]
        )
        assert await _household_status(session, w, "h3") == "pending"
        second = _report(w.h["h3"], {"person_id": w.p["戊"], "status": "missing"})
        await report_households(
            session=session, principal=grid, incident_id=w.incident, reports=[second]
        )
    assert await _household_status(session, w, "h3") == "confirmed"
    assert (await person_checkin(session, w.incident, w.p["戊"])).status == "missing"


async def test_a_batch_reports_many_households_in_one_call(session, w) -> None:
    admin, _ = w.users["admin"]
    reports = [
        _report(w.h["h2"], {"person_id": w.p["丙"], "status": "needs_help"}),
        _report(
            w.h["h4"],
            {"person_id": w.p["己"], "status": "safe"},
            {"person_id": w.p["庚"], "status": "unreachable"},
        ),
    ]
    with clock.use_clock(clock.ManualClock(START)):
        result = await report_households(
            session=session, principal=admin, incident_id=w.incident, reports=reports
        )
    assert [o.status for o in result.households] == ["confirmed", "confirmed"]
    assert result.persons == 3


async def test_a_person_outside_the_household_is_422_and_nothing_is_written(session, w) -> None:
    coord, _ = w.users["coord_a"]
    before = await written(session)
    bad = _report(
        w.h["h1"],
        {"person_id": w.p["老甲"], "status": "safe"},
        {"person_id": w.p["丙"], "status": "safe"},
    )
    with clock.use_clock(clock.ManualClock(START)), pytest.raises(Invalid) as caught:
        await report_households(
            session=session, principal=coord, incident_id=w.incident, reports=[bad]
        )
    assert [e.loc for e in caught.value.errors] == [
        ("body", "reports", 0, "members", 1, "person_id")
    ]
    assert await written(session) == before


async def test_an_unknown_item_in_a_need_names_its_field(session, w) -> None:
    coord, _ = w.users["coord_a"]
    before = await written(session)
    need = {"kind": "supplies", "items": [{"item_code": "NO-SUCH-ITEM", "quantity": 2}]}
    bad = _report(
        w.h["h4"],
        {"person_id": w.p["庚"], "status": "safe"},
        {"person_id": w.p["己"], "status": "needs_help", "needs": [need]},
    )
    with clock.use_clock(clock.ManualClock(START)), pytest.raises(Invalid) as caught:
        await report_households(
            session=session, principal=coord, incident_id=w.incident, reports=[bad]
        )
    loc = ("body", "reports", 0, "members", 1, "needs", 0, "items", 0, "item_code")
    assert [e.loc for e in caught.value.errors] == [loc]
    assert await written(session) == before


async def test_repeats_in_a_batch_are_422(session, w) -> None:
    admin, _ = w.users["admin"]
    twice = _report(
        w.h["h3"],
        {"person_id": w.p["丁"], "status": "safe"},
        {"person_id": w.p["丁"], "status": "injured"},
    )
    with pytest.raises(Invalid) as caught:
        await report_households(
            session=session, principal=admin, incident_id=w.incident, reports=[twice]
        )
    assert caught.value.errors[0].loc == ("body", "reports", 0, "members", 1, "person_id")
    one = _report(w.h["h2"], {"person_id": w.p["丙"], "status": "safe"})
    with pytest.raises(Invalid) as caught:
        await report_households(
            session=session, principal=admin, incident_id=w.incident, reports=[one, one]
        )
    assert caught.value.errors[0].loc == ("body", "reports", 1, "household_id")


async def test_a_stood_down_incident_refuses_reports_and_nothing_is_written(session, w) -> None:
    admin, _ = w.users["admin"]
    await session.execute(
        update(Incident)
        .where(Incident.id == w.incident)
        .values(status="stood_down", stood_down_at=START + timedelta(hours=1))
    )
    before = await written(session)
    report = _report(w.h["h2"], {"person_id": w.p["丙"], "status": "safe"})
    with pytest.raises(Conflict):
        await report_households(
            session=session, principal=admin, incident_id=w.incident, reports=[report]
        )
    assert await written(session) == before


@pytest.mark.parametrize(
    ("who", "household", "person", "error"),
    [
        ("contact1", "h2", "丙", NotFound),  # another household
        ("grid", "h2", "丙", Forbidden),  # g2, not their grid
        ("coord_c1", "h4", "己", NotFound),  # C2 is outside C1
        ("coord_b", "h1", "小乙", NotFound),  # the incident is not theirs
        ("auditor", "h1", "小乙", Forbidden),  # read-only
        ("volunteer", "h1", "小乙", (Forbidden, NotFound)),
    ],
)
async def test_reporters_stay_in_their_reach(session, w, who, household, person, error) -> None:
    principal, _ = w.users[who]
    before = await written(session)
    report = _report(w.h[household], {"person_id": w.p[person], "status": "safe"})
    with pytest.raises(error):
        await report_households(
            session=session, principal=principal, incident_id=w.incident, reports=[report]
        )
    assert await written(session) == before


async def test_in_reach_reporters_may_report(session, w) -> None:
    for who, household, person in (
        ("contact1", "h1", "小乙"),
        ("grid", "h3", "丁"),
        ("coord_c1", "h2", "丙"),
        ("coord_a", "h4", "己"),
    ):
        principal, _ = w.users[who]
        report = _report(w.h[household], {"person_id": w.p[person], "status": "safe"})
        with clock.use_clock(clock.ManualClock(START)):
            result = await report_households(
                session=session, principal=principal, incident_id=w.incident, reports=[report]
            )
        assert result.persons == 1, who
