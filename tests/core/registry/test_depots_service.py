"""Depot service on both engines: batch create, area and boundary rules, owners, filters."""

from __future__ import annotations

import math
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.auth.roles import Principal, Role
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.events.models import OutboxEvent
from core.geo.distance import EARTH_RADIUS_M, haversine_m
from core.registry.areas.models import Area
from core.registry.depots import service
from core.registry.depots.models import Depot
from core.registry.depots.schemas import DepotCreate, DepotUpdate
from core.registry.orgs.models import Organization
from tests.factories import TwoCounties, two_counties

ADMIN = Principal(user_id=uuid.uuid4(), token_id=uuid.uuid4(), role=Role.admin, scope_path=None)


def principal(role: Role, area: Area | None) -> Principal:
    path = area.area_path if area is not None else None
    return Principal(user_id=uuid.uuid4(), token_id=uuid.uuid4(), role=role, scope_path=path)


def depot(area: Area | str, lon: float = 99.9, lat: float = 25.6, **kw: Any) -> DepotCreate:
    """A warehouse at (lon, lat) in ``area`` unless ``kw`` says otherwise."""
    code = area if isinstance(area, str) else area.code
    fields = {"name": "仓库", "kind": "warehouse", "area_code": code, "lon": lon, "lat": lat}
    return DepotCreate.model_validate({**fields, **kw})


async def make_org(session: AsyncSession, area: Area, name: str = "漾濞慈善会") -> Organization:
    now = clock.now()
    org = Organization(
        name=name,
        kind="charity_organization",
        registration="registered",
        area_id=area.id,
        area_path=area.area_path,
        created_at=now,
        updated_at=now,
    )
    session.add(org)
    await session.flush()
    return org


async def count(session: AsyncSession, model: Any = Depot) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def destination(lon: float, lat: float, bearing_deg: float, metres: float) -> tuple[float, float]:
    """The point ``metres`` from (lon, lat) along ``bearing_deg`` on the Huzhu sphere."""
    d, b = metres / EARTH_RADIUS_M, math.radians(bearing_deg)
    p1, l1 = math.radians(lat), math.radians(lon)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(
        math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2)
    )
    return math.degrees(l2), math.degrees(p2)


@pytest.fixture
async def tc(session: AsyncSession) -> TwoCounties:
    return await two_counties(session)


def locs(exc: Invalid) -> list[tuple[Any, ...]]:
    return [e.loc for e in exc.errors]


async def test_batch_create_writes_rows_and_events(session: AsyncSession, tc: TwoCounties) -> None:
    rows = [
        depot(tc.county_a, name="县仓库"),
        depot(tc.township_a, name="避难所", kind="shelter", capacity_people=300),
        depot(tc.township_b, 100.6, 25.3, name="慈善公园", kind="charity_site", site_type="park"),
    ]
    events = await count(session, OutboxEvent)
    ids = await service.create_depots(session=session, principal=None, rows=rows)
    assert len(ids) == 3 and ids == sorted(ids)
    got = {d.name: d for d in await session.scalars(select(Depot).where(Depot.id.in_(ids)))}
    assert got["县仓库"].area_path == tc.county_a.area_path
    assert got["县仓库"].opening_hours == {}
    assert got["避难所"].opening_hours == {"always": True}
    assert got["慈善公园"].site_type == "park"
    assert await count(session, OutboxEvent) == events + 3
    assert await service.create_depots(session=session, principal=None, rows=[]) == []


async def test_rules_name_the_row_and_field(session: AsyncSession, tc: TwoCounties) -> None:
    org_b = await make_org(session, tc.county_b, "祥云慈善会")
    coord_a = principal(Role.coordinator, tc.county_a)
    rows = [
        depot(tc.township_a),  # fine
        depot("532922999000"),  # unknown
        depot(tc.township_b, 100.6, 25.3),  # outside coord A's scope
        depot(tc.county_a, 100.3, 25.6),  # outside the county boundary
        depot(tc.township_a, owner_org_id=org_b.id),  # owner out of scope
        depot(tc.township_a, owner_org_id=uuid.uuid4()),  # owner unknown
    ]
    before = (await count(session), await count(session, OutboxEvent))
    with pytest.raises(Invalid) as info:
        await service.create_depots(session=session, principal=coord_a, rows=rows)
    assert locs(info.value) == [
        ("rows", 1, "area_code"),
        ("rows", 2, "area_code"),
        ("rows", 3, "lon"),
        ("rows", 4, "owner_org_id"),
        ("rows", 5, "owner_org_id"),
    ]
    msgs = [e.msg for e in info.value.errors]
    assert msgs[0].replace("532922999000", "X") == msgs[1].replace("532923100000", "X")
    assert "outside the boundary" in msgs[2] and "5 row(s)" in info.value.detail
    with pytest.raises(Invalid) as info:  # levels 3-5 only
        await service.create_depots(session=session, principal=None, rows=[depot(tc.prefecture)])
    assert locs(info.value) == [("rows", 0, "area_code")]
    assert "prefecture" in info.value.errors[0].msg
    assert (await count(session), await count(session, OutboxEvent)) == before


