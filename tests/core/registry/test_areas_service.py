"""Area and grid services on both engines: levels, parents, shapes, scope, events, import."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import Principal, Role
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.events.models import OutboxEvent, OutboxStream
from core.ids import uuid7
from core.registry.areas import service
from core.registry.areas.models import Area, AreaLevel, Grid
from core.registry.areas.schemas import (
    AreaCreate,
    AreaImportRow,
    AreaUpdate,
    GridCreate,
    GridUpdate,
)
from tests.factories import TwoCounties, two_counties

BOW_TIE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}


def square(lon: float, lat: float, d: float = 0.01) -> dict[str, Any]:
    """A small square polygon (lon/lat degrees, EPSG:4326) with a clockwise ring."""
    ring = [[lon, lat], [lon, lat + d], [lon + d, lat + d], [lon + d, lat], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def principal(role: Role, scope: Area | None = None) -> Principal:
    return Principal(
        user_id=uuid7(),
        token_id=uuid7(),
        role=role,
        scope_path=scope.area_path if scope is not None else None,
    )


ADMIN = principal(Role.admin)


async def count(session: AsyncSession, model: Any = Area) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def events(session: AsyncSession, type_: str) -> list[OutboxEvent]:
    stmt = select(OutboxEvent).where(OutboxEvent.type == type_).order_by(OutboxEvent.seq)
    return list((await session.scalars(stmt)).all())


@pytest.fixture
async def tc(session: AsyncSession) -> TwoCounties:
    return await two_counties(session)


def new(code: str, level: AreaLevel, parent: str | None, **kw: Any) -> AreaCreate:
    return AreaCreate(code=code, name=f"area {code}", level=level, parent_code=parent, **kw)


async def test_create_every_level_with_paths_and_events(session: AsyncSession) -> None:
    chain = [
        ("530000000000", AreaLevel.province, None),
        ("532900000000", AreaLevel.prefecture, "530000000000"),
        ("532922000000", AreaLevel.county, "532900000000"),
        ("532922100000", AreaLevel.township, "532922000000"),
        ("532922100001", AreaLevel.community, "532922100000"),
    ]
    parent = None
    for code, level, parent_code in chain:
        area = await service.create_area(
            session=session, principal=ADMIN, data=new(code, level, parent_code)
        )
        assert area.level == level
        assert area.parent_id == (parent.id if parent else None)
        assert area.area_path == (parent.area_path if parent else "") + code + "/"
        parent = area
    assert parent.area_path.count("/") == 5
    created = await events(session, "area.created")
    assert [e.payload["code"] for e in created] == [c for c, _, _ in chain]
    streams = await session.scalars(
        select(OutboxStream.stream).where(OutboxStream.seq == created[-1].seq)
    )
    assert list(streams) == [f"area:{parent.area_path}"]


async def test_boundary_stored_ccw_with_bbox(session: AsyncSession, tc: TwoCounties) -> None:
    area = await service.create_area(
        session=session,
        principal=ADMIN,
        data=new("532922100001", AreaLevel.community, "532922100000", boundary=square(99.9, 25.6)),
    )
    assert (area.min_lon, area.min_lat) == (99.9, 25.6)
    assert area.boundary.geoms[0].exterior.is_ccw


@pytest.mark.parametrize(
    ("code", "level", "parent", "needle"),
    [
        ("532922100001", AreaLevel.community, "532922000000", "county"),  # county, not township
        ("532922100001", AreaLevel.community, "532922999000", "no area"),  # unknown
        ("532924000000", AreaLevel.county, "530000000000", "province"),  # skips a level
    ],
)
async def test_bad_parent_is_422_on_parent_code(
    session: AsyncSession, tc: TwoCounties, code: str, level: AreaLevel, parent: str, needle: str
) -> None:
    before = await count(session)
    with pytest.raises(Invalid) as info:
        await service.create_area(session=session, principal=ADMIN, data=new(code, level, parent))
    assert info.value.errors[0].loc == ("body", "parent_code")
    assert needle in info.value.errors[0].msg
    assert await count(session) == before


@pytest.mark.parametrize(
    ("boundary", "needle"),
    [
        (BOW_TIE, "self-intersection"),
        (square(99.9, 91.0), "latitude"),
        (square(181.0, 25.0), "longitude"),
        ({"type": "Polygon", "coordinates": []}, "empty"),
        ({"type": "Point", "coordinates": [99.9, 25.6]}, "polygon"),
        ({"type": "Nonsense"}, "geojson"),
    ],
)
async def test_bad_boundary_is_422_with_reason(
    session: AsyncSession, tc: TwoCounties, boundary: dict[str, Any], needle: str
) -> None:
    before = await count(session)
    data = new("532922100001", AreaLevel.community, "532922100000", boundary=boundary)
    with pytest.raises(Invalid) as info:
        await service.create_area(session=session, principal=ADMIN, data=data)
    (error,) = info.value.errors
    assert error.loc == ("body", "boundary")
    assert needle in error.msg.lower()
    assert await count(session) == before
    assert await events(session, "area.created") == []


async def test_duplicate_code_is_409(session: AsyncSession, tc: TwoCounties) -> None:
    before = await count(session)
    with pytest.raises(Conflict) as info:
        await service.create_area(
            session=session,
            principal=ADMIN,
            data=new("532922100000", AreaLevel.township, "532922000000"),
        )
    assert "532922100000" in info.value.detail
    assert info.value.errors[0].loc == ("body", "code")
    assert await count(session) == before


async def test_schema_rules_for_code_and_parent() -> None:
    with pytest.raises(ValueError, match="code"):
        AreaCreate(code="5329", name="x", level=AreaLevel.county, parent_code="532900000000")
    with pytest.raises(ValueError, match="parent_code"):
        AreaCreate(code="532922000000", name="x", level=AreaLevel.county)
    with pytest.raises(ValueError, match="parent_code"):
        AreaCreate(code="530000000000", name="x", level=1, parent_code="530000000000")
    with pytest.raises(ValueError, match="level"):
        AreaCreate(code="530000000000", name="x", level=6)
    with pytest.raises(ValueError, match="code"):
        AreaUpdate.model_validate({"code": "530000000000"})


async def test_coordinator_writes_only_strictly_inside(
    session: AsyncSession, tc: TwoCounties
) -> None:
    coord = principal(Role.coordinator, tc.county_a)
    made = await service.create_area(
        session=session,
        principal=coord,
        data=new("532922101000", AreaLevel.township, "532922000000"),
    )
    assert made.area_path.startswith(tc.county_a.area_path)
    before = await count(session)
    with pytest.raises(Invalid) as info:  # B's county looks like an unknown parent
        await service.create_area(
            session=session,
            principal=coord,
            data=new("532923101000", AreaLevel.township, "532923000000"),
        )
    assert info.value.errors[0].loc == ("body", "parent_code")
    assert info.value.errors[0].msg == "no area with code 532923000000"
    with pytest.raises(Forbidden):
        await service.create_area(
            session=session, principal=coord, data=new("540000000000", AreaLevel.province, None)
        )
    with pytest.raises(Forbidden):  # their own root is read-only to them
        await service.update_area(
            session=session, principal=coord, area_id=tc.county_a.id, data=AreaUpdate(name="x")
        )
    with pytest.raises(NotFound):
        await service.update_area(
            session=session, principal=coord, area_id=tc.county_b.id, data=AreaUpdate(name="x")
        )
    with pytest.raises(NotFound):
        await service.delete_area(session=session, principal=coord, area_id=tc.township_b.id)
    assert await count(session) == before


async def test_other_roles_cannot_write(session: AsyncSession, tc: TwoCounties) -> None:
    for role in (Role.volunteer, Role.auditor, Role.grid_worker, Role.household_contact):
        who = principal(role, tc.county_a)
        with pytest.raises(Forbidden):
            await service.create_area(
                session=session,
                principal=who,
                data=new("532922101000", AreaLevel.township, "532922000000"),
            )
        with pytest.raises(Forbidden):
            await service.delete_area(session=session, principal=who, area_id=tc.township_a.id)
        area = await service.get_area(session=session, principal=who, area_id=tc.township_a.id)
        assert area.code == "532922100000"


async def test_reads_are_scoped(session: AsyncSession, tc: TwoCounties) -> None:
    coord = principal(Role.coordinator, tc.county_a)
    with pytest.raises(NotFound):
        await service.get_area(session=session, principal=coord, area_id=tc.county_b.id)
    with pytest.raises(NotFound):
        await service.get_area_by_code(session=session, principal=coord, code="532923000000")
    with pytest.raises(NotFound):
        await service.get_area(session=session, principal=coord, area_id=uuid.uuid4())
    rows = await service.list_areas(session=session, principal=coord, limit=100)
    assert [a.code for a in rows] == ["532922000000", "532922100000"]
    with pytest.raises(Invalid) as info:
        await service.list_areas(
            session=session, principal=coord, area_code="532923000000", limit=9
        )
    assert info.value.errors[0].loc == ("query", "area")


async def test_list_filters_and_keyset(session: AsyncSession, tc: TwoCounties) -> None:
    for i in range(1, 8):
        await service.create_area(
            session=session,
            principal=ADMIN,
            data=new(f"53292210000{i}", AreaLevel.community, "532922100000"),
        )
    rows = await service.list_areas(
        session=session, principal=ADMIN, area_code="532922000000", limit=100
    )
    assert len(rows) == 9 and rows[0].code == "532922000000"
    kids = await service.list_areas(
        session=session, principal=ADMIN, parent_code="532922100000", limit=100
    )
    assert [a.code for a in kids] == [f"53292210000{i}" for i in range(1, 8)]
    counties = await service.list_areas(session=session, principal=ADMIN, level=3, limit=100)
    assert [a.code for a in counties] == ["532922000000", "532923000000"]
    page = await service.list_areas(
        session=session, principal=ADMIN, parent_code="532922100000", after="532922100003", limit=2
    )
    assert [a.code for a in page] == ["532922100004", "532922100005"]
    hits = await service.list_areas(
        session=session, principal=ADMIN, bbox=(100.3, 25.0, 100.6, 25.5), limit=100
    )
    assert [a.code for a in hits] == ["532923000000"]


async def test_update_and_clear_boundary(session: AsyncSession, tc: TwoCounties) -> None:
    area = await service.update_area(
        session=session,
        principal=ADMIN,
        area_id=tc.township_a.id,
        data=AreaUpdate(name=" 苍山西镇 ", urban_rural="urban", boundary=square(99.9, 25.6)),
    )
    assert (area.name, area.urban_rural) == ("苍山西镇", "urban")
    assert area.max_lon == pytest.approx(99.91)
    with pytest.raises(Invalid) as info:
        await service.update_area(
            session=session,
            principal=ADMIN,
            area_id=tc.township_a.id,
            data=AreaUpdate(boundary=BOW_TIE),
        )
    assert info.value.errors[0].loc == ("body", "boundary")
    area = await service.update_area(
        session=session,
        principal=ADMIN,
        area_id=tc.township_a.id,
        data=AreaUpdate.model_validate({"boundary": None}),
    )
    assert area.boundary is None and area.min_lon is None and area.name == "苍山西镇"
    updated = await events(session, "area.updated")
    assert updated[0].payload["fields"] == ["boundary", "name", "urban_rural"]


async def test_delete_rules(session: AsyncSession, tc: TwoCounties) -> None:
    with pytest.raises(Conflict, match="1 children"):
        await service.delete_area(session=session, principal=ADMIN, area_id=tc.county_a.id)
    community = await service.create_area(
        session=session,
        principal=ADMIN,
        data=new("532922100001", AreaLevel.community, "532922100000"),
    )
    await service.create_grid(
        session=session,
        principal=ADMIN,
        community_id=community.id,
        data=GridCreate(code="01", name="一"),
    )
    with pytest.raises(Conflict, match="1 grids"):
        await service.delete_area(session=session, principal=ADMIN, area_id=community.id)
    await service.delete_area(session=session, principal=ADMIN, area_id=tc.township_b.id)
    assert await session.get(Area, tc.township_b.id) is None
    (deleted,) = await events(session, "area.deleted")
    assert deleted.payload["code"] == "532923100000"


async def test_delete_area_with_users_is_409(session: AsyncSession, tc: TwoCounties) -> None:
    from core.auth import service as auth_service

    await auth_service.create_user(
        session=session,
        username="coord-b",
        display_name="B",
        role=Role.coordinator,
        area_code=tc.township_b.code,
    )
    with pytest.raises(Conflict, match="1 users"):
        await service.delete_area(session=session, principal=ADMIN, area_id=tc.township_b.id)


async def test_grid_rules(session: AsyncSession, tc: TwoCounties) -> None:
    c1 = await service.create_area(
        session=session,
        principal=ADMIN,
        data=new("532922100001", AreaLevel.community, "532922100000"),
    )
    c2 = await service.create_area(
        session=session,
        principal=ADMIN,
        data=new("532922100002", AreaLevel.community, "532922100000"),
    )
    coord = principal(Role.coordinator, tc.township_a)
    grid = await service.create_grid(
        session=session,
        principal=coord,
        community_id=c1.id,
        data=GridCreate(code="01", name="第一网格", boundary=square(99.95, 25.66)),
    )
    assert grid.area_path == c1.area_path and grid.boundary is not None
    with pytest.raises(Conflict) as info:
        await service.create_grid(
            session=session,
            principal=coord,
            community_id=c1.id,
            data=GridCreate(code="01", name="x"),
        )
    assert info.value.errors[0].loc == ("body", "code")
    other = await service.create_grid(
        session=session, principal=coord, community_id=c2.id, data=GridCreate(code="01", name="y")
    )
    with pytest.raises(Invalid) as info:
        await service.create_grid(
            session=session,
            principal=ADMIN,
            community_id=tc.township_a.id,
            data=GridCreate(code="09", name="z"),
        )
    assert info.value.errors[0].loc == ("path", "area_id")
    with pytest.raises(Invalid) as info:
        await service.create_grid(
            session=session,
            principal=ADMIN,
            community_id=c1.id,
            data=GridCreate(code="03", name="z", boundary=BOW_TIE),
        )
    assert info.value.errors[0].loc == ("body", "boundary")
    with pytest.raises(NotFound):
        await service.get_grid(
            session=session, principal=principal(Role.coordinator, tc.county_b), grid_id=grid.id
        )
    listed = await service.list_grids(session=session, principal=coord, limit=10)
    assert [(g.area_path, g.code) for g in listed] == [(c1.area_path, "01"), (c2.area_path, "01")]
    only = await service.list_grids(
        session=session, principal=coord, community_code="532922100002", limit=10
    )
    assert [g.id for g in only] == [other.id]
    after = await service.list_grids(
        session=session, principal=coord, after=(c1.area_path, "01"), limit=10
    )
    assert [g.id for g in after] == [other.id]
    grid = await service.update_grid(
        session=session,
        principal=coord,
        grid_id=grid.id,
        data=GridUpdate.model_validate({"name": "一网格", "boundary": None}),
    )
    assert grid.name == "一网格" and grid.boundary is None
    await service.delete_grid(session=session, principal=coord, grid_id=other.id)
    assert await count(session, Grid) == 1
    types = [e.type for e in await session.scalars(select(OutboxEvent).order_by(OutboxEvent.seq))]
    assert types[-3:] == ["grid.created", "grid.updated", "grid.deleted"]


# -- batch import ---------------------------------------------------------------------


def row(code: Any, level: Any, parent: Any = None, **kw: Any) -> AreaImportRow:
    return AreaImportRow(
        code=code, name=kw.pop("name", f"area {code}"), level=level, parent_code=parent, **kw
    )


async def test_import_parents_in_file_any_order(session: AsyncSession, tc: TwoCounties) -> None:
    rows = [
        row("532922101001", 5, "532922101000", urban_rural="urban"),
        row("532922101000", 4, "532922000000", geometry=square(99.9, 25.8)),
        row("532922100001", 5, "532922100000"),
    ]
    result = await service.import_areas(session=session, principal=ADMIN, rows=rows)
    assert result.created == 3
    assert result.codes == ["532922101000", "532922101001", "532922100001"]  # (level, row)
    child = await session.scalar(select(Area).where(Area.code == "532922101001"))
    assert child.area_path == tc.county_a.area_path + "532922101000/532922101001/"
    town = await session.scalar(select(Area).where(Area.code == "532922101000"))
    assert child.parent_id == town.id and town.max_lat == pytest.approx(25.81)
    assert town.boundary.geoms[0].exterior.is_ccw
    created = await events(session, "area.created")
    assert sorted(e.payload["code"] for e in created) == sorted(result.codes)


async def test_import_is_all_or_nothing_with_row_errors(
    session: AsyncSession, tc: TwoCounties
) -> None:
    before = await count(session)
    rows = [
        row("532922101000", 4, "532922000000"),  # fine
        row("532922101001", 5, "532922101000", geometry=BOW_TIE),
        row("5329", 4, "532922000000"),
        row("532922102000", 5, "532922000000"),  # wrong level
        row("532922100000", 4, "532922000000"),  # exists
        row("532922101000", 4, "532922000000"),  # duplicate in file
        row("532922103000", 4, "532999000000"),  # unknown parent
        row("532922104000", 9, "532922000000", urban_rural="city"),
    ]
    with pytest.raises(Invalid) as info:
        await service.import_areas(session=session, principal=ADMIN, rows=rows)
    locs = [e.loc for e in info.value.errors]
    assert ("rows", 1, "geometry") in locs
    assert ("rows", 2, "code") in locs
    assert ("rows", 3, "parent_code") in locs
    assert ("rows", 4, "code") in locs
    assert ("rows", 5, "code") in locs
    assert ("rows", 6, "parent_code") in locs
    assert ("rows", 7, "level") in locs and ("rows", 7, "urban_rural") in locs
    assert not any(loc[1] == 0 for loc in locs)
    assert [loc[1] for loc in locs] == sorted(loc[1] for loc in locs)
    assert "nothing was imported" in info.value.detail
    assert await count(session) == before
    assert await events(session, "area.created") == []


async def test_import_scope_for_coordinators(session: AsyncSession, tc: TwoCounties) -> None:
    coord = principal(Role.coordinator, tc.county_a)
    rows = [row("532922101000", 4, "532922000000"), row("532923101000", 4, "532923000000")]
    with pytest.raises(Invalid) as info:
        await service.import_areas(session=session, principal=coord, rows=rows)
    assert [e.loc for e in info.value.errors] == [("rows", 1, "parent_code")]
    with pytest.raises(Forbidden):
        await service.import_areas(
            session=session, principal=principal(Role.volunteer, tc.county_a), rows=rows
        )
    result = await service.import_areas(session=session, principal=coord, rows=rows[:1])
    assert result.codes == ["532922101000"]


async def test_import_empty_is_invalid(session: AsyncSession) -> None:
    with pytest.raises(Invalid) as info:
        await service.import_areas(session=session, principal=None, rows=[])
    assert info.value.errors[0].loc == ("rows",)


async def test_unique_violation_falls_back_to_409(
    session: AsyncSession, tc: TwoCounties, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def skip_check(*_: Any) -> None:
        return None

    monkeypatch.setattr(service, "_ensure_code_free", skip_check)  # as if a racing insert won
    with pytest.raises(Conflict) as info:
        await service.create_area(
            session=session,
            principal=ADMIN,
            data=new("532922100000", AreaLevel.township, "532922000000"),
        )
    assert info.value.errors[0].loc == ("body", "code")
    made = await service.create_area(  # the transaction is still usable
        session=session,
        principal=ADMIN,
        data=new("532922101000", AreaLevel.township, "532922000000"),
    )
    assert made.id is not None
    assert [e.payload["code"] for e in await events(session, "area.created")] == ["532922101000"]


async def test_import_reports_a_bad_parent_row_once(session: AsyncSession, tc: TwoCounties) -> None:
    rows = [
        row("532922101001", 5, "532922101000"),
        row("532922101000", 4, "532922000000", urban_rural="town"),
    ]
    with pytest.raises(Invalid) as info:
        await service.import_areas(session=session, principal=ADMIN, rows=rows)
    assert [e.loc for e in info.value.errors] == [("rows", 1, "urban_rural")]
