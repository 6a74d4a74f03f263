"""Declaring incidents: shapes, modes, hazards, scope, activation hooks, bad input."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from core.auth.roles import Role
from core.errors import Forbidden, Invalid
from core.events.models import OutboxEvent, OutboxStream
from core.incidents import hooks
from core.incidents.models import IncidentArea
from core.incidents.schemas import IncidentCreate
from core.incidents.service import declare_incident
from tests.conftest import read_events_eventually
from tests.core.incidents.world import HOUSEHOLDS, build_world, counts, geojson, principal_for

TOWNSHIP_A = geojson(99.91, 25.55, 99.93, 25.61)  # touches 一村 and 二村


def create(**kw: Any) -> IncidentCreate:
    return IncidentCreate.model_validate(
        {"title": "漾濞地震", "hazard": "earthquake", "level": 2, "area": TOWNSHIP_A, **kw}
    )


async def test_declare_polygon_writes_areas_event_and_scope(session) -> None:
    w = await build_world(session)
    coord = await principal_for(session, role=Role.coordinator, area=w.tc.county_a, name="ca")
    incident = await declare_incident(session=session, principal=coord, data=create())
    assert incident.area_path == w.tc.township_a.area_path  # deepest area holding both
    assert (incident.category, incident.level, incident.mode) == ("natural_disaster", 2, "real")
    assert incident.is_drill is False and incident.speedup == 1.0
    assert incident.declared_by == coord.user_id and incident.status == "active"
    assert incident.min_lon == pytest.approx(99.91) and incident.radius_m is None
    rows = (await session.scalars(select(IncidentArea).order_by(IncidentArea.area_path))).all()
    assert [(r.area_id, r.role) for r in rows] == [
        (w.c["0001"].id, "affected"),
        (w.c["0002"].id, "affected"),
    ]
    event = await session.scalar(select(OutboxEvent).where(OutboxEvent.type == "incident.declared"))
    assert event is not None and event.payload["communities"] == 2
    assert event.payload["area_code"] == w.tc.township_a.code
    streams = set(
        await session.scalars(select(OutboxStream.stream).where(OutboxStream.seq == event.seq))
    )
    assert streams == {f"incident:{incident.id}", f"area:{w.tc.township_a.area_path}"}


async def test_declare_circle_over_two_townships(session) -> None:
    w = await build_world(session)
    data = create(area=None, centre={"lon": 99.80, "lat": 25.55}, radius_m=12_500)
    incident = await declare_incident(session=session, principal=None, data=data)
    assert incident.area_path == w.tc.county_a.area_path
    assert (incident.centre_lon, incident.centre_lat, incident.radius_m) == (99.80, 25.55, 12_500)
    assert incident.boundary is None and incident.min_lon < 99.80 < incident.max_lon
    assert incident.declared_by is None  # the system
    ids = set((await session.scalars(select(IncidentArea.area_id))).all())
    assert ids == {w.c["0001"].id, w.c["1001"].id}


async def test_community_without_boundary_joins_by_its_households(session) -> None:
    w = await build_world(session)
    lon, lat = HOUSEHOLDS[1]
    data = create(area=None, centre={"lon": lon, "lat": lat}, radius_m=50)
    incident = await declare_incident(session=session, principal=None, data=data)
    assert incident.area_path == w.c["0004"].area_path


@pytest.mark.parametrize(
    ("mode", "speedup", "is_drill", "stored"),
    [("drill", None, True, 1.0), ("live_drill", 12.0, True, 12.0), ("live_drill", None, True, 1.0)],
)
async def test_drill_modes(session, mode, speedup, is_drill, stored) -> None:
    await build_world(session)
    data = create(mode=mode, speedup=speedup)
    incident = await declare_incident(session=session, principal=None, data=data)
    assert (incident.is_drill, incident.speedup, incident.mode) == (is_drill, stored, mode)


async def test_other_hazard_names_its_category(session) -> None:
    await build_world(session)
    data = create(hazard="other", category="social_safety")
    incident = await declare_incident(session=session, principal=None, data=data)
    assert incident.category == "social_safety"
    data = create(hazard="forest_fire", level="I")
    assert (await declare_incident(session=session, principal=None, data=data)).level == 1


@pytest.mark.parametrize(
    ("kw", "loc"),
    [
        ({"speedup": 2.0}, ["body", "speedup"]),
        ({"hazard": "other"}, ["body", "category"]),
        ({"hazard": "flood", "category": "accident"}, ["body", "category"]),
        ({"centre": {"lon": 99.9, "lat": 25.6}, "radius_m": 10}, ["body", "area"]),
        ({"area": None}, ["body", "area"]),
        ({"area": None, "centre": {"lon": 99.9, "lat": 25.6}}, ["body", "radius_m"]),
        ({"area": None, "radius_m": 500}, ["body", "centre"]),
        (
            {
                "area": {
                    "type": "Polygon",
                    "coordinates": [[[99, 25], [100, 26], [100, 25], [99, 26], [99, 25]]],
                }
            },
            ["body", "area"],
        ),
        ({"area": geojson(101.5, 24.0, 101.6, 24.1)}, ["body", "area"]),
        (
            {"area": None, "centre": {"lon": 101.5, "lat": 24.0}, "radius_m": 500},
            ["body", "radius_m"],
        ),
    ],
)
async def test_bad_declarations_name_the_field_and_write_nothing(session, kw, loc) -> None:
    await build_world(session)
    before = await counts(session)
    with pytest.raises(Invalid) as caught:
        await declare_incident(session=session, principal=None, data=create(**kw))
    assert list(caught.value.errors[0].loc) == loc, caught.value.errors
    assert await counts(session) == before


async def test_declarer_needs_scope_over_every_touched_community(session) -> None:
    w = await build_world(session)
    town = await principal_for(session, role=Role.coordinator, area=w.tc.township_a, name="ta")
    before = await counts(session)
    both = geojson(99.71, 25.46, 99.915, 25.61)  # 一村 (township A) and 平坡村 (A2)
    with pytest.raises(Forbidden) as caught:
        await declare_incident(session=session, principal=town, data=create(area=both))
    assert "1 of the 2 communities" in caught.value.detail  # 一村 and 平坡村
    assert w.c["1001"].code not in caught.value.detail and "平坡" not in caught.value.detail
    vol = await principal_for(session, role=Role.volunteer, area=w.tc.county_a, name="va")
    with pytest.raises(Forbidden):
        await declare_incident(session=session, principal=vol, data=create())
    assert await counts(session) == before


async def test_activation_hooks_run_in_the_same_transaction(session) -> None:
    w = await build_world(session)
    seen: list[dict[str, Any]] = []

    async def hook(*, session, incident_id, hazard, community_ids) -> None:  # type: ignore[no-untyped-def]
        rows = (await session.scalars(select(IncidentArea.area_id))).all()
        seen.append({"incident": incident_id, "hazard": hazard, "ids": list(community_ids),
                     "visible": sorted(rows)})  # fmt: skip

    hooks.on_activation(hook)
    hooks.on_activation(hook)  # registering twice changes nothing
    try:
        incident = await declare_incident(session=session, principal=None, data=create())
    finally:
        hooks.remove_activation(hook)
    assert hook not in hooks.activation_hooks()
    ids = [w.c["0001"].id, w.c["0002"].id]
    assert seen == [{"incident": incident.id, "hazard": "earthquake", "ids": ids,
                     "visible": sorted(ids)}]  # fmt: skip


async def test_declared_event_is_on_the_incident_stream(committed) -> None:
    async with committed.transaction() as s:
        await build_world(s)
        incident = await declare_incident(session=s, principal=None, data=create())
    events = await read_events_eventually(
        committed, streams=[f"incident:{incident.id}"], at_least=1
    )
    # Activation hooks (plans/, registered by the app) may add their own events.
    declared = [e for e in events if e.type.startswith("incident.")]
    assert [e.type for e in declared] == ["incident.declared"]
    assert declared[0].data["id"] == str(incident.id)
