"""Volunteer services on both engines: create (batch), links, rules, scope, events."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.auth.models import User
from core.auth.roles import Role
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.events.models import OutboxEvent, OutboxStream
from core.registry.orgs.models import Organization
from core.registry.volunteers import service
from core.registry.volunteers.models import (
    Volunteer,
    VolunteerCertification,
    VolunteerLanguage,
    VolunteerSkill,
)
from core.registry.volunteers.schemas import CertificationIn, VolunteerUpdate
from tests.access.routes_volunteers import (
    make_community,
    make_person,
    make_volunteer,
    principal_for,
    volunteer_row,
)
from tests.factories import TwoCounties, two_counties

TABLES = (Volunteer, VolunteerSkill, VolunteerLanguage, VolunteerCertification)


async def count(session: AsyncSession, model: Any = Volunteer) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def counts(session: AsyncSession) -> list[int]:
    return [await count(session, m) for m in (*TABLES, OutboxEvent)]


@pytest.fixture
async def tc(session: AsyncSession) -> TwoCounties:
    return await two_counties(session)


@pytest.fixture
async def coord_a(session: AsyncSession, tc: TwoCounties):
    return await principal_for(session, role=Role.coordinator, area=tc.county_a, username="coord-a")


def locs(err: pytest.ExceptionInfo) -> list[tuple]:
    return [e.loc for e in err.value.errors]


async def test_batch_creates_everything_set_based(session, tc, coord_a) -> None:
    community = await make_community(session, tc.township_a)
    rows = [
        volunteer_row(
            tc.county_a,
            skills=["driving", "first_aid", "first_aid"],
            vehicle_class="C1",
            languages=["cmn", "iii"],
            certifications=[
                {"kind": "driving_license", "number": "D1", "expires_on": "2030-01-01"}
            ],
            availability={"mon": [["08:00", "18:00"]]},
            insurance_valid_until="2027-01-01",
            max_travel_km=200,
        ),
        volunteer_row(tc.township_a, lon=99.7, lat=25.5),
        volunteer_row(community, phone="+86 138 0000 0000", status="inactive"),
    ]
    ids = await service.create_volunteers(session=session, principal=coord_a, rows=rows)
    assert len(ids) == 3 and await count(session) == 3
    first = await session.get(Volunteer, ids[0])
    assert first.area_path == tc.county_a.area_path and first.vehicle_class == "C1"
    assert first.availability == {"mon": [["08:00", "18:00"]]}
    assert first.insurance_valid_until == date(2027, 1, 1)
    skills = await session.scalars(
        select(VolunteerSkill.skill).where(VolunteerSkill.volunteer_id == ids[0])
    )
    assert sorted(skills) == ["driving", "first_aid"]
    assert await count(session, VolunteerLanguage) == 2
    assert await count(session, VolunteerCertification) == 1
    third = await session.get(Volunteer, ids[2])
    assert third.status == "inactive" and third.area_path == community.area_path
    evs = (
        await session.scalars(select(OutboxEvent).where(OutboxEvent.type == "volunteer.created"))
    ).all()
    assert len(evs) == 3 and "name" not in evs[0].payload
    streams = set(
        await session.scalars(select(OutboxStream.stream).where(OutboxStream.seq == evs[0].seq))
    )
    assert streams == {f"area:{tc.county_a.area_path}", f"volunteer:{ids[0]}"}


async def test_one_bad_row_writes_nothing(session, tc, coord_a) -> None:
    before = await counts(session)
    rows = [
        volunteer_row(tc.county_a),
        volunteer_row(tc.county_b),  # out of scope for coordinator A
        volunteer_row(tc.prefecture),  # above the coordinator's scope
        volunteer_row(tc.county_a, lon=100.7, lat=25.5),  # outside county A's boundary
        volunteer_row(tc.county_a, area_code="532922999999"),  # no such area
    ]
    with pytest.raises(Invalid) as err:
        await service.create_volunteers(session=session, principal=coord_a, rows=rows)
    assert locs(err) == [
        ("rows", 1, "area_code"),
        ("rows", 2, "area_code"),
        ("rows", 3, "lon"),
        ("rows", 4, "area_code"),
    ]
    assert "no area with code 532923000000" in err.value.errors[0].msg
    with pytest.raises(Invalid) as err:
        await service.create_volunteers(
            session=session, principal=None, rows=[volunteer_row(tc.prefecture)]
        )
    assert locs(err) == [("rows", 0, "area_code")] and "prefecture" in str(err.value.errors)
    assert await counts(session) == before


async def test_only_writers_create(session, tc) -> None:
    auditor = await principal_for(
        session, role=Role.auditor, area=tc.county_a, username="auditor-a"
    )
    with pytest.raises(Forbidden):
        await service.create_volunteers(
            session=session, principal=auditor, rows=[volunteer_row(tc.county_a)]
        )
    with pytest.raises(Invalid) as err:
        await service.create_volunteers(session=session, principal=None, rows=[])
    assert locs(err) == [("rows",)]


async def test_person_link_exists_in_scope_and_once(session, tc, coord_a) -> None:
    community_a = await make_community(session, tc.township_a)
    community_b = await make_community(session, tc.township_b)
    person = await make_person(session, community_a)
    theirs = await make_person(session, community_b)
    await make_volunteer(session, community_a, person_id=person.id)
    with pytest.raises(Conflict) as err:
        await service.create_volunteers(
            session=session,
            principal=coord_a,
            rows=[volunteer_row(tc.county_a, person_id=person.id)],
        )
    assert locs(err) == [("rows", 0, "person_id")] and "already linked" in str(err.value)
    with pytest.raises(Invalid) as err:
        await service.create_volunteers(
            session=session,
            principal=coord_a,
            rows=[volunteer_row(tc.county_a, person_id=theirs.id)],
        )
    assert locs(err) == [("rows", 0, "person_id")]
    other = await make_person(session, community_a, name="李四")
    twice = [volunteer_row(tc.county_a, person_id=other.id) for _ in range(2)]
    with pytest.raises(Conflict) as err:
        await service.create_volunteers(session=session, principal=coord_a, rows=twice)
    assert locs(err) == [("rows", 1, "person_id")] and "rows.0" in str(err.value)
    assert await count(session) == 1


async def test_user_link_keeps_app_user_in_step(session, tc, coord_a) -> None:
    vol = await principal_for(session, role=Role.volunteer, area=tc.county_a, username="vol-1")
    (vid,) = await service.create_volunteers(
        session=session, principal=coord_a, rows=[volunteer_row(tc.county_a, user_id=vol.user_id)]
    )
    user = await session.get(User, vol.user_id)
    assert user.volunteer_id == vid
    with pytest.raises(Conflict):  # linked already
        await service.create_volunteers(
            session=session,
            principal=coord_a,
            rows=[volunteer_row(tc.county_a, user_id=vol.user_id)],
        )
    with pytest.raises(Invalid) as err:  # not a volunteer
        await service.create_volunteers(
            session=session,
            principal=coord_a,
            rows=[volunteer_row(tc.county_a, user_id=coord_a.user_id)],
        )
    assert "role coordinator" in err.value.errors[0].msg
    other = await principal_for(session, role=Role.volunteer, area=tc.county_a, username="vol-2")
    await service.update_volunteer(
        session=session,
        principal=coord_a,
        volunteer_id=vid,
        data=VolunteerUpdate(user_id=other.user_id),
    )
    assert (await session.get(User, vol.user_id)).volunteer_id is None
    assert (await session.get(User, other.user_id)).volunteer_id == vid
    await service.delete_volunteer(session=session, principal=coord_a, volunteer_id=vid)
    assert (await session.get(User, other.user_id)).volunteer_id is None


async def test_update_rules_and_move(session, tc, coord_a) -> None:
    vid = await make_volunteer(session, tc.county_a, skills=["first_aid"])
    with pytest.raises(Invalid) as err:
        await service.update_volunteer(
            session=session,
            principal=coord_a,
            volunteer_id=vid,
            data=VolunteerUpdate(skills=["driving"]),
        )
    assert locs(err) == [("body", "vehicle_class")]
    with pytest.raises(Invalid) as err:
        await service.update_volunteer(
            session=session, principal=coord_a, volunteer_id=vid, data=VolunteerUpdate(lon=100.7)
        )
    assert locs(err) == [("body", "lon")]
    with pytest.raises(Invalid):
        await service.update_volunteer(
            session=session, principal=coord_a, volunteer_id=vid,
            data=VolunteerUpdate(area_code=tc.county_b.code, lon=100.7),
        )  # fmt: skip
    v = await service.update_volunteer(
        session=session,
        principal=coord_a,
        volunteer_id=vid,
        data=VolunteerUpdate(
            skills=["driving", "logistics"],
            vehicle_class="B2",
            area_code=tc.township_a.code,
            status="suspended",
        ),
    )
    assert v.area_path == tc.township_a.area_path and v.status == "suspended"
    skills = await session.scalars(
        select(VolunteerSkill.skill).where(VolunteerSkill.volunteer_id == vid)
    )
    assert sorted(skills) == ["driving", "logistics"]
    ev = await session.scalar(
        select(OutboxEvent)
        .where(OutboxEvent.type == "volunteer.updated")
        .order_by(OutboxEvent.seq.desc())
    )
    assert ev.payload["previous_area_path"] == tc.county_a.area_path
    assert "vehicle_class" in ev.payload["fields"]


async def test_scope_and_roles(session, tc, coord_a) -> None:
    vid_b = await make_volunteer(session, tc.county_b)
    vid_a = await make_volunteer(session, tc.county_a)
    with pytest.raises(NotFound):
        await service.get_volunteer(session=session, principal=coord_a, volunteer_id=vid_b)
    with pytest.raises(NotFound):
        await service.delete_volunteer(session=session, principal=coord_a, volunteer_id=vid_b)
    contact = await principal_for(
        session, role=Role.household_contact, area=tc.county_a, username="contact-a"
    )
    with pytest.raises(Forbidden):
        await service.get_volunteer(session=session, principal=contact, volunteer_id=vid_a)
    auditor = await principal_for(
        session, role=Role.auditor, area=tc.county_a, username="auditor-a"
    )
    assert (
        await service.get_volunteer(session=session, principal=auditor, volunteer_id=vid_a)
    ).id == vid_a
    with pytest.raises(Forbidden):
        await service.delete_volunteer(session=session, principal=auditor, volunteer_id=vid_a)


async def test_certifications(session, tc, coord_a) -> None:
    vid = await make_volunteer(session, tc.county_a)
    other = await make_volunteer(session, tc.county_a)
    cert = await service.add_certification(
        session=session, principal=coord_a, volunteer_id=vid,
        data=CertificationIn(kind="nurse_license", number="N-1", expires_on="2028-05-01"),
    )  # fmt: skip
    assert cert.volunteer_id == vid and cert.expires_on == date(2028, 5, 1)
    with pytest.raises(NotFound):
        await service.remove_certification(
            session=session, principal=coord_a, volunteer_id=other, certification_id=cert.id
        )
    await service.remove_certification(
        session=session, principal=coord_a, volunteer_id=vid, certification_id=cert.id
    )
    assert await count(session, VolunteerCertification) == 0


async def test_a_few_hundred_in_a_few_statements(session, tc) -> None:
    """The demo's batch: 300 volunteers with skills, languages and certificates."""
    cert = [{"kind": "first_aid_certificate", "expires_on": "2028-01-01"}]
    rows = [
        volunteer_row(
            tc.county_a if i % 2 else tc.township_b,
            skills=["first_aid", "logistics"],
            languages=["cmn"],
            certifications=cert,
        )
        for i in range(300)
    ]
    statements = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    engine = session.bind.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        ids = await service.create_volunteers(session=session, principal=None, rows=rows)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(ids) == 300 and await count(session) == 300
    assert await count(session, VolunteerSkill) == 600
    assert len(statements) < 25, statements


async def test_organization_at_or_above_the_home_area(session, tc, coord_a) -> None:
    def org(name: str, area: Any) -> Organization:
        now = clock.now()
        return Organization(
            name=name, kind="volunteer_team", registration="registered", area_id=area.id,
            area_path=area.area_path, created_at=now, updated_at=now,
        )  # fmt: skip

    city_team, team_b = org("大理州救援队", tc.prefecture), org("祥云县志愿队", tc.county_b)
    session.add_all([city_team, team_b])
    await session.flush()
    row = volunteer_row(tc.township_a, org_id=city_team.id)
    (vid,) = await service.create_volunteers(session=session, principal=coord_a, rows=[row])
    assert (await session.get(Volunteer, vid)).org_id == city_team.id
    with pytest.raises(Invalid) as err:
        await service.create_volunteers(
            session=session, principal=coord_a, rows=[volunteer_row(tc.county_a, org_id=team_b.id)]
        )
    assert locs(err) == [("rows", 0, "org_id")]
