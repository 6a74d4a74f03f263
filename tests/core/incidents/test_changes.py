"""Level changes, mutual aid, stand-down and who sees what (service level, both engines)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.auth.roles import Role
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.events.models import OutboxEvent
from core.incidents.models import IncidentArea
from core.incidents.reads import get_incident, incident_detail, list_incidents
from core.incidents.schemas import IncidentCreate
from core.incidents.service import change_level, declare_incident, open_mutual_aid, stand_down
from tests.core.incidents.world import World, build_world, counts, geojson, principal_for


async def _declared(session, w: World):  # type: ignore[no-untyped-def]
    """An incident over 一村 and 二村: its area is township A (苍山西镇)."""
    data = IncidentCreate(
        title="苍山西镇山洪", hazard="flood", level=3, area=geojson(99.91, 25.55, 99.93, 25.61)
    )
    return await declare_incident(session=session, principal=None, data=data)


async def _last_event(session) -> OutboxEvent:  # type: ignore[no-untyped-def]
    return await session.scalar(select(OutboxEvent).order_by(OutboxEvent.seq.desc()).limit(1))


async def test_change_level_by_a_coordinator_over_the_incident(session) -> None:
    w = await build_world(session)
    incident = await _declared(session, w)
    town = await principal_for(session, role=Role.coordinator, area=w.tc.township_a, name="ta")
    changed = await change_level(session=session, principal=town, incident_id=incident.id, level=2)
    assert changed.level == 2
    event = await _last_event(session)
    assert event.type == "incident.level_changed"
    assert (event.payload["from"], event.payload["to"], event.payload["by"]) == (
        3,
        2,
        str(town.user_id),
    )
    with pytest.raises(Conflict, match="already at level II"):
        await change_level(session=session, principal=town, incident_id=incident.id, level=2)


async def test_who_may_change_and_who_sees(session) -> None:
    w = await build_world(session)
    incident = await _declared(session, w)
    one = await principal_for(session, role=Role.coordinator, area=w.c["0001"], name="c1")
    other = await principal_for(session, role=Role.coordinator, area=w.township_a2, name="a2")
    county_b = await principal_for(session, role=Role.coordinator, area=w.tc.county_b, name="cb")
    auditor = await principal_for(session, role=Role.auditor, area=w.c["0002"], name="au")
    assert (await get_incident(session=session, principal=one, incident_id=incident.id)) is incident
    province = await principal_for(session, role=Role.coordinator, area=w.tc.province, name="pr")
    assert await get_incident(session=session, principal=province, incident_id=incident.id)
    assert await get_incident(session=session, principal=auditor, incident_id=incident.id)
    with pytest.raises(Forbidden, match="coordinator whose area holds all"):
        await change_level(session=session, principal=one, incident_id=incident.id, level=1)
    with pytest.raises(Forbidden):
        await stand_down(session=session, principal=auditor, incident_id=incident.id)
    for outsider in (other, county_b):
        with pytest.raises(NotFound):
            await get_incident(session=session, principal=outsider, incident_id=incident.id)
        with pytest.raises(NotFound):
            await stand_down(session=session, principal=outsider, incident_id=incident.id)
        assert await list_incidents(session=session, principal=outsider, limit=10) == []
    assert [i.id for i in await list_incidents(session=session, principal=one, limit=10)] == [
        incident.id
    ]


async def test_mutual_aid_takes_the_level_above(session) -> None:
    w = await build_world(session)
    incident = await _declared(session, w)
    town = await principal_for(session, role=Role.coordinator, area=w.tc.township_a, name="ta")
    county = await principal_for(session, role=Role.coordinator, area=w.tc.county_a, name="ca")
    a2 = await principal_for(session, role=Role.coordinator, area=w.township_a2, name="a2")
    before = await counts(session)
    with pytest.raises(Forbidden, match="level above"):
        await open_mutual_aid(
            session=session, principal=town, incident_id=incident.id, area_codes=["532922101000"]
        )
    with pytest.raises(Invalid) as caught:
        await open_mutual_aid(
            session=session,
            principal=county,
            incident_id=incident.id,
            area_codes=["532922101000", w.tc.county_b.code, "532922999999", "532922101000"],
        )
    assert [e.loc for e in caught.value.errors] == [
        ("body", "area_codes", 1),
        ("body", "area_codes", 2),
        ("body", "area_codes", 3),
    ]
    with pytest.raises(Conflict) as conflict:
        await open_mutual_aid(
            session=session,
            principal=county,
            incident_id=incident.id,
            area_codes=["532922101000", w.c["0002"].code],
        )
    assert conflict.value.errors[0].loc == ("body", "area_codes", 1)
    assert "already affected" in conflict.value.errors[0].msg
    assert await counts(session) == before
    opened = await open_mutual_aid(
        session=session, principal=county, incident_id=incident.id, area_codes=["532922101000"]
    )
    assert [a.code for a in opened] == ["532922101000"]
    row = await session.scalar(select(IncidentArea).where(IncidentArea.role == "mutual_aid"))
    assert row is not None and row.opened_by == county.user_id
    event = await _last_event(session)
    assert event.type == "incident.mutual_aid_opened"
    assert event.payload["areas"] == [{"code": "532922101000", "name": "平坡镇", "level": 4}]
    # the opened township's coordinator now sees the incident
    assert await get_incident(session=session, principal=a2, incident_id=incident.id)
    _, affected, aid = await incident_detail(session=session, principal=a2, incident_id=incident.id)
    assert affected == 2 and [a.code for a in aid] == ["532922101000"]
    with pytest.raises(Conflict, match="532922101000"):
        await open_mutual_aid(
            session=session, principal=county, incident_id=incident.id, area_codes=["532922101000"]
        )


async def test_a_stood_down_incident_refuses_every_change(session) -> None:
    w = await build_world(session)
    incident = await _declared(session, w)
    county = await principal_for(session, role=Role.coordinator, area=w.tc.county_a, name="ca")
    done = await stand_down(session=session, principal=county, incident_id=incident.id)
    assert done.status == "stood_down" and done.stood_down_at is not None
    assert (await _last_event(session)).type == "incident.stood_down"
    before = await counts(session)
    changes = [
        change_level(session=session, principal=county, incident_id=incident.id, level=1),
        stand_down(session=session, principal=county, incident_id=incident.id),
        open_mutual_aid(
            session=session, principal=county, incident_id=incident.id, area_codes=["532922101000"]
        ),
    ]
    for change in changes:
        with pytest.raises(Conflict, match="incident stood down at "):
            await change
    assert await counts(session) == before
    assert (
        await get_incident(session=session, principal=county, incident_id=incident.id)
    ).level == 3


async def test_list_filters(session) -> None:
    w = await build_world(session)
    flood = await _declared(session, w)
    drill = await declare_incident(
        session=session,
        principal=None,
        data=IncidentCreate(
            title="平坡演练", hazard="earthquake", level=4, mode="drill",
            centre={"lon": 99.71, "lat": 25.46}, radius_m=100,
        ),
    )  # fmt: skip
    admin = await principal_for(session, role=Role.admin, area=None, name="ad")
    await stand_down(session=session, principal=admin, incident_id=flood.id)

    async def ids(**kw) -> list:  # type: ignore[no-untyped-def]
        return [
            i.id for i in await list_incidents(session=session, principal=admin, limit=10, **kw)
        ]

    assert await ids() == [drill.id, flood.id]  # newest first
    assert await ids(status="active") == [drill.id]
    assert await ids(mode="drill") == [drill.id]
    assert await ids(hazard="flood") == [flood.id]
    assert await ids(area_code=w.township_a2.code) == [drill.id]
    assert await ids(area_code=w.c["0001"].code) == [flood.id]
    assert await ids(area_code=w.tc.county_a.code) == [drill.id, flood.id]
    assert await ids(area_code=w.tc.county_b.code) == []
    assert await ids(bbox=(99.6, 25.4, 99.8, 25.5)) == [drill.id]
    assert await ids(after=drill.id) == [flood.id]
