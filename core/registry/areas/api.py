"""Area and grid routes: thin (parse, call the service, return a schema)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from core.errors import Invalid
from core.http.deps import CurrentUser, SessionDep
from core.http.geojson import (
    LIST_RESPONSES,
    Format,
    feature_collection,
    wants_geojson,
)
from core.http.listing import Cursor, Limit, Page, decode_cursor, page_of, parse_bbox
from core.registry.areas import service
from core.registry.areas.models import AreaLevel
from core.registry.areas.schemas import (
    AreaCreate,
    AreaRead,
    AreaUpdate,
    GridCreate,
    GridRead,
    GridUpdate,
)

router = APIRouter(tags=["areas"])

CodeQuery = Annotated[str | None, Query(pattern=r"^\d{12}$")]
BBoxQuery = Annotated[
    str | None, Query(description="minlon,minlat,maxlon,maxlat (WGS-84 degrees).")
]


def _cursor_key(cursor: str | None, size: int) -> list[str] | None:
    key = decode_cursor(cursor)
    if key is not None and (len(key) != size or not all(isinstance(k, str) for k in key)):
        raise Invalid.field(("query", "next"), "not a cursor from this API")
    return key


def _boundary(item: AreaRead | GridRead) -> dict | None:
    return item.boundary


@router.post("/areas", status_code=201, response_model=AreaRead)
async def create_area(body: AreaCreate, principal: CurrentUser, session: SessionDep) -> AreaRead:
    area = await service.create_area(session=session, principal=principal, data=body)
    return AreaRead.of(area)


@router.get("/areas", response_model=Page[AreaRead], responses=LIST_RESPONSES)
async def list_areas(
    request: Request,
    principal: CurrentUser,
    session: SessionDep,
    area: CodeQuery = None,
    level: Annotated[AreaLevel | None, Query()] = None,
    parent: CodeQuery = None,
    bbox: BBoxQuery = None,
    limit: Limit = 50,
    next: Cursor = None,
    format: Format = None,
) -> Page[AreaRead] | JSONResponse:
    """Areas in your scope by code; GeoJSON with ``?format=geojson`` or Accept."""
    key = _cursor_key(next, 1)
    rows = await service.list_areas(
        session=session,
        principal=principal,
        area_code=area,
        level=level,
        parent_code=parent,
        bbox=parse_bbox(bbox),
        after=key[0] if key else None,
        limit=limit + 1,
    )
    rows, cursor = page_of(rows, limit, lambda a: [a.code])
    items = [AreaRead.of(a) for a in rows]
    if wants_geojson(request, format):
        return feature_collection(items, _boundary, exclude={"boundary"}, next_cursor=cursor)
    return Page[AreaRead](items=items, next=cursor)


@router.get("/areas/{area_id}", response_model=AreaRead)
async def get_area(area_id: uuid.UUID, principal: CurrentUser, session: SessionDep) -> AreaRead:
    area = await service.get_area(session=session, principal=principal, area_id=area_id)
    return AreaRead.of(area)


@router.patch("/areas/{area_id}", response_model=AreaRead)
async def update_area(
    area_id: uuid.UUID, body: AreaUpdate, principal: CurrentUser, session: SessionDep
) -> AreaRead:
    area = await service.update_area(
        session=session, principal=principal, area_id=area_id, data=body
    )
    return AreaRead.of(area)


@router.delete("/areas/{area_id}", status_code=204)
async def delete_area(area_id: uuid.UUID, principal: CurrentUser, session: SessionDep) -> Response:
    await service.delete_area(session=session, principal=principal, area_id=area_id)
    return Response(status_code=204)


@router.post("/areas/{area_id}/grids", status_code=201, response_model=GridRead)
async def create_grid(
    area_id: uuid.UUID, body: GridCreate, principal: CurrentUser, session: SessionDep
) -> GridRead:
    grid = await service.create_grid(
        session=session, principal=principal, community_id=area_id, data=body
    )
    return GridRead.of(grid)


@router.get("/grids", response_model=Page[GridRead], responses=LIST_RESPONSES)
async def list_grids(
    request: Request,
    principal: CurrentUser,
    session: SessionDep,
    area: CodeQuery = None,
    community: CodeQuery = None,
    bbox: BBoxQuery = None,
    limit: Limit = 50,
    next: Cursor = None,
    format: Format = None,
) -> Page[GridRead] | JSONResponse:
    """Grids in your scope by community then code; GeoJSON too."""
    key = _cursor_key(next, 2)
    rows = await service.list_grids(
        session=session,
        principal=principal,
        area_code=area,
        community_code=community,
        bbox=parse_bbox(bbox),
        after=(key[0], key[1]) if key else None,
        limit=limit + 1,
    )
    rows, cursor = page_of(rows, limit, lambda g: [g.area_path, g.code])
    items = [GridRead.of(g) for g in rows]
    if wants_geojson(request, format):
        return feature_collection(items, _boundary, exclude={"boundary"}, next_cursor=cursor)
    return Page[GridRead](items=items, next=cursor)


@router.get("/grids/{grid_id}", response_model=GridRead)
async def get_grid(grid_id: uuid.UUID, principal: CurrentUser, session: SessionDep) -> GridRead:
    grid = await service.get_grid(session=session, principal=principal, grid_id=grid_id)
    return GridRead.of(grid)


@router.patch("/grids/{grid_id}", response_model=GridRead)
async def update_grid(
    grid_id: uuid.UUID, body: GridUpdate, principal: CurrentUser, session: SessionDep
) -> GridRead:
    grid = await service.update_grid(
        session=session, principal=principal, grid_id=grid_id, data=body
    )
    return GridRead.of(grid)


@router.delete("/grids/{grid_id}", status_code=204)
async def delete_grid(grid_id: uuid.UUID, principal: CurrentUser, session: SessionDep) -> Response:
    await service.delete_grid(session=session, principal=principal, grid_id=grid_id)
    return Response(status_code=204)
