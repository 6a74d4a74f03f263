"""Committed data for socket tests against a running server, one community per test.

The server keeps running for a whole module, so tests never truncate; each test gets its
own community (and incident) under 苍山西镇 / 祥云县's township, so its volunteers can only
match its own needs. Points of community ``n`` lie in a 0.02° box at
``(99.70 + 0.03 n, 25.50)``; 0.001° ≈ 100 m.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import httpx
from shapely.geometry import MultiPolygon, box
from sqlalchemy import select, update

from core import clock
from core.auth import service as auth_service
from core.auth.models import User
from core.auth.roles import SYSTEM, Role
from core.db import Database
from core.registry.areas.models import Area, AreaLevel
from core.registry.depots.models import Depot
from core.registry.households.create import create_households
from core.registry.households.schemas import HouseholdCreate, PersonCreate
from core.registry.volunteers.models import Volunteer
from tests.core.incidents.match_world import stock, today_plus
from tests.core.incidents.needs_world import make_incident
from tests.core.stock.test_ledger import make_item
from tests.factories import TwoCounties, make_area, two_counties


@dataclass
class Place:
    """A community with an incident affecting it and a coordinator of its county."""

    community: Area
    incident: uuid.UUID
    point: tuple[float, float]
    coordinator: str  # bearer token
    county: Area
    coordinator_name: str


async def counties(db: Database) -> TwoCounties:
    """The province → prefecture → two counties → townships, once per module."""
    async with db.transaction() as s:
        return await two_counties(s)


async def token_for(
    db: Database,
    username: str,
    role: Role,
    area: Area | None,
    *,
    volunteer: uuid.UUID | None = None,
) -> str:
    async with db.transaction() as s:
        user = await auth_service.create_user(
            session=s, username=username, display_name=username, role=role,
            area_code=area.code if area else None,
        )  # fmt: skip
        if volunteer is not None:
            await s.execute(update(User).where(User.id == user.id).values(volunteer_id=volunteer))
            await s.execute(
                update(Volunteer).where(Volunteer.id == volunteer).values(user_id=user.id)
            )
        issued = await auth_service.issue_token(session=s, user=user, ttl=timedelta(hours=2))
    return issued.token


async def place(db: Database, tc: TwoCounties, n: int, *, county: str = "a") -> Place:
    township, county_area = (
        (tc.township_a, tc.county_a) if county == "a" else (tc.township_b, tc.county_b)
    )
    lon, lat = (99.70 + 0.03 * n, 25.50) if county == "a" else (100.55 + 0.03 * n, 25.30)
    async with db.transaction() as s:
        community = await make_area(
            s, code=township.code[:9] + f"{n:03d}", name=f"测试{n}村",
            level=AreaLevel.community, parent=township,
            boundary=MultiPolygon([box(lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01)]),
        )  # fmt: skip
        incident = await make_incident(s, [community], title=f"测试{n}")
    name = f"coord{n}{county}"
    coordinator = await token_for(db, name, Role.coordinator, county_area)
    return Place(community, incident, (lon, lat), coordinator, county_area, name)


async def volunteer(
    db: Database, p: Place, name: str, *, dlat: float = 0.0
) -> tuple[uuid.UUID, str]:
    """A free volunteer in ``p``'s community ``dlat`` degrees north of its point, with a
    volunteer user and token."""
    now = clock.now()
    async with db.transaction() as s:
        v = Volunteer(
            name=name, area_id=p.community.id, area_path=p.community.area_path,
            lon=p.point[0], lat=p.point[1] + dlat, availability={"always": True},
            max_travel_km=20.0, max_active_tasks=1, status="active",
            created_at=now, updated_at=now, insurance_valid_until=today_plus(365),
        )  # fmt: skip
        s.add(v)
        await s.flush()
        vid = v.id
    return vid, await token_for(db, name, Role.volunteer, p.community, volunteer=vid)


async def stocked_item(db: Database, p: Place, code: str, quantity: int = 50) -> str:
    """An item stocked at a depot 100 m east of ``p``'s point; its code."""
    now = clock.now()
    async with db.transaction() as s:
        item = await make_item(s, code)
        d = Depot(
            name=f"{code}库", kind="warehouse", area_id=p.community.id,
            area_path=p.community.area_path, lon=p.point[0] + 0.001, lat=p.point[1],
            address="", opening_hours={}, created_at=now, updated_at=now,
        )  # fmt: skip
        s.add(d)
        await s.flush()
        await stock(s, d.id, item, quantity)
    return code


async def household(db: Database, p: Place, members: dict[str, list[str]]) -> uuid.UUID:
    """A household at ``p``'s point with these members (name → vulnerability tags)."""
    data = HouseholdCreate(
        address=f"{p.community.name} 1 号", lon=p.point[0], lat=p.point[1],
        community_code=p.community.code, contact_index=0,
        members=[PersonCreate(name=n, tags=t) for n, t in members.items()],
    )  # fmt: skip
    async with db.transaction() as s:
        (hid,) = await create_households(session=s, principal=SYSTEM, rows=[data])
    return hid


def create_need(
    base: str, p: Place, *, kind: str = "visit", items: list[dict] | None = None,
    dlat: float = 0.0, household_id: uuid.UUID | None = None,
) -> str:  # fmt: skip
    """A need through the REST API of the server at ``base`` (as the county coordinator)."""
    body = {
        "kind": kind, "community_code": p.community.code,
        "lon": p.point[0], "lat": p.point[1] + dlat, "items": items or [],
    }  # fmt: skip
    if household_id is not None:
        body["household_id"] = str(household_id)
    r = httpx.post(
        f"{base}/api/v1/incidents/{p.incident}/needs",
        json=body,
        headers={"Authorization": f"Bearer {p.coordinator}"},
        timeout=10,
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def status_of(db: Database, model: type, row_id: uuid.UUID | str) -> str | None:
    async with db.reader() as s:
        return await s.scalar(select(model.status).where(model.id == uuid.UUID(str(row_id))))
