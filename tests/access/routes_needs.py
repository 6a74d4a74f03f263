"""Needs in the access matrix (issue "Needs").

``need_incident`` makes an incident affecting a fresh community whose boundary is the
county's bounding box, so the fixed bodies below (a point at :data:`SPOT`, inside
county A) land in county A's incident; county B's incident is 404 before any body
check. Named ``need_*`` so as not to clash with the incidents domain's factories.
"""

from __future__ import annotations

import uuid

from shapely.geometry import MultiPolygon, box
from sqlalchemy.ext.asyncio import AsyncSession

from core.incidents.need_models import NeedKind, NeedSource
from core.incidents.need_schemas import NeedCreate
from core.incidents.needs import create_needs
from core.registry.areas.models import Area, AreaLevel
from tests.access.matrix import ItemRoute, ListRoute, _township, factory
from tests.core.incidents.needs_world import make_incident
from tests.factories import make_area

SPOT = {"lon": 99.9, "lat": 25.65}
"""Inside county A's box (99.6–100.2 × 25.4–25.9), outside county B's."""


async def _incident(session: AsyncSession, county: Area) -> tuple[uuid.UUID, Area]:
    township = await _township(session, county)
    bounds = (county.min_lon, county.min_lat, county.max_lon, county.max_lat)
    community = await make_area(
        session,
        code=township.code[:9] + "001",
        name="矩阵需求村",
        level=AreaLevel.community,
        parent=township,
        boundary=MultiPolygon([box(*bounds)]),  # type: ignore[arg-type]
    )
    return await make_incident(session, [community], title="矩阵"), community


@factory("need_incident")
async def _need_incident(session: AsyncSession, county: Area) -> uuid.UUID:
    incident_id, _ = await _incident(session, county)
    return incident_id


@factory("need")
async def _need(session: AsyncSession, county: Area) -> uuid.UUID:
    incident_id, community = await _incident(session, county)
    lon = (county.min_lon + county.max_lon) / 2  # type: ignore[operator]
    lat = (county.min_lat + county.max_lat) / 2  # type: ignore[operator]
    row = NeedCreate(kind=NeedKind.rescue, community_code=community.code, lon=lon, lat=lat)
    (need_id,) = await create_needs(
        session=session,
        principal=None,
        incident_id=incident_id,
        rows=[row],
        source=NeedSource.coordinator,
    )
    return need_id


ITEM_ROUTES = [
    ItemRoute("GET", "/api/v1/needs/{id}", "need"),
    ItemRoute("POST", "/api/v1/needs/{id}/status", "need", body={"to": "cancelled"}),
    ItemRoute(
        "POST", "/api/v1/incidents/{id}/needs", "need_incident", body={"kind": "other", **SPOT}
    ),
    ItemRoute("POST", "/api/v1/incidents/{id}/sos", "need_incident", body=SPOT),
    ItemRoute("GET", "/api/v1/incidents/{id}/needs", "need_incident"),
]

LIST_ROUTES = [
    ListRoute("/api/v1/needs", "need"),
]
