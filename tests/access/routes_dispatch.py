"""Dispatch routes in the access matrix (issue: dispatch).

A coordinator in scope may act for a volunteer, so the coordinator of county A gets 2xx on
A's assignments and 404 on B's. The visit-report body names one fixed person
(:data:`VISITED`), moved into the household of the county made last (A), as
``routes_matching`` does with its depot.
"""

from __future__ import annotations

import uuid

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.auth.roles import SYSTEM
from core.incidents.match_models import Assignment, Task
from core.incidents.need_models import Need, NeedKind, NeedSource
from core.incidents.need_schemas import NeedCreate
from core.incidents.needs import create_needs
from core.registry.areas.models import Area
from core.registry.households.create import create_households
from core.registry.households.models import Household, Person
from core.registry.households.schemas import HouseholdCreate, PersonCreate
from core.registry.volunteers.models import Volunteer
from plans.chain import open_checkins
from plans.chain_models import HouseholdCheckin, PersonCheckin
from tests.access.matrix import ItemRoute, _community, factory
from tests.access.routes_needs import _need
from tests.plans.chain_world import make_incident

VISITED = uuid.UUID("00000000-0000-7000-8000-0000000d15e7")


async def _assignment(
    session: AsyncSession, county: Area, need_id: uuid.UUID, status: str
) -> uuid.UUID:
    need = (await session.execute(select(Need.incident_id, Need.area_path).where(
        Need.id == need_id))).one()  # fmt: skip
    now = clock.now()
    common = {"created_at": now, "updated_at": now, "is_drill": False}
    task, vol, aid = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await session.execute(insert(Task).values(
        id=task, need_id=need_id, incident_id=need.incident_id, area_path=need.area_path,
        status="assigned", **common))  # fmt: skip
    await session.execute(insert(Volunteer).values(
        id=vol, name="矩阵志愿者", area_id=county.id, area_path=county.area_path, lon=100.0,
        lat=25.5, availability={}, max_travel_km=10, max_active_tasks=1, status="active",
        hours_served=0, created_at=now, updated_at=now))  # fmt: skip
    deadline = now.replace(year=now.year + 1)
    await session.execute(insert(Assignment).values(
        id=aid, task_id=task, need_id=need_id, incident_id=need.incident_id, volunteer_id=vol,
        area_path=need.area_path, status=status, distance_m=1.0, eta_s=1.0, priority=30.0,
        reason={}, attempt=1, offer_deadline=deadline, **common))  # fmt: skip
    return aid


@factory("dispatch_offered")
async def _offered(session: AsyncSession, county: Area) -> uuid.UUID:
    return await _assignment(session, county, await _need(session, county), "offered")


@factory("dispatch_accepted")
async def _accepted(session: AsyncSession, county: Area) -> uuid.UUID:
    return await _assignment(session, county, await _need(session, county), "accepted")


@factory("dispatch_visit")
async def _visit(session: AsyncSession, county: Area) -> uuid.UUID:
    """An accepted visit to a household whose check-in holds :data:`VISITED`."""
    community = await _community(session, county)
    lon, lat = (county.min_lon or 100.0) + 0.1, (county.min_lat or 25.0) + 0.1
    data = HouseholdCreate(address="矩阵路 3 号", lon=lon, lat=lat, community_code=community.code,
                           members=[PersonCreate(name="矩阵丁")], contact_index=0)  # fmt: skip
    (hid,) = await create_households(session=session, principal=SYSTEM, rows=[data])
    incident_id = await make_incident(session, [community])
    await open_checkins(session=session, incident_id=incident_id, hazard="earthquake",
                        community_ids=[community.id])  # fmt: skip
    hc = await session.scalar(select(HouseholdCheckin.id).where(
        HouseholdCheckin.household_id == hid))  # fmt: skip
    path = await session.scalar(select(Household.area_path).where(Household.id == hid))
    if await session.scalar(select(Person.id).where(Person.id == VISITED)) is None:
        now = clock.now()
        await session.execute(insert(Person).values(
            id=VISITED, household_id=hid, area_path=path, name="矩阵访", languages=[],
            created_at=now, updated_at=now))  # fmt: skip
        await session.execute(insert(PersonCheckin).values(
            incident_id=incident_id, household_checkin_id=hc, person_id=VISITED, area_path=path,
            status="pending", deadline_class="default", deadline_at=now))  # fmt: skip
    else:
        await session.execute(update(Person).where(Person.id == VISITED).values(
            household_id=hid, area_path=path))  # fmt: skip
        await session.execute(update(PersonCheckin).where(PersonCheckin.person_id == VISITED)
                              .values(incident_id=incident_id, household_checkin_id=hc,
                                      area_path=path))  # fmt: skip
    (need_id,) = await create_needs(
        session=session, principal=None, incident_id=incident_id,
        rows=[NeedCreate(kind=NeedKind.visit, household_id=hid)], source=NeedSource.chain,
    )  # fmt: skip
    return await _assignment(session, county, need_id, "accepted")


REPORT = {"members": [{"person_id": str(VISITED), "status": "safe"}]}

ITEM_ROUTES = [
    ItemRoute("POST", "/api/v1/assignments/{id}/accept", "dispatch_offered"),
    ItemRoute("POST", "/api/v1/assignments/{id}/decline", "dispatch_offered", body={}),
    ItemRoute("POST", "/api/v1/assignments/{id}/cancel", "dispatch_offered", body={}),
    ItemRoute(
        "POST", "/api/v1/assignments/{id}/status", "dispatch_accepted", body={"status": "failed"}
    ),
    ItemRoute("GET", "/api/v1/assignments/{id}/contact", "dispatch_accepted"),
    ItemRoute("POST", "/api/v1/assignments/{id}/visit-report", "dispatch_visit", body=REPORT),
]
