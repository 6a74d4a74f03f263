"""A small world for plan tests: 漾濞 (county A) with two communities, depots and a grid.

==================  =============================  ====================================
area                code                           depots
==================  =============================  ====================================
county A 漾濞        532922000000                   县避难场所 (shelter)
township A 苍山西镇  532922100000                   镇中心学校避难场所 (shelter)
community 城中社区   532922100001 (grid 01)         城中社区集合点 (assembly_point),
                                                   城中社区仓库 (warehouse)
community 白章村     532922100002                   —
county B 祥云        532923000000                   祥云避难场所 (shelter)
==================  =============================  ====================================
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import Role
from core.registry.areas.models import Area, AreaLevel
from core.registry.depots.schemas import DepotCreate
from core.registry.depots.service import create_depots
from core.registry.items.catalogue import sync_catalogue
from tests.conftest import bearer_for
from tests.factories import TwoCounties, make_area, make_grid, two_counties

API = "/api/v1"


@dataclass
class PlanWorld:
    tc: TwoCounties
    seat: Area
    village: Area
    depots: dict[str, uuid.UUID]
    h: dict[str, dict[str, str]]


async def make_world(session: AsyncSession) -> PlanWorld:
    """The world above, the item catalogue synced, nothing committed."""
    tc = await two_counties(session)
    await sync_catalogue(session=session)
    seat = await make_area(
        session, code="532922100001", name="城中社区", level=AreaLevel.community,
        parent=tc.township_a,
    )  # fmt: skip
    village = await make_area(
        session, code="532922100002", name="白章村", level=AreaLevel.community,
        parent=tc.township_a,
    )  # fmt: skip
    await make_grid(session, community=seat, code="01", name="第一网格")
    specs = [
        ("county_shelter", "漾濞县避难场所", "shelter", tc.county_a.code, 99.95, 25.66),
        ("town_shelter", "镇中心学校避难场所", "shelter", tc.township_a.code, 99.95, 25.66),
        ("seat_assembly", "城中社区集合点", "assembly_point", seat.code, 99.95, 25.67),
        ("seat_warehouse", "城中社区仓库", "warehouse", seat.code, 99.95, 25.67),
        ("b_shelter", "祥云避难场所", "shelter", tc.county_b.code, 100.7, 25.5),
    ]
    rows = [
        DepotCreate(
            name=n, kind=k, area_code=c, lon=x, lat=y,
            capacity_people=300 if k in ("shelter", "assembly_point") else None,
        )
        for _, n, k, c, x, y in specs
    ]  # fmt: skip
    ids = await create_depots(session=session, principal=None, rows=rows)
    depots = {spec[0]: i for spec, i in zip(specs, ids, strict=True)}
    h = {
        "admin": await bearer_for(session, role=Role.admin, area_code=None, username="p-admin"),
        "coord_a": await bearer_for(
            session, role=Role.coordinator, area_code=tc.county_a.code, username="p-coord-a"
        ),
        "coord_seat": await bearer_for(
            session, role=Role.coordinator, area_code=seat.code, username="p-coord-seat"
        ),
        "coord_b": await bearer_for(
            session, role=Role.coordinator, area_code=tc.county_b.code, username="p-coord-b"
        ),
        "vol_a": await bearer_for(
            session, role=Role.volunteer, area_code=tc.county_a.code, username="p-vol-a"
        ),
    }
    return PlanWorld(tc, seat, village, depots, h)


async def count(session: AsyncSession, model: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)
