"""A small world for household and person tests: communities with and without boundaries.

County A (漾濞, 99.6–100.2 E, 25.4–25.9 N) holds township 苍山西镇 with

* C1 ``532922100001``: box 99.90–100.00 E, 25.60–25.70 N; grids ``01`` (west half)
  and ``02`` (east half), sharing the edge at 99.95 E; grid ``03`` has no boundary;
* C2 ``532922100002``: box 99.92–99.94 E, 25.62–25.64 N, inside C1 (the smaller wins);
* C3 ``532922100003``: no boundary.

County B (祥云) holds C4 ``532923100001``: box 100.60–100.70 E, 25.30–25.40 N.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from shapely.geometry import MultiPolygon, box
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth import service as auth_service
from core.auth.models import User
from core.auth.roles import Principal, Role
from core.registry.areas.models import Area, AreaLevel, Grid
from tests.conftest import bearer_for
from tests.factories import TwoCounties, make_area, make_grid, two_counties

API = "/api/v1"


@dataclass
class HouseholdWorld:
    tc: TwoCounties
    c1: Area
    c2: Area
    c3: Area
    c4: Area
    g1: Grid
    g2: Grid
    g3: Grid
    h: dict[str, dict[str, str]] = field(default_factory=dict)


async def build_world(session: AsyncSession) -> HouseholdWorld:
    tc = await two_counties(session)

    async def community(code: str, parent: Area, shape: Any = None) -> Area:
        boundary = MultiPolygon([shape]) if shape is not None else None
        return await make_area(
            session, code=code, name=f"社区{code[-3:]}", level=AreaLevel.community,
            parent=parent, boundary=boundary,
        )  # fmt: skip

    c1 = await community("532922100001", tc.township_a, box(99.90, 25.60, 100.00, 25.70))
    c2 = await community("532922100002", tc.township_a, box(99.92, 25.62, 99.94, 25.64))
    c3 = await community("532922100003", tc.township_a)
    c4 = await community("532923100001", tc.township_b, box(100.60, 25.30, 100.70, 25.40))
    g1 = await make_grid(
        session, community=c1, code="01", boundary=MultiPolygon([box(99.90, 25.60, 99.95, 25.70)])
    )
    g2 = await make_grid(
        session, community=c1, code="02", boundary=MultiPolygon([box(99.95, 25.60, 100.0, 25.70)])
    )
    g3 = await make_grid(session, community=c1, code="03")
    return HouseholdWorld(tc, c1, c2, c3, c4, g1, g2, g3)


async def add_headers(session: AsyncSession, world: HouseholdWorld) -> None:
    """Bearer headers for the roles the tests use (``world.h[name]``)."""
    a, b = world.tc.county_a.code, world.tc.county_b.code
    roles: list[tuple[str, Role, str | None, bool]] = [
        ("admin", Role.admin, None, False),
        ("coord_a", Role.coordinator, a, False),
        ("coord_b", Role.coordinator, b, False),
        ("coord_c1", Role.coordinator, world.c1.code, False),
        ("auditor_a", Role.auditor, a, False),
        ("auditor_granted", Role.auditor, a, True),
        ("vol_a", Role.volunteer, a, False),
    ]
    for name, role, code, grant in roles:
        world.h[name] = await bearer_for(
            session, role=role, area_code=code, username=name.replace("_", "-"),
            can_read_personal=grant,
        )  # fmt: skip
    world.h["grid_01"] = await grid_worker(session, world.c1.code, ["01"], "grid-01")


async def grid_worker(
    session: AsyncSession, community_code: str, grids: list[str], username: str
) -> dict[str, str]:
    user = await auth_service.create_user(
        session=session, username=username, display_name=username, role=Role.grid_worker,
        area_code=community_code, grid_codes=grids,
    )  # fmt: skip
    issued = await auth_service.issue_token(session=session, user=user, ttl=timedelta(hours=1))
    return {"Authorization": f"Bearer {issued.token}"}


async def contact_of(
    session: AsyncSession, household_id: uuid.UUID | str, area_code: str, username: str
) -> dict[str, str]:
    """Headers of a household contact user linked to ``household_id``."""
    headers = await bearer_for(
        session, role=Role.household_contact, area_code=area_code, username=username
    )
    await session.execute(
        update(User)
        .where(User.username == username)
        .values(household_id=uuid.UUID(str(household_id)))
    )
    return headers


def principal(
    role: Role,
    scope: Area | None,
    *,
    grids: frozenset[uuid.UUID] = frozenset(),
    household_id: uuid.UUID | None = None,
    can_read_personal: bool = False,
) -> Principal:
    """A principal for service tests (no user row: do not log reads with it)."""
    return Principal(
        user_id=uuid.uuid4(),
        token_id=uuid.uuid4(),
        role=role,
        scope_path=scope.area_path if scope is not None else None,
        grid_ids=grids,
        household_id=household_id,
        can_read_personal=can_read_personal,
    )


def member(name: str, **kw: Any) -> dict[str, Any]:
    return {"name": name, **kw}


def household(lon: float, lat: float, **kw: Any) -> dict[str, Any]:
    """A household body (JSON) at (lon, lat) with one member unless given."""
    return {"address": "苍山西镇 1 号", "lon": lon, "lat": lat, "members": [member("李四")], **kw}


async def count(session: AsyncSession, model: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)