async def test_point_on_the_boundary_is_inside_on_both_engines(
    session: AsyncSession, tc: TwoCounties
) -> None:
    # county A is the box 99.6..100.2 x 25.4..25.9: its edge and corner are covered.
    rows = [depot(tc.county_a, 99.6, 25.5), depot(tc.county_a, 100.2, 25.9)]
    assert len(await service.create_depots(session=session, principal=None, rows=rows)) == 2
    with pytest.raises(Invalid) as info:
        await service.create_depots(
            session=session, principal=None, rows=[depot(tc.county_a, 99.5999999, 25.5)]
        )
    assert locs(info.value) == [("rows", 0, "lon")]
    # a township without a boundary takes any point; moving it into the county does not
    (far,) = await service.create_depots(
        session=session, principal=None, rows=[depot(tc.township_a, 0, 0)]
    )
    with pytest.raises(Invalid) as info:
        await service.update_depot(
            session=session,
            principal=ADMIN,
            depot_id=far,
            data=DepotUpdate(area_code=tc.county_a.code),
        )
    assert locs(info.value) == [("body", "area_code")]


async def test_roles(session: AsyncSession, tc: TwoCounties) -> None:
    for role in (Role.volunteer, Role.auditor, Role.grid_worker, Role.household_contact):
        with pytest.raises(Forbidden):
            await service.create_depots(
                session=session, principal=principal(role, tc.county_a), rows=[depot(tc.county_a)]
            )
    coord_a = principal(Role.coordinator, tc.county_a)
    org = await make_org(session, tc.township_a)
    (own,) = await service.create_depots(
        session=session, principal=coord_a, rows=[depot(tc.county_a, owner_org_id=org.id)]
    )
    (theirs,) = await service.create_depots(
        session=session, principal=None, rows=[depot(tc.county_b, 100.6, 25.3)]
    )
    vol_a = principal(Role.volunteer, tc.county_a)
    assert (await service.get_depot(session=session, principal=vol_a, depot_id=own)).id == own
    for who in (vol_a, coord_a):
        with pytest.raises(NotFound):
            await service.get_depot(session=session, principal=who, depot_id=theirs)
    with pytest.raises(NotFound):
        await service.delete_depot(session=session, principal=coord_a, depot_id=theirs)
    listed = await service.list_depots(session=session, principal=vol_a, limit=50)
    assert [d.id for d in listed] == [own]


async def test_update_rechecks_the_result(session: AsyncSession, tc: TwoCounties) -> None:
    coord_a = principal(Role.coordinator, tc.county_a)
    (depot_id,) = await service.create_depots(
        session=session, principal=None, rows=[depot(tc.county_a, kind="charity_site",
                                                     site_type="school")]
    )  # fmt: skip

    async def patch(**kw: Any) -> Depot:
        data = DepotUpdate.model_validate(kw)
        return await service.update_depot(
            session=session, principal=coord_a, depot_id=depot_id, data=data
        )

    async def bad(loc: tuple[Any, ...], **kw: Any) -> str:
        with pytest.raises(Invalid) as info:
            await patch(**kw)
        assert locs(info.value)[0] == loc, info.value.errors
        return info.value.errors[0].msg

    assert "capacity" not in await bad(("body", "capacity_people"), kind="shelter")
    assert "required" in await bad(("body", "site_type"), site_type=None)
    await bad(("body", "lat"), lon=99.7)
    await bad(("body", "lon"), lon=100.5, lat=25.6)  # outside county A
    await bad(("body", "area_code"), area_code=tc.township_b.code)  # out of scope
    got = await patch(kind="shelter", capacity_people=80)
    assert got.site_type is None and got.opening_hours == {"always": True}
    got = await patch(area_code=tc.township_a.code, opening_hours={"mon": [["08:00", "12:00"]]})
    assert got.area_path == tc.township_a.area_path
    assert got.opening_hours == {"mon": [["08:00", "12:00"]]}
    got = await patch(kind="warehouse", opening_hours=None, capacity_people=None)
    assert got.opening_hours == {} and got.capacity_people is None
    events = list(await session.scalars(select(OutboxEvent).order_by(OutboxEvent.seq)))
    assert [e.type for e in events[-3:]] == ["depot.updated"] * 3
    assert events[-2].payload["moved_from"] == tc.county_a.area_path


