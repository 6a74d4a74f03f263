"""Small factories writing rows straight through the models (for tests of other domains)."""

from __future__ import annotations

from dataclasses import dataclass

from shapely.geometry import MultiPolygon, box
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.registry.areas.models import Area, AreaLevel, Grid


async def make_area(
    session: AsyncSession,
    *,
    code: str,
    name: str,
    level: AreaLevel,
    parent: Area | None = None,
    boundary: MultiPolygon | None = None,
) -> Area:
    now = clock.now()
    area = Area(
        code=code,
        name=name,
        level=int(level),
        parent_id=parent.id if parent else None,
        area_path=(parent.area_path if parent else "") + code + "/",
        created_at=now,
        updated_at=now,
    )
    area.set_boundary(boundary)
    session.add(area)
    await session.flush()
    return area


@dataclass
class TwoCounties:
    """Yunnan → 大理州 → 漾濞县 (A) and 祥云县 (B), each with a township."""

    province: Area
    prefecture: Area
    county_a: Area
    county_b: Area
    township_a: Area
    township_b: Area


async def two_counties(session: AsyncSession) -> TwoCounties:
    province = await make_area(
        session, code="530000000000", name="云南省", level=AreaLevel.province
    )
    prefecture = await make_area(
        session,
        code="532900000000",
        name="大理白族自治州",
        level=AreaLevel.prefecture,
        parent=province,
    )
    county_a = await make_area(
        session,
        code="532922000000",
        name="漾濞彝族自治县",
        level=AreaLevel.county,
        parent=prefecture,
        boundary=MultiPolygon([box(99.6, 25.4, 100.2, 25.9)]),
    )
    county_b = await make_area(
        session,
        code="532923000000",
        name="祥云县",
        level=AreaLevel.county,
        parent=prefecture,
        boundary=MultiPolygon([box(100.5, 25.2, 101.0, 25.8)]),
    )
    township_a = await make_area(
        session, code="532922100000", name="苍山西镇", level=AreaLevel.township, parent=county_a
    )
    township_b = await make_area(
        session, code="532923100000", name="祥城镇", level=AreaLevel.township, parent=county_b
    )
    return TwoCounties(province, prefecture, county_a, county_b, township_a, township_b)


async def make_grid(
    session: AsyncSession,
    *,
    community: Area,
    code: str,
    name: str = "网格",
    boundary: MultiPolygon | None = None,
) -> Grid:
    """A grid (网格) inside ``community`` (a level-5 area), written straight through the model."""
    now = clock.now()
    grid = Grid(
        community_id=community.id,
        code=code,
        name=name,
        area_path=community.area_path,
        created_at=now,
        updated_at=now,
    )
    grid.set_boundary(boundary)
    session.add(grid)
    await session.flush()
    return grid
