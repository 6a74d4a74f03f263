"""Location pings: validated, rate-limited, one ``volunteer.moved`` per stored ping."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core import clock
from core.config import get_settings
from core.errors import Forbidden, Invalid
from core.registry.volunteers.models import Volunteer
from core.registry.volunteers.position import record_position, record_positions
from tests.core.incidents.dispatch_world import as_coordinator, as_volunteer, events, offered
from tests.core.incidents.match_world import HERE, match_world, need, volunteer


async def test_pings_are_rate_limited_and_reach_the_incident_map(session, database) -> None:
    w = await match_world(session)
    v = await volunteer(session, w)
    await need(session, w, kind="visit")
    await offered(session, database, w)
    me = await as_volunteer(session, v, w)
    now = clock.now()
    gap = timedelta(seconds=get_settings().position_min_seconds)
    assert await record_position(session=session, principal=me, lon=99.96, lat=25.66,
                                 accuracy_m=8, now=now)  # fmt: skip
    assert not await record_position(session=session, principal=me, lon=99.97, lat=25.67,
                                     now=now + gap / 2)  # fmt: skip
    assert await record_position(session=session, principal=me, lon=99.98, lat=25.68,
                                 now=now + gap)  # fmt: skip
    row = (await session.execute(select(Volunteer.live_lon, Volunteer.live_lat, Volunteer.live_at)
                                 .where(Volunteer.id == v))).one()  # fmt: skip
    assert (row.live_lon, row.live_lat, row.live_at) == (99.98, 25.68, now + gap)
    moved = await events(session, "volunteer.moved")
    assert [(m["lon"], m["lat"]) for m in moved] == [(99.96, 25.66), (99.98, 25.68)]
    assert moved[0]["incident_ids"] == [str(w.real)] and moved[0]["accuracy_m"] == 8


async def test_system_pings_for_many_volunteers_follow_the_same_rule(session, database) -> None:
    w = await match_world(session)
    v = await volunteer(session, w)
    other = await volunteer(session, w, HERE[0] + 0.01, HERE[1])
    await need(session, w, kind="visit")
    await offered(session, database, w)
    now = clock.now()
    gap = timedelta(seconds=get_settings().position_min_seconds)
    moves = [(v, 99.96, 25.66, now), (other, 99.97, 25.67, now), (v, 99.99, 25.69, now + gap / 2)]
    assert await record_positions(session, moves) == 2  # v's second ping came too soon
    row = (await session.execute(select(Volunteer.live_lon, Volunteer.live_at)
                                 .where(Volunteer.id == v))).one()  # fmt: skip
    assert (row.live_lon, row.live_at) == (99.96, now)
    moved = await events(session, "volunteer.moved")
    assert sorted((m["volunteer_id"], m["lon"]) for m in moved) == sorted(
        [(str(v), 99.96), (str(other), 99.97)])  # fmt: skip
    assert {tuple(m["incident_ids"]) for m in moved} >= {(str(w.real),)}
    with pytest.raises(Invalid):
        await record_positions(session, [(v, 200.0, 25.0, now + gap)])


@pytest.mark.parametrize(
    ("lon", "lat", "accuracy", "field"),
    [(181.0, 25.0, None, "lon"), (99.0, -91.0, None, "lat"), (99.0, 25.0, -1.0, "accuracy_m"),
     (float("nan"), 25.0, None, "lon")],
)  # fmt: skip
async def test_bad_positions_name_the_field(session, lon, lat, accuracy, field) -> None:
    w = await match_world(session)
    v = await volunteer(session, w)
    me = await as_volunteer(session, v, w)
    with pytest.raises(Invalid) as err:
        await record_position(session=session, principal=me, lon=lon, lat=lat,
                              accuracy_m=accuracy)  # fmt: skip
    assert [e.loc for e in err.value.errors] == [("body", field)]
    assert await session.scalar(select(Volunteer.live_at).where(Volunteer.id == v)) is None


async def test_only_a_volunteer_shares_a_position(session) -> None:
    w = await match_world(session)
    with pytest.raises(Forbidden):
        await record_position(session=session, principal=await as_coordinator(
            session, w.c["C1"].code), lon=HERE[0], lat=HERE[1])  # fmt: skip