async def test_owner_checked_only_when_changed(session: AsyncSession, tc: TwoCounties) -> None:
    provincial = await make_org(session, tc.province, "云南省慈善总会")
    (depot_id,) = await service.create_depots(
        session=session, principal=None, rows=[depot(tc.county_a, owner_org_id=provincial.id)]
    )
    coord_a = principal(Role.coordinator, tc.county_a)
    data = DepotUpdate(name="县应急仓库")
    got = await service.update_depot(
        session=session, principal=coord_a, depot_id=depot_id, data=data
    )
    assert got.name == "县应急仓库" and got.owner_org_id == provincial.id
    with pytest.raises(Invalid) as info:
        await service.update_depot(
            session=session,
            principal=coord_a,
            depot_id=depot_id,
            data=DepotUpdate(owner_org_id=provincial.id),
        )
    assert locs(info.value) == [("body", "owner_org_id")]


async def test_delete_blockers_are_pluggable(session: AsyncSession, tc: TwoCounties) -> None:
    (depot_id,) = await service.create_depots(
        session=session, principal=None, rows=[depot(tc.county_a)]
    )

    @service.register_delete_blocker("lots")
    async def lots(_: AsyncSession, which: uuid.UUID) -> int:
        return 2 if which == depot_id else 0

    try:
        with pytest.raises(Conflict) as info:
            await service.delete_depot(session=session, principal=ADMIN, depot_id=depot_id)
        assert info.value.extra == {"lots": 2} and "2 lots" in info.value.detail
    finally:
        service._BLOCKERS.pop("lots")
    await service.delete_depot(session=session, principal=ADMIN, depot_id=depot_id)
    assert await session.get(Depot, depot_id) is None


async def test_near_is_spherical(session: AsyncSession, tc: TwoCounties) -> None:
    centre = (99.9, 25.6)
    spots = {
        "east_in": destination(*centre, 90, 9_990),
        "east_out": destination(*centre, 90, 10_010),
        "north_in": destination(*centre, 0, 9_990),
        "corner_out": destination(*centre, 45, 10_500),  # inside the degree box, not the circle
    }
    for name, (lon, lat) in spots.items():
        assert (haversine_m(*centre, lon, lat) < 10_000) == name.endswith("_in")
    rows = [depot(tc.county_a, lon, lat, name=name) for name, (lon, lat) in spots.items()]
    await service.create_depots(session=session, principal=None, rows=rows)
    found = await service.list_depots(
        session=session, principal=ADMIN, near=(*centre, 10.0), limit=50
    )
    assert sorted(d.name for d in found) == ["east_in", "north_in"]


async def test_filters(session: AsyncSession, tc: TwoCounties) -> None:
    org = await make_org(session, tc.county_a)
    rows = [
        depot(tc.county_a, 99.7, 25.5, name="a"),
        depot(tc.township_a, 99.8, 25.5, name="b", kind="shelter", capacity_people=10),
        depot(tc.township_a, 99.9, 25.5, name="c", owner_org_id=org.id),
        depot(tc.county_b, 100.6, 25.3, name="d", kind="assembly_point", capacity_people=50),
    ]
    await service.create_depots(session=session, principal=None, rows=rows)

    async def names(**kw: Any) -> list[str]:
        found = await service.list_depots(session=session, principal=ADMIN, limit=50, **kw)
        return [d.name for d in found]

    assert await names() == ["a", "b", "c", "d"]
    assert await names(area_code=tc.township_a.code) == ["b", "c"]
    assert await names(kinds=["shelter", "assembly_point"]) == ["b", "d"]
    assert await names(owner_org_id=org.id) == ["c"]
    assert await names(bbox=(99.75, 25.0, 100.0, 26.0)) == ["b", "c"]
    first = await service.list_depots(session=session, principal=ADMIN, limit=2)
    assert await names(after=first[-1].id) == ["c", "d"]
    with pytest.raises(Invalid) as info:
        await service.list_depots(
            session=session,
            principal=principal(Role.coordinator, tc.county_a),
            area_code=tc.county_b.code,
            limit=5,
        )
    assert locs(info.value) == [("query", "area")]
