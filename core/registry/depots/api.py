"""Depot routes (mounted under /api/v1 by core/app.py): parse, call the service, answer."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from core.geo.crs import CrsParam, InputCrs
from core.geo.near import parse_near
from core.http.deps import CurrentUser, SessionDep
from core.http.geojson import (
    LIST_RESPONSES,
    Format,
    feature_collection,
    point_of,
    wants_geojson,
)
from core.http.listing import Cursor, Limit, Page, after_uuid, page_of, parse_bbox
from core.registry.depots import service
from core.registry.depots.models import DepotKind
from core.registry.depots.schemas import DepotCreate, DepotRead, DepotUpdate

router = APIRouter(tags=["depots"])


@router.post("/depots", status_code=201, response_model=DepotRead)
async def create_depot(
    body: DepotCreate,
    principal: CurrentUser,
    session: SessionDep,
    crs: CrsParam = InputCrs.wgs84,
) -> DepotRead:
    """Create a depot; ``crs=gcj02`` converts the body's lon/lat to WGS-84."""
    depot = await service.create_depot(
        session=session, principal=principal, data=body.in_wgs84(crs)
    )
    return DepotRead.of(depot)


@router.get("/depots", response_model=Page[DepotRead], responses=LIST_RESPONSES)
async def list_depots(
    request: Request,
    principal: CurrentUser,
    session: SessionDep,
    area: Annotated[str | None, Query(pattern=r"^\d{12}$", description="Subtree.")] = None,
    kind: Annotated[list[DepotKind] | None, Query(description="Repeat for several.")] = None,
    owner: Annotated[uuid.UUID | None, Query(description="Owner organization id.")] = None,
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat")] = None,
    near: Annotated[str | None, Query(description="lon,lat (WGS-84); needs km.")] = None,
    km: Annotated[float | None, Query(description="Radius for near, spherical.")] = None,
    limit: Limit = 50,
    next: Cursor = None,
    format: Format = None,
) -> Page[DepotRead] | JSONResponse:
    """Depots in your scope by id; GeoJSON Points with ``?format=geojson`` or Accept."""
    rows = await service.list_depots(
        session=session,
        principal=principal,
        area_code=area,
        kinds=[k.value for k in kind or ()],
        owner_org_id=owner,
        bbox=parse_bbox(bbox),
        near=parse_near(near, km),
        after=after_uuid(next),
        limit=limit + 1,
    )
    rows, cursor = page_of(rows, limit, lambda d: [str(d.id)])
    items = [DepotRead.of(d) for d in rows]
    if wants_geojson(request, format):
        return feature_collection(items, point_of, exclude={"lon", "lat"}, next_cursor=cursor)
    return Page[DepotRead](items=items, next=cursor)


@router.get("/depots/{depot_id}", response_model=DepotRead)
async def get_depot(depot_id: uuid.UUID, principal: CurrentUser, session: SessionDep) -> DepotRead:
    depot = await service.get_depot(session=session, principal=principal, depot_id=depot_id)
    return DepotRead.of(depot)


@router.patch("/depots/{depot_id}", response_model=DepotRead)
async def update_depot(
    depot_id: uuid.UUID,
    body: DepotUpdate,
    principal: CurrentUser,
    session: SessionDep,
    crs: CrsParam = InputCrs.wgs84,
) -> DepotRead:
    """Change a depot; ``null`` clears optional fields; ``crs=gcj02`` converts lon/lat."""
    depot = await service.update_depot(
        session=session, principal=principal, depot_id=depot_id, data=body.in_wgs84(crs)
    )
    return DepotRead.of(depot)


@router.delete("/depots/{depot_id}", status_code=204)
async def delete_depot(
    depot_id: uuid.UUID, principal: CurrentUser, session: SessionDep
) -> Response:
    """Delete a depot; 409 while stock or other records still refer to it."""
    await service.delete_depot(session=session, principal=principal, depot_id=depot_id)
    return Response(status_code=204)
