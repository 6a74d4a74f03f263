"""Plan routes in the access matrix (issue "Plans": plans, versions, handbooks)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from core.registry.areas.models import Area
from core.registry.items.catalogue import sync_catalogue
from plans import service
from tests.access.matrix import ItemRoute, ListRoute, factory


@factory("plan")
async def _plan(session: AsyncSession, county: Area) -> uuid.UUID:
    """The county's earthquake plan from its handbook, version 1 approved."""
    await sync_catalogue(session=session)
    plan, version = await service.create_plan(
        session=session, principal=None, area_code=county.code, hazard="earthquake"
    )
    await service.approve(session=session, principal=None, version_id=version.id)
    return plan.id


@factory("plan_version")
async def _plan_version(session: AsyncSession, county: Area) -> uuid.UUID:
    """Version 1 (a draft) of the county's flood plan."""
    await sync_catalogue(session=session)
    _, version = await service.create_plan(
        session=session, principal=None, area_code=county.code, hazard="flood"
    )
    return version.id


ITEM_ROUTES = [
    ItemRoute("GET", "/api/v1/plans/{id}", "plan"),
    ItemRoute("GET", "/api/v1/plans/{id}/versions", "plan"),
    ItemRoute("GET", "/api/v1/plans/{id}/readiness", "plan"),
    ItemRoute("POST", "/api/v1/plans/{id}/versions", "plan", body={}),
    ItemRoute("GET", "/api/v1/plan-versions/{id}", "plan_version"),
    ItemRoute(
        "PATCH", "/api/v1/plan-versions/{id}", "plan_version", body={"document": {"supply_days": 5}}
    ),
    ItemRoute("POST", "/api/v1/plan-versions/{id}/approve", "plan_version"),
    ItemRoute("GET", "/api/v1/plan-versions/{id}/diff", "plan_version"),
]

LIST_ROUTES = [ListRoute("/api/v1/plans", "plan")]
