"""Household services on both engines: point-in-polygon placement, the set-based batch,
duplicate codes, the write matrix, moves and deletes."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.personal import may_read_personal
from core.auth.roles import Principal, Role
from core.errors import Conflict, Forbidden, Invalid
from core.events.models import OutboxEvent
from core.registry.households import service
from core.registry.households.access import personal_clause
from core.registry.households.models import Household, Person, PersonTag
from core.registry.households.schemas import HouseholdCreate, HouseholdUpdate
from tests.core.registry.households_world import (
    HouseholdWorld,
    build_world,
    count,
    household,
    member,
    principal,
)

ADMIN = principal(Role.admin, None)


@pytest.fixture
async def world(session: AsyncSession) -> HouseholdWorld:
    return await build_world(session)


def hc(lon: float, lat: float, **kw: Any) -> HouseholdCreate:
    return HouseholdCreate.model_validate(household(lon, lat, **kw))


async def create(session: AsyncSession, *rows: HouseholdCreate, who: Principal = ADMIN) -> list:
    return await service.create_households(session=session, principal=who, rows=list(rows))


async def load(session: AsyncSession, ids: list[uuid.UUID]) -> list[Household]:
    return [await session.get(Household, i) for i in ids]  # type: ignore[misc]


def locs(exc: pytest.ExceptionInfo) -> list[tuple]:
    return [e.loc for e in exc.value.errors]


async def test_point_in_polygon_picks_the_smallest_covering_community(session, world) -> None:
    ids = await create(session, hc(99.93, 25.63), hc(99.97, 25.65), hc(99.91, 25.61))
    inner, east, west = await load(session, ids)
    assert inner.community_id == world.c2.id and inner.area_path == world.c2.area_path
    assert inner.grid_id is None  # C2 has no grids
    assert (east.community_id, east.grid_id) == (world.c1.id, world.g2.id)
    assert (west.community_id, west.grid_id) == (world.c1.id, world.g1.id)
    assert east.area_path == world.c1.area_path


async def test_points_on_edges_are_inside_and_ties_go_by_code(session, world) -> None:
    ids = await create(session, hc(99.95, 25.65), hc(99.90, 25.65), hc(100.0, 25.70))
    shared_edge, west_edge, corner = await load(session, ids)
    assert (shared_edge.community_id, shared_edge.grid_id) == (world.c1.id, world.g1.id)
    assert (west_edge.community_id, west_edge.grid_id) == (world.c1.id, world.g1.id)
    assert (corner.community_id, corner.grid_id) == (world.c1.id, world.g2.id)


async def test_named_community_with_boundary_rejects_a_point_outside(session, world) -> None:
    before = await count(session, Household)
    with pytest.raises(Invalid) as exc:
        await create(session, hc(99.93, 25.63), hc(100.1, 25.65, community_code=world.c1.code))
    assert locs(exc) == [("rows", 1, "lon")]
    assert world.c1.code in exc.value.errors[0].msg and "outside" in exc.value.errors[0].msg
    assert await count(session, Household) == before


async def test_named_community_without_boundary_accepts_the_point(session, world) -> None:
    (hid,) = await create(session, hc(100.15, 25.85, community_code=world.c3.code))
    (row,) = await load(session, [hid])
    assert (row.community_id, row.grid_id, row.area_path) == (world.c3.id, None, world.c3.area_path)
    (inside_c1,) = await create(session, hc(99.91, 25.61, community_code=world.c3.code))
    assert (await load(session, [inside_c1]))[0].community_id == world.c3.id  # named wins


async def test_no_covering_community_asks_for_one(session, world) -> None:
    with pytest.raises(Invalid) as exc:
        await create(session, hc(100.15, 25.85))
    assert locs(exc) == [("rows", 0, "community_code")]
    assert "name the community" in exc.value.errors[0].msg


async def test_communities_outside_scope_are_unknown(session, world) -> None:
    coord_a = principal(Role.coordinator, world.tc.county_a)
    with pytest.raises(Invalid) as exc:
        await create(
            session,
            hc(100.65, 25.35, community_code=world.c4.code),
            hc(100.65, 25.35),
            hc(99.93, 25.63, community_code=world.tc.township_a.code),
            hc(99.93, 25.63, community_code="532922100999"),
            who=coord_a,
        )
    assert locs(exc) == [("rows", i, "community_code") for i in range(4)]
    msgs = [e.msg for e in exc.value.errors]
    assert msgs[0] == f"no community with code {world.c4.code}"
    assert "name the community" in msgs[1]
    assert "township" in msgs[2]
    assert msgs[3] == "no community with code 532922100999"


async def test_grids_given_and_derived(session, world) -> None:
    (hid,) = await create(session, hc(99.91, 25.61, grid_code="03"))
    assert (await load(session, [hid]))[0].grid_id == world.g3.id  # a grid without boundary
    with pytest.raises(Invalid) as exc:
        await create(
            session,
            hc(99.91, 25.61, grid_code="02"),
            hc(99.91, 25.61, grid_code="99"),
            hc(100.15, 25.85, community_code=world.c3.code, grid_code="01"),
        )
    assert locs(exc) == [("rows", 0, "lon"), ("rows", 1, "grid_code"), ("rows", 2, "grid_code")]
    assert "grid 02" in exc.value.errors[0].msg


async def test_duplicate_codes_conflict_and_write_nothing(session, world) -> None:
    await create(session, hc(99.91, 25.61, code="YB-001"))
    before = (await count(session, Household), await count(session, Person))
    with pytest.raises(Conflict) as exc:
        await create(session, hc(99.91, 25.61, code="YB-002"), hc(99.91, 25.61, code="YB-001"))
    assert locs(exc) == [("rows", 1, "code")] and "already exists" in exc.value.errors[0].msg
    with pytest.raises(Conflict) as exc:
        await create(session, hc(99.91, 25.61, code="YB-003"), hc(99.91, 25.61, code="YB-003"))
    assert locs(exc) == [("rows", 1, "code")]
    with pytest.raises(Invalid) as exc:  # a bad point and a duplicate: 422 lists both
        await create(session, hc(100.15, 25.85), hc(99.91, 25.61, code="YB-001"))
    assert set(locs(exc)) == {("rows", 0, "community_code"), ("rows", 1, "code")}
    assert (await count(session, Household), await count(session, Person)) == before


async def test_batch_is_set_based_with_contacts_tags_and_events(session, world) -> None:
    """Rows with and without a phone, interleaved, still share their INSERTs."""
    rows = [
        hc(99.901 + (i % 90) * 0.001, 25.61 + (i // 90) * 0.01, code=f"B-{i:04d}",
           phone=f"0872{i:07d}" if i % 3 == 0 else None,
           members=[member("户主", birth_year=1940, tags=["aged_80_plus", "living_alone"],
                           languages=["cmn", "iii"]),
                    member("子女", birth_year=1985, phone=f"138{i:08d}" if i % 2 else None),
                    member("孙", birth_year=2015)],
           contact_index=1)
        for i in range(270)
    ]  # fmt: skip
    statements: list[str] = []
    sync_engine = session.bind.sync_engine

    def spy(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(sync_engine, "before_cursor_execute", spy)
    try:
        ids = await create(session, *rows)
    finally:
        event.remove(sync_engine, "before_cursor_execute", spy)
    assert len(ids) == 270 and len(statements) < 40, len(statements)
    assert await count(session, Person) == 810 and await count(session, PersonTag) == 540
    phones = dict((await session.execute(select(Household.code, Household.phone))).all())
    assert phones["B-0003"] == "08720000003" and phones["B-0001"] is None
    assert sum(p is not None for p in phones.values()) == 90
    child = dict((await session.execute(
        select(Household.code, Person.phone).join(Person, Person.household_id == Household.id)
        .where(Person.name == "子女"))).all())  # fmt: skip
    assert child["B-0001"] == "13800000001" and child["B-0002"] is None
    assert sum(p is not None for p in child.values()) == 135
    pairs = (await session.execute(select(Household, Person).join(
        Person, Person.id == Household.contact_person_id))).all()  # fmt: skip
    assert len(pairs) == 270
    assert all(p.household_id == h.id and p.name == "子女" for h, p in pairs)
    assert all(p.area_path == h.area_path for h, p in pairs)
    events = (await session.scalars(select(OutboxEvent))).all()
    created = [e for e in events if e.type == "household.created"]
    assert len(created) == 270 and created[0].payload["member_count"] == 3
    assert "address" not in created[0].payload and "lon" not in created[0].payload


async def test_who_may_create(session, world) -> None:
    tc = world.tc
    coord_b = principal(Role.coordinator, tc.county_b)
    grid_01 = principal(Role.grid_worker, world.c1, grids=frozenset({world.g1.id}))
    assert await create(session, hc(99.91, 25.61), who=principal(Role.coordinator, world.c1))
    assert await create(session, hc(99.91, 25.61), who=grid_01)
    with pytest.raises(Invalid) as exc:
        await create(session, hc(99.97, 25.61), who=grid_01)
    assert locs(exc) == [("rows", 0, "grid_code")]
    with pytest.raises(Invalid) as exc:
        await create(session, hc(99.91, 25.61, community_code=world.c1.code), who=coord_b)
    assert locs(exc) == [("rows", 0, "community_code")]
    for role in (Role.household_contact, Role.volunteer, Role.auditor):
        with pytest.raises(Forbidden):
            await create(session, hc(99.91, 25.61), who=principal(role, tc.county_a))


async def test_personal_clause_is_may_read_personal(session, world) -> None:
    ids = await create(
        session, hc(99.91, 25.61), hc(99.97, 25.61), hc(99.93, 25.63), hc(100.65, 25.35)
    )
    rows = await load(session, ids)
    tc = world.tc
    who = [
        ADMIN,
        principal(Role.coordinator, tc.county_a),
        principal(Role.coordinator, world.c2),
        principal(Role.grid_worker, world.c1, grids=frozenset({world.g1.id})),
        principal(Role.auditor, tc.prefecture),
        principal(Role.auditor, tc.prefecture, can_read_personal=True),
        principal(Role.household_contact, world.c1, household_id=ids[1]),
        principal(Role.volunteer, tc.county_a),
    ]
    for p in who:
        clause = personal_clause(
            p, area_path=Household.area_path, grid_id=Household.grid_id, household_id=Household.id
        )
        in_sql = set(await session.scalars(select(Household.id).where(clause)))
        in_python = {
            h.id for h in rows
            if may_read_personal(p, area_path=h.area_path, grid_id=h.grid_id, household_id=h.id)
        }  # fmt: skip
        assert in_sql == in_python, p.role


async def test_move_keeps_or_changes_community(session, world) -> None:
    (hid,) = await create(session, hc(99.91, 25.61, members=[member("甲"), member("乙")]))

    async def move(who: Principal = ADMIN, **changes: Any) -> Household:
        data = HouseholdUpdate.model_validate(changes)
        return await service.update_household(
            session=session, principal=who, household_id=hid, data=data
        )

    row = await move(lon=99.97, lat=25.61)
    assert (row.community_id, row.grid_id) == (world.c1.id, world.g2.id)
    with pytest.raises(Invalid) as exc:
        await move(lon=100.15, lat=25.85)
    assert locs(exc) == [("body", "lon")] and world.c1.code in exc.value.errors[0].msg
    with pytest.raises(Invalid) as exc:
        await move(lon=100.15, lat=25.85, community_code=None)
    assert locs(exc) == [("body", "community_code")]
    with pytest.raises(Invalid) as exc:
        await move(lon=100.15)
    assert locs(exc) == [("body", "lat")]
    row = await move(lon=100.15, lat=25.85, community_code=world.c3.code)
    assert (row.community_id, row.grid_id, row.area_path) == (world.c3.id, None, world.c3.area_path)
    paths = set(await session.scalars(select(Person.area_path).where(Person.household_id == hid)))
    assert paths == {world.c3.area_path}


async def test_grid_worker_keeps_households_in_their_grids(session, world) -> None:
    (hid,) = await create(session, hc(99.91, 25.61))
    (other,) = await create(session, hc(99.97, 25.61))
    grid_01 = principal(Role.grid_worker, world.c1, grids=frozenset({world.g1.id}))
    moved = HouseholdUpdate(lon=99.97, lat=25.62)
    with pytest.raises(Invalid) as exc:
        await service.update_household(
            session=session, principal=grid_01, household_id=hid, data=moved
        )
    assert locs(exc) == [("body", "grid_code")]
    with pytest.raises(Forbidden):
        await service.update_household(
            session=session,
            principal=grid_01,
            household_id=other,
            data=HouseholdUpdate(phone="1234"),
        )
    with pytest.raises(Forbidden):
        await service.delete_household(session=session, principal=grid_01, household_id=other)
    await service.delete_household(session=session, principal=grid_01, household_id=hid)


async def test_delete_removes_members_and_tags(session, world) -> None:
    (hid,) = await create(
        session, hc(99.91, 25.61, members=[member("甲", tags=["disabled"])], contact_index=0)
    )
    await service.delete_household(session=session, principal=ADMIN, household_id=hid)
    assert await count(session, Household) == 0
    assert await count(session, Person) == 0 and await count(session, PersonTag) == 0
    types = list(await session.scalars(select(OutboxEvent.type).order_by(OutboxEvent.seq)))
    assert types[-1] == "household.deleted"
