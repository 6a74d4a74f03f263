"""Volunteer routes in the access matrix, and volunteer factories for tests.

Create routes scoped by a body field (POST /volunteers, POST /volunteers/import) and the
caller's own profile (GET/PATCH /volunteers/me) are listed in NOT_SCOPED of
tests/access/test_access_matrix.py.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.auth import service as auth_service
from core.auth.roles import Principal, Role
from core.registry.areas.models import Area, AreaLevel
from core.registry.households.models import Household, Person
from core.registry.volunteers.batch import create_volunteers
from core.registry.volunteers.models import Volunteer, VolunteerCertification
from core.registry.volunteers.schemas import VolunteerCreate
from tests.access.matrix import ItemRoute, ListRoute, factory
from tests.factories import make_area

_serial = itertools.count()


def home_point(area: Area) -> tuple[float, float]:
    """A point inside ``area``'s boundary (its centre), or a point of Yunnan without one."""
    if area.boundary is None:
        return (99.95, 25.65)
    centre = area.boundary.representative_point()
    return (round(centre.x, 6), round(centre.y, 6))


def volunteer_row(area: Area, **kw: Any) -> VolunteerCreate:
    """A valid create payload for a volunteer living in ``area``."""
    lon, lat = home_point(area)
    data: dict[str, Any] = {"name": f"志愿者{next(_serial)}", "area_code": area.code}
    data |= {"lon": lon, "lat": lat, **kw}
    return VolunteerCreate.model_validate(data)


async def make_volunteer(session: AsyncSession, area: Area, **kw: Any) -> uuid.UUID:
    """One volunteer through the batch service, as the system."""
    (new_id,) = await create_volunteers(
        session=session, principal=None, rows=[volunteer_row(area, **kw)]
    )
    return new_id


async def make_community(session: AsyncSession, township: Area, suffix: str = "001") -> Area:
    return await make_area(
        session,
        code=township.code[:9] + suffix,
        name="测试社区",
        level=AreaLevel.community,
        parent=township,
    )


async def make_person(session: AsyncSession, community: Area, name: str = "张三") -> Person:
    """A household of one person in ``community`` (written through the models)."""
    now = clock.now()
    lon, lat = home_point(community)
    household = Household(
        address="测试路1号",
        community_id=community.id,
        area_path=community.area_path,
        lon=lon,
        lat=lat,
        created_at=now,
        updated_at=now,
    )
    session.add(household)
    await session.flush()
    person = Person(
        household_id=household.id,
        area_path=community.area_path,
        name=name,
        languages=["cmn"],
        created_at=now,
        updated_at=now,
    )
    session.add(person)
    await session.flush()
    return person


async def principal_for(
    session: AsyncSession, *, role: Role, area: Area | None, username: str, **kw: Any
) -> Principal:
    """A real user of ``role`` and the principal of a fresh token."""
    user = await auth_service.create_user(
        session=session,
        username=username,
        display_name=username,
        role=role,
        area_code=area.code if area else None,
        **kw,
    )
    issued = await auth_service.issue_token(session=session, user=user, ttl=timedelta(hours=1))
    return await auth_service.authenticate(session=session, token=issued.token)


@factory("volunteer")
async def _volunteer(session: AsyncSession, county: Area) -> uuid.UUID:
    return await make_volunteer(session, county, skills=["first_aid"], languages=["cmn"])


@factory("volunteer_cert")
async def _volunteer_cert(session: AsyncSession, county: Area) -> uuid.UUID:
    """A volunteer and a certification sharing one id: the matrix puts the same id in
    every placeholder of /volunteers/{id}/certifications/{cert_id}."""
    shared = uuid.uuid4()
    now = clock.now()
    lon, lat = home_point(county)
    session.add(
        Volunteer(
            id=shared,
            name="证书志愿者",
            area_id=county.id,
            area_path=county.area_path,
            lon=lon,
            lat=lat,
            availability={"always": True},
            max_travel_km=10.0,
            max_active_tasks=1,
            status="active",
            hours_served=0.0,
            created_at=now,
            updated_at=now,
        )
    )
    await session.flush()
    session.add(VolunteerCertification(id=shared, volunteer_id=shared, kind="nurse_license"))
    await session.flush()
    return shared


ITEM_ROUTES = [
    ItemRoute("GET", "/api/v1/volunteers/{id}", "volunteer"),
    ItemRoute("PATCH", "/api/v1/volunteers/{id}", "volunteer", body={"hours_served": 12.5}),
    ItemRoute("DELETE", "/api/v1/volunteers/{id}", "volunteer"),
    ItemRoute(
        "POST",
        "/api/v1/volunteers/{id}/certifications",
        "volunteer",
        body={"kind": "first_aid_certificate", "expires_on": "2030-01-01"},
    ),
    ItemRoute("DELETE", "/api/v1/volunteers/{id}/certifications/{cert_id}", "volunteer_cert"),
]

LIST_ROUTES = [
    ListRoute("/api/v1/volunteers", "volunteer"),
    ListRoute("/api/v1/volunteers", "volunteer", params={"skill": "first_aid", "language": "cmn"}),
]
