"""Matching routes in the access matrix (issue 6).

``match_need`` also moves one fixed depot (:data:`PIN_DEPOT`) into the county it is called
for, so the fixed override body names a depot of the county made last (A); county B's
need is 404 before the body is looked at.
"""

from __future__ import annotations

import uuid

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.incidents.match_models import Assignment, MatchOverride, Task
from core.incidents.need_models import Need
from core.registry.areas.models import Area
from core.registry.depots.models import Depot
from core.registry.volunteers.models import Volunteer
from tests.access.matrix import ItemRoute, factory
from tests.access.routes_needs import _incident, _need
from tests.access.routes_stock import _depot

PIN_DEPOT = uuid.UUID("00000000-0000-7000-8000-00000000d391")


@factory("match_incident")
async def _match_incident(session: AsyncSession, county: Area) -> uuid.UUID:
    incident_id, _ = await _incident(session, county)
    return incident_id


@factory("match_need")
async def _match_need(session: AsyncSession, county: Area) -> uuid.UUID:
    if await session.scalar(select(Depot.id).where(Depot.id == PIN_DEPOT)) is None:
        await _depot(session, county, PIN_DEPOT)
    else:
        await session.execute(
            update(Depot)
            .where(Depot.id == PIN_DEPOT)
            .values(area_id=county.id, area_path=county.area_path)
        )
    return await _need(session, county)


async def _row(session: AsyncSession, model: type, **values: object) -> uuid.UUID:
    oid = uuid.uuid4()
    await session.execute(insert(model).values(id=oid, **values))
    return oid


@factory("match_assignment")
async def _match_assignment(session: AsyncSession, county: Area) -> uuid.UUID:
    need_id = await _need(session, county)
    need = (
        await session.execute(select(Need.incident_id, Need.area_path).where(Need.id == need_id))
    ).one()
    now = clock.now()
    task = await _row(
        session,
        Task,
        need_id=need_id,
        incident_id=need.incident_id,
        area_path=need.area_path,
        status="assigned",
        is_drill=False,
        created_at=now,
        updated_at=now,
    )
    vol = await _row(
        session,
        Volunteer,
        name="矩阵志愿者",
        area_id=county.id,
        area_path=county.area_path,
        lon=100.0,
        lat=25.5,
        availability={},
        max_travel_km=10,
        max_active_tasks=1,
        status="active",
        hours_served=0,
        created_at=now,
        updated_at=now,
    )
    return await _row(
        session,
        Assignment,
        task_id=task,
        need_id=need_id,
        incident_id=need.incident_id,
        volunteer_id=vol,
        area_path=need.area_path,
        status="proposed",
        distance_m=1.0,
        eta_s=1.0,
        priority=30.0,
        reason={"solver": "min_cost_flow"},
        attempt=1,
        is_drill=False,
        created_at=now,
        updated_at=now,
    )


@factory("match_override")
async def _match_override(session: AsyncSession, county: Area) -> uuid.UUID:
    need_id = await _need(session, county)
    path = await session.scalar(select(Need.area_path).where(Need.id == need_id))
    depot = await _depot(session, county)
    return await _row(
        session,
        MatchOverride,
        need_id=need_id,
        area_path=path,
        kind="forbid",
        depot_id=depot.id,
        created_at=clock.now(),
    )


ITEM_ROUTES = [
    ItemRoute("POST", "/api/v1/incidents/{id}/match", "match_incident"),
    ItemRoute("GET", "/api/v1/incidents/{id}/assignments", "match_incident"),
    ItemRoute("GET", "/api/v1/assignments/{id}", "match_assignment"),
    ItemRoute("GET", "/api/v1/needs/{id}/tasks", "match_need"),
    ItemRoute("GET", "/api/v1/needs/{id}/overrides", "match_need"),
    ItemRoute(
        "POST",
        "/api/v1/needs/{id}/overrides",
        "match_need",
        body={"kind": "forbid", "depot_id": str(PIN_DEPOT)},
    ),
    ItemRoute("DELETE", "/api/v1/overrides/{id}", "match_override"),
]
