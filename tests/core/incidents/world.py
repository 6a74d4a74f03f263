"""A small world for incident tests: communities with and without boundaries in 漾濞 (county A).

=============  ============  ========================================  ===================
code           township      shape (lon/lat degrees)                   note
=============  ============  ========================================  ===================
532922100001   苍山西镇 (A)   box 99.90–99.92 × 25.60–25.62
532922100002   苍山西镇 (A)   box 99.92–99.94 × 25.60–25.62             shares an edge with 1
532922100003   苍山西镇 (A)   box 100.00–100.02 × 25.70–25.72
532922100004   苍山西镇 (A)   no boundary; households at HOUSEHOLDS
532922101001   平坡镇 (A2)    box 99.70–99.72 × 25.45–25.47
532923100001   祥城镇 (B)     box 100.60–100.62 × 25.30–25.32           county B
=============  ============  ========================================  ===================
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from typing import Any

from shapely.geometry import MultiPolygon, box, mapping
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.auth import service as auth_service
from core.auth.roles import Principal, Role
from core.events.models import OutboxEvent
from core.geo.distance import EARTH_RADIUS_M
from core.incidents.models import Incident, IncidentArea
from core.registry.areas.models import Area, AreaLevel
from core.registry.households.models import Household
from tests.factories import TwoCounties, make_area, two_counties

HOUSEHOLDS = [(99.95, 25.65), (99.96, 25.66)]


@dataclass
class World:
    tc: TwoCounties
    township_a2: Area
    c: dict[str, Area]  # by the last 4 digits: "0001" … "1001", "b001"


def shape_of(*bounds: float) -> MultiPolygon:
    return MultiPolygon([box(*bounds)])


def geojson(*bounds: float) -> dict[str, Any]:
    return dict(mapping(box(*bounds)))


async def make_households(
    session: AsyncSession, community: Area, points: list[tuple[float, float]]
) -> None:
    """Households at ``points`` (lon/lat degrees), inserted in one statement."""
    now = clock.now()
    rows = [
        {"id": uuid.uuid4(), "address": f"{community.name}{i}号", "community_id": community.id,
         "area_path": community.area_path, "lon": lon, "lat": lat,
         "created_at": now, "updated_at": now}
        for i, (lon, lat) in enumerate(points)
    ]  # fmt: skip
    await session.execute(insert(Household), rows)


async def build_world(session: AsyncSession) -> World:
    tc = await two_counties(session)
    a2 = await make_area(
        session, code="532922101000", name="平坡镇", level=AreaLevel.township, parent=tc.county_a
    )
    specs = [
        ("0001", tc.township_a, "一村", (99.90, 25.60, 99.92, 25.62)),
        ("0002", tc.township_a, "二村", (99.92, 25.60, 99.94, 25.62)),
        ("0003", tc.township_a, "三村", (100.00, 25.70, 100.02, 25.72)),
        ("0004", tc.township_a, "四村", None),
        ("1001", a2, "平坡村", (99.70, 25.45, 99.72, 25.47)),
        ("b001", tc.township_b, "祥城社区", (100.60, 25.30, 100.62, 25.32)),
    ]
    c: dict[str, Area] = {}
    for key, township, name, bounds in specs:
        code = township.code[:9] + ("001" if key == "b001" else key[1:])
        c[key] = await make_area(
            session,
            code=code,
            name=name,
            level=AreaLevel.community,
            parent=township,
            boundary=shape_of(*bounds) if bounds else None,
        )
    await make_households(session, c["0004"], HOUSEHOLDS)
    return World(tc, a2, c)


async def principal_for(
    session: AsyncSession, *, role: Role, area: Area | None, name: str
) -> Principal:
    """A real user (so ``declared_by`` can refer to it) and its principal."""
    user = await auth_service.create_user(
        session=session,
        username=f"inc-{name}",
        display_name=name,
        role=role,
        area_code=area.code if area else None,
    )
    return Principal(
        user_id=user.id,
        token_id=uuid.uuid4(),
        role=role,
        scope_path=area.area_path if area else None,
    )


def east(lon: float, lat: float, metres: float) -> tuple[float, float]:
    """The point ``metres`` due east along the parallel (close to great-circle for short hops)."""
    return lon + math.degrees(metres / (EARTH_RADIUS_M * math.cos(math.radians(lat)))), lat


async def counts(session: AsyncSession) -> tuple[int, int, int]:
    """(incidents, incident areas, outbox events): for "nothing written" checks."""
    out = []
    for model in (Incident, IncidentArea, OutboxEvent):
        out.append(int(await session.scalar(select(func.count()).select_from(model)) or 0))
    return out[0], out[1], out[2]
