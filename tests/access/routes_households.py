"""Households and persons in the access matrix (issue "Households and persons")."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import SYSTEM
from core.registry.areas.models import Area
from core.registry.households.create import create_households
from core.registry.households.models import Person
from core.registry.households.schemas import HouseholdCreate, PersonCreate
from tests.access.matrix import ItemRoute, ListRoute, _community, factory


async def _household(session: AsyncSession, county: Area) -> uuid.UUID:
    """A household of two in a fresh community (no boundary) of ``county``."""
    community = await _community(session, county)
    lon, lat = (county.min_lon or 100.0) + 0.1, (county.min_lat or 25.0) + 0.1
    data = HouseholdCreate(
        address="矩阵路 1 号",
        lon=lon,
        lat=lat,
        community_code=community.code,
        members=[PersonCreate(name="矩阵甲", tags=["aged_80_plus"]), PersonCreate(name="矩阵乙")],
        contact_index=0,
    )
    (household_id,) = await create_households(session=session, principal=SYSTEM, rows=[data])
    return household_id


@factory("household")
async def _household_id(session: AsyncSession, county: Area) -> uuid.UUID:
    return await _household(session, county)


@factory("person")
async def _person_id(session: AsyncSession, county: Area) -> uuid.UUID:
    household_id = await _household(session, county)
    stmt = select(Person.id).where(Person.household_id == household_id).order_by(Person.id)
    return (await session.scalars(stmt)).first()  # type: ignore[return-value]


ITEM_ROUTES = [
    ItemRoute("GET", "/api/v1/households/{id}", "household"),
    ItemRoute("PATCH", "/api/v1/households/{id}", "household", body={"phone": "0872-1234567"}),
    ItemRoute("DELETE", "/api/v1/households/{id}", "household"),
    ItemRoute("POST", "/api/v1/households/{id}/persons", "household", body={"name": "新成员"}),
    ItemRoute("GET", "/api/v1/persons/{id}", "person"),
    ItemRoute("PATCH", "/api/v1/persons/{id}", "person", body={"phone": "13800000000"}),
    ItemRoute("DELETE", "/api/v1/persons/{id}", "person"),
]

LIST_ROUTES = [
    ListRoute("/api/v1/households", "household"),
    ListRoute("/api/v1/persons", "person"),
]
