"""Depots with their stock per item, for the map (mounted under /api/v1 by core/app.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from core.http.deps import CurrentUser, SessionDep
from core.http.geojson import LIST_RESPONSES, Format, feature_collection, point_of, wants_geojson
from core.http.listing import Cursor, Limit, Page, after_uuid, page_of, parse_bbox
from core.registry.depots import service as depots
from core.stock import alerts_schemas as s
from core.stock.depot_stock import stock_by_depot

router = APIRouter(tags=["stock"])


@router.get("/stock/depots", response_model=Page[s.StockDepotRead], responses=LIST_RESPONSES)
async def list_stock_depots(
    request: Request,
    principal: CurrentUser,
    session: SessionDep,
    area: Annotated[str | None, Query(pattern=r"^\d{12}$", description="Subtree.")] = None,
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat")] = None,
    drill: Annotated[bool, Query(description="Drill (shadow) stock instead of real.")] = False,
    limit: Limit = 50,
    next: Cursor = None,
    format: Format = None,
) -> Page[s.StockDepotRead] | JSONResponse:
    """Depots in your scope by id, each with on hand, reserved, available and next expiry
    per item; GeoJSON Points with ``?format=geojson`` or Accept: application/geo+json."""
    rows = await depots.list_depots(
        session=session, principal=principal, area_code=area, bbox=parse_bbox(bbox),
        after=after_uuid(next), limit=limit + 1,
    )  # fmt: skip
    rows, cursor = page_of(rows, limit, lambda d: [str(d.id)])
    stock = await stock_by_depot(session=session, depot_ids=[d.id for d in rows], drill=drill)
    items = [s.StockDepotRead.of(d, stock[d.id]) for d in rows]
    if wants_geojson(request, format):
        return feature_collection(items, point_of, exclude={"lon", "lat"}, next_cursor=cursor)
    return Page[s.StockDepotRead](items=items, next=cursor)
