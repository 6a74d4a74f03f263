"""Check-in chain routes in the access matrix (issue 4: the chain)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import SYSTEM
from core.registry.areas.models import Area
from core.registry.households.create import create_households
from core.registry.households.schemas import HouseholdCreate, PersonCreate
from plans.chain import open_checkins
from tests.access.matrix import ItemRoute, _community, factory
from tests.plans.chain_world import make_incident


@factory("chain_incident")
async def _chain_incident(session: AsyncSession, county: Area) -> uuid.UUID:
    """An incident over a fresh community of ``county`` with one household, chain opened."""
    community = await _community(session, county)
    lon, lat = (county.min_lon or 100.0) + 0.1, (county.min_lat or 25.0) + 0.1
    data = HouseholdCreate(
        address="矩阵路 2 号",
        lon=lon,
        lat=lat,
        community_code=community.code,
        members=[PersonCreate(name="矩阵丙", tags=["living_alone"])],
        contact_index=0,
    )
    await create_households(session=session, principal=SYSTEM, rows=[data])
    incident_id = await make_incident(session, [community])
    await open_checkins(
        session=session, incident_id=incident_id, hazard="earthquake", community_ids=[community.id]
    )
    return incident_id


ITEM_ROUTES = [
    # An empty batch: 404 for another county's incident before anything else, 200 for ours.
    ItemRoute("POST", "/api/v1/incidents/{id}/reports", "chain_incident", body={"reports": []}),
    ItemRoute("GET", "/api/v1/incidents/{id}/board", "chain_incident"),
    ItemRoute("GET", "/api/v1/incidents/{id}/board.csv", "chain_incident"),
    ItemRoute("GET", "/api/v1/incidents/{id}/board/print", "chain_incident"),
]
