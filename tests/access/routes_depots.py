"""Depot routes in the access matrix (issue "Depots")."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from core.registry.areas.models import Area
from core.registry.depots import service
from core.registry.depots.schemas import DepotCreate
from tests.access.matrix import ItemRoute, ListRoute, factory


@factory("depot")
async def _depot(session: AsyncSession, county: Area) -> uuid.UUID:
    """A warehouse at the middle of the county's bounding box (inside its boundary)."""
    lon = (county.min_lon + county.max_lon) / 2 if county.min_lon is not None else 100.0
    lat = (county.min_lat + county.max_lat) / 2 if county.min_lat is not None else 25.5
    data = DepotCreate(name="矩阵仓库", kind="warehouse", area_code=county.code, lon=lon, lat=lat)
    (depot_id,) = await service.create_depots(session=session, principal=None, rows=[data])
    return depot_id


ITEM_ROUTES = [
    ItemRoute("GET", "/api/v1/depots/{id}", "depot"),
    ItemRoute("PATCH", "/api/v1/depots/{id}", "depot", body={"name": "改名仓库"}),
    ItemRoute("DELETE", "/api/v1/depots/{id}", "depot"),
]

LIST_ROUTES = [ListRoute("/api/v1/depots", "depot")]
