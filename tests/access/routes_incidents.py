"""Incident routes in the access matrix (issue 4: incidents)."""

from __future__ import annotations

import uuid

from shapely.geometry import MultiPolygon, box, mapping
from sqlalchemy.ext.asyncio import AsyncSession

from core.incidents.schemas import IncidentCreate
from core.incidents.service import declare_incident
from core.registry.areas.models import Area, AreaLevel
from tests.access.matrix import ItemRoute, ListRoute, _township, factory
from tests.factories import make_area


@factory("incident")
async def _incident(session: AsyncSession, county: Area) -> uuid.UUID:
    """A level-III flood over one fresh community (with a boundary) in the middle of ``county``."""
    township = await _township(session, county)
    lon = (county.min_lon + county.max_lon) / 2 if county.min_lon is not None else 100.0
    lat = (county.min_lat + county.max_lat) / 2 if county.min_lat is not None else 25.5
    shape = box(lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01)
    await make_area(
        session,
        code=township.code[:9] + "001",
        name="矩阵社区",
        level=AreaLevel.community,
        parent=township,
        boundary=MultiPolygon([shape]),
    )
    data = IncidentCreate(title="矩阵山洪", hazard="flood", level=3, area=dict(mapping(shape)))
    return (await declare_incident(session=session, principal=None, data=data)).id


ITEM_ROUTES = [
    ItemRoute("GET", "/api/v1/incidents/{id}", "incident"),
    ItemRoute("GET", "/api/v1/incidents/{id}/areas", "incident"),
    ItemRoute("GET", "/api/v1/incidents/{id}/timeline", "incident"),
    ItemRoute("POST", "/api/v1/incidents/{id}/level", "incident", body={"level": 2}),
    # 苍山西镇 (two_counties' township in county A): a neighbour the county may open
    ItemRoute(
        "POST",
        "/api/v1/incidents/{id}/mutual-aid",
        "incident",
        body={"area_codes": ["532922100000"]},
    ),
    ItemRoute("POST", "/api/v1/incidents/{id}/stand-down", "incident"),
]

LIST_ROUTES = [ListRoute("/api/v1/incidents", "incident")]
