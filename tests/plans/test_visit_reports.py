"""A chain visit need, end to end: overdue → visit need → offered → accepted → the volunteer's
visit report confirms the household's check-in → done fulfils the need."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core import clock
from core.auth.models import PersonalDataAccess
from core.auth.roles import Role
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.incidents import dispatch
from core.incidents.dispatch_contact import assignment_contact, report_visit
from core.incidents.dispatch_offer import offer_proposed
from core.incidents.matching import match_in_session
from core.incidents.need_models import Need
from core.registry.volunteers.models import Volunteer
from plans import hooks
from plans.chain_models import HouseholdCheckin
from plans.overdue import mark_overdue
from tests.core.incidents.dispatch_world import principal
from tests.plans.chain_world import START, activate, build

MIN = timedelta(minutes=1)


@pytest.fixture
def manual():
    with clock.use_clock(clock.ManualClock(START)) as c:
        yield c


async def _visit(session, database, manual):
    hooks.register()
    w = await build(session)
    w.incident, _ = await activate(session, [w.c["C1"], w.c["C2"]])
    manual.advance(31 * MIN)
    assert await mark_overdue(session=session, incident_id=w.incident, due=START + 30 * MIN) == 1
    need = (await session.scalars(select(Need))).one()
    now = clock.now()
    vol = Volunteer(
        name="邻居", area_id=w.c["C1"].id, area_path=w.c["C1"].area_path, lon=need.lon,
        lat=need.lat + 0.002, availability={"always": True}, max_travel_km=10,
        max_active_tasks=1, status="active", created_at=now, updated_at=now,
        insurance_valid_until=clock.local_today() + timedelta(days=30),
    )  # fmt: skip
    session.add(vol)
    await session.flush()
    await match_in_session(session=session, database=database, incident_id=w.incident)
    (aid,) = await offer_proposed(session=session, incident_id=w.incident)
    me = await principal(session, Role.volunteer, w.c["C1"].code, vol.id)
    return w, need, aid, me


async def test_a_visit_report_confirms_the_household(session, database, manual) -> None:
    w, need, aid, me = await _visit(session, database, manual)
    report = {"members": [{"person_id": str(w.p["老甲"]), "status": "safe"},
                          {"person_id": str(w.p["小乙"]), "status": "safe"}]}  # fmt: skip
    with pytest.raises(Conflict, match="visit reports are taken while"):
        await report_visit(session=session, principal=me, assignment_id=aid, report=report)
    with pytest.raises(Forbidden):
        await assignment_contact(session=session, principal=me, assignment_id=aid)
    await dispatch.respond(session=session, principal=me, assignment_ids=[aid], action="accept")
    contact = await assignment_contact(session=session, principal=me, assignment_id=aid)
    names = [m["name"] for m in contact["household"]["members"]]
    assert sorted(names) == ["小乙", "老甲"] and contact["person_id"] == w.p["老甲"]
    with pytest.raises(Invalid) as err:
        await report_visit(session=session, principal=me, assignment_id=aid,
                           report={"members": [{"person_id": "x", "status": "safe"}]})  # fmt: skip
    assert err.value.errors[0].loc[:3] == ("body", "members", 0)
    result = await report_visit(session=session, principal=me, assignment_id=aid, report=report)
    (outcome,) = result.households
    assert outcome.household_id == w.h["h1"] and outcome.status == "confirmed"
    status = await session.scalar(
        select(HouseholdCheckin.status).where(HouseholdCheckin.household_id == w.h["h1"])
    )
    assert status == "confirmed"
    for step in ("en_route", "arrived", "done"):
        await dispatch.report_status(session=session, principal=me, assignment_ids=[aid],
                                     status=step)  # fmt: skip
    await session.refresh(need)
    assert need.status == "fulfilled"
    logged = await session.execute(
        select(PersonalDataAccess.subject_kind, PersonalDataAccess.user_id)
        .where(PersonalDataAccess.purpose == f"assignment {aid} contact")
    )  # fmt: skip
    assert sorted(logged) == [("household", me.user_id), ("person", me.user_id),
                              ("person", me.user_id)]  # fmt: skip
    with pytest.raises(Forbidden, match="only while it is active; it is done"):
        await assignment_contact(session=session, principal=me, assignment_id=aid)
    other = await principal(session, Role.volunteer, w.c["C1"].code, None)
    with pytest.raises(NotFound):
        await assignment_contact(session=session, principal=other, assignment_id=aid)
