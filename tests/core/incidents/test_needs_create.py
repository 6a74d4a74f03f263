"""Raising needs through the service: who may, where, drills and events."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.errors import Forbidden, Invalid
from core.incidents.need_models import Need, NeedItem, NeedKind, NeedSource
from core.incidents.need_schemas import NeedCreate, NeedItemIn, SosCreate
from core.incidents.needs import create_needs
from tests.core.incidents.needs_world import (
    RICE,
    WATER,
    build_world,
    counts,
    last_event,
    with_users,
)

S = NeedSource


async def _raise(session, principal, incident_id, *rows, source=S.coordinator):
    return await create_needs(
        session=session, principal=principal, incident_id=incident_id, rows=list(rows),
        source=source,
    )  # fmt: skip


async def _need(session, need_id) -> Need:
    return await session.get(Need, need_id)


async def test_coordinator_raises_a_household_need_with_items(session) -> None:
    w = await with_users(session, await build_world(session))
    coord, _ = w.users["coord_a"]
    row = NeedCreate(
        kind=NeedKind.supplies, household_id=w.h["h1"], severity=3, description="缺水",
        items=[NeedItemIn(item_code=WATER, quantity=20), NeedItemIn(item_code=RICE, quantity=5)],
        skills=["logistics"], languages=["iii", "cmn"],
    )  # fmt: skip
    (nid,) = await _raise(session, coord, w.inc["live"], row)
    need = await _need(session, nid)
    assert (need.lon, need.lat) == (99.905, 25.605)  # the household's point
    assert need.community_id == w.c["A1"].id and need.area_path == w.c["A1"].area_path
    assert need.vulnerability == 16 and need.priority == 46  # bedridden 12 + ½·infant 8
    assert need.status == "open" and need.source == "coordinator" and not need.is_drill
    assert need.created_by == coord.user_id and not need.neighbours_first
    assert need.skills == ["logistics"] and need.languages == ["iii", "cmn"]
    lines = (await session.execute(select(NeedItem.quantity).where(NeedItem.need_id == nid))).all()
    assert sorted(q for (q,) in lines) == [5, 20]


async def test_person_need_uses_that_persons_tags_and_household(session) -> None:
    w = await build_world(session)
    (nid,) = await _raise(
        session, None, w.inc["live"], NeedCreate(kind=NeedKind.visit, person_id=w.p["小乙"]),
        source=S.chain,
    )  # fmt: skip
    need = await _need(session, nid)
    assert need.household_id == w.h["h1"] and need.person_id == w.p["小乙"]
    assert need.vulnerability == 8 and need.neighbours_first  # infant; visit → neighbours
    assert need.created_by is None and need.source == "chain"


async def test_coordinator_raises_by_point_or_by_community(session) -> None:
    w = await with_users(session, await build_world(session))
    coord, _ = w.users["coord_a"]
    by_point = NeedCreate(kind=NeedKind.rescue, lon=99.93, lat=25.615)
    on_edge = NeedCreate(kind=NeedKind.rescue, lon=99.92, lat=25.61)  # A1 | A2 edge
    named = NeedCreate(kind=NeedKind.medical, community_code=w.c["A3"].code, lon=99.95, lat=25.6)
    ids = await _raise(session, coord, w.inc["live"], by_point, on_edge, named)
    needs = [await _need(session, i) for i in ids]
    assert needs[0].community_id == w.c["A2"].id and needs[0].household_id is None
    assert needs[1].community_id in {w.c["A1"].id, w.c["A2"].id}
    assert needs[2].community_id == w.c["A3"].id and needs[2].vulnerability == 0


async def test_grid_worker_raises_only_in_their_grids(session) -> None:
    w = await with_users(session, await build_world(session))
    grid, _ = w.users["grid"]
    (nid,) = await _raise(
        session, grid, w.inc["live"], NeedCreate(kind=NeedKind.care, household_id=w.h["h1"])
    )
    assert (await _need(session, nid)).household_id == w.h["h1"]
    with pytest.raises(Invalid) as err:
        await _raise(session, grid, w.inc["live"], NeedCreate(kind=NeedKind.care, lon=99.905,
                                                              lat=25.605))  # fmt: skip
    assert err.value.errors[0].loc == ("rows", 0, "lon")


async def test_household_contact_reports_for_own_household_only(session) -> None:
    w = await with_users(session, await build_world(session))
    contact, _ = w.users["contact1"]
    (nid,) = await _raise(
        session, contact, w.inc["live"], NeedCreate(kind=NeedKind.supplies),
        source=S.household_report,
    )  # fmt: skip
    need = await _need(session, nid)
    assert need.household_id == w.h["h1"] and need.source == "household_report"
    before = await counts(session)
    with pytest.raises(Invalid) as err:
        await _raise(
            session, contact, w.inc["live"],
            NeedCreate(kind=NeedKind.supplies, household_id=w.h["h2"]), source=S.household_report,
        )  # fmt: skip
    assert err.value.errors[0].loc == ("rows", 0, "household_id")
    with pytest.raises(Invalid) as err:
        await _raise(
            session, contact, w.inc["live"],
            NeedCreate(kind=NeedKind.medical, person_id=w.p["丙"]), source=S.household_report,
        )  # fmt: skip
    assert err.value.errors[0].loc == ("rows", 0, "person_id")
    with pytest.raises(Forbidden):
        await _raise(session, contact, w.inc["live"], NeedCreate(kind=NeedKind.other))
    assert await counts(session) == before


async def test_sos_is_a_rescue_at_the_callers_point(session) -> None:
    w = await with_users(session, await build_world(session))
    contact, _ = w.users["contact1"]
    sos = SosCreate(lon=99.915, lat=25.615, description="被困")
    (nid,) = await _raise(session, contact, w.inc["live"], sos.as_need(), source=S.sos)
    need = await _need(session, nid)
    assert (need.kind, need.source, need.severity) == ("rescue", "sos", 4)
    assert (need.lon, need.lat, need.household_id) == (99.915, 25.615, w.h["h1"])
    grid, _ = w.users["grid"]
    with pytest.raises(Forbidden):
        await _raise(session, grid, w.inc["live"], sos.as_need(), source=S.sos)


@pytest.mark.parametrize("who", ["auditor", "volunteer"])
async def test_roles_that_may_not_raise(session, who) -> None:
    w = await with_users(session, await build_world(session))
    principal, _ = w.users[who]
    with pytest.raises(Forbidden):
        await _raise(session, principal, w.inc["live"], NeedCreate(kind=NeedKind.other, lon=99.93,
                                                                   lat=25.61))  # fmt: skip


async def test_drill_incident_needs_carry_the_flag(session) -> None:
    w = await build_world(session)
    (nid,) = await _raise(
        session, None, w.inc["drill"], NeedCreate(kind=NeedKind.visit, household_id=w.h["h1"])
    )
    assert (await _need(session, nid)).is_drill


async def test_need_created_events_carry_no_personal_data(session) -> None:
    w = await build_world(session)
    before = (await counts(session))[2]
    row = NeedCreate(kind=NeedKind.supplies, household_id=w.h["h1"], description="老甲 卧床",
                     items=[NeedItemIn(item_code=WATER, quantity=3)])  # fmt: skip
    (nid,) = await _raise(session, None, w.inc["live"], row)
    assert (await counts(session))[2] == before + 1
    ev = await last_event(session)
    assert ev.type == "need.created"
    assert ev.data["id"] == str(nid) and ev.data["priority"] == 46
    assert ev.data["lon"] == 99.905 and ev.data["items"][0]["quantity"] == 3
    assert "description" not in ev.data and "老甲" not in str(ev.data)
    assert set(ev.streams) == {f"incident:{w.inc['live']}", f"area:{w.c['A1'].area_path}"}


async def test_a_household_away_from_home_is_placed_by_its_point(session) -> None:
    w = await build_world(session)
    row = NeedCreate(kind=NeedKind.rescue, person_id=w.p["戊"], lon=99.93, lat=25.61)
    (nid,) = await _raise(session, None, w.inc["live"], row, source=S.sos)
    need = await _need(session, nid)
    assert need.community_id == w.c["A2"].id  # where the SOS came from, not A4
    assert (need.household_id, need.person_id) == (w.h["h4"], w.p["戊"])
