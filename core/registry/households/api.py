"""Household routes (person routes come from ``persons_api``): thin — parse, call the
service, present, return.

Every response carrying personal fields is logged (one row per subject, purpose =
method and path) by :mod:`core.registry.households.views`.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from core.auth.roles import Principal
from core.geo.crs import CrsParam, InputCrs, to_wgs84
from core.geo.near import parse_near
from core.http.deps import CurrentUser, SessionDep
from core.http.geojson import (
    LIST_RESPONSES,
    Format,
    feature_collection,
    point_geometry,
    wants_geojson,
)
from core.http.listing import Cursor, Limit, Page, page_of, parse_bbox
from core.registry.households import service
from core.registry.households.create import body_loc
from core.registry.households.models import Household
from core.registry.households.persons_api import CodeQuery, TagsQuery, after_cursor, purpose_of
from core.registry.households.persons_api import router as persons_router
from core.registry.households.schemas import (
    HouseholdCreate,
    HouseholdDetail,
    HouseholdRead,
    HouseholdUpdate,
)
from core.registry.households.views import as_list_item, present_households

router = APIRouter(tags=["households"])
router.include_router(persons_router)


def _wgs84(body: Any, crs: InputCrs) -> Any:
    if crs is InputCrs.wgs84 or body.lon is None or body.lat is None:
        return body
    lon, lat = to_wgs84(body.lon, body.lat, crs)
    return body.model_copy(update={"lon": lon, "lat": lat})


async def _detail(
    request: Request, session: SessionDep, principal: Principal, household: Household
) -> HouseholdDetail:
    (detail,) = await present_households(
        session=session,
        principal=principal,
        households=[household],
        purpose=purpose_of(request),
        with_members=True,
    )
    return detail


@router.post("/households", status_code=201, response_model=HouseholdDetail)
async def create_household(
    request: Request,
    body: HouseholdCreate,
    principal: CurrentUser,
    session: SessionDep,
    crs: CrsParam = InputCrs.wgs84,
) -> HouseholdDetail:
    """Register a household with its ``members``; community and grid by point if not given."""
    rows = [_wgs84(body, crs)]
    (household_id,) = await service.create_households(
        session=session, principal=principal, rows=rows, locate=body_loc
    )
    household = await service.get_household(
        session=session, principal=principal, household_id=household_id
    )
    return await _detail(request, session, principal, household)


@router.get("/households", response_model=Page[HouseholdRead], responses=LIST_RESPONSES)
async def list_households(
    request: Request,
    principal: CurrentUser,
    session: SessionDep,
    area: CodeQuery = None,
    community: CodeQuery = None,
    grid: Annotated[uuid.UUID | None, Query(description="Grid id.")] = None,
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat")] = None,
    near: Annotated[str | None, Query(description="lon,lat (WGS-84); give km too")] = None,
    km: Annotated[float | None, Query()] = None,
    has_tag: TagsQuery = None,
    limit: Limit = 50,
    next: Cursor = None,
    format: Format = None,
) -> Page[HouseholdRead] | JSONResponse:
    """Households in reach by id; GeoJSON points with ``?format=geojson`` or Accept."""
    rows = await service.list_households(
        session=session,
        principal=principal,
        area_code=area,
        community_code=community,
        grid_id=grid,
        bbox=parse_bbox(bbox),
        near=parse_near(near, km),
        has_tags=has_tag or (),
        after=after_cursor(next),
        limit=limit + 1,
    )
    rows, cursor = page_of(rows, limit, lambda h: [str(h.id)])
    details = await present_households(
        session=session, principal=principal, households=rows, purpose=purpose_of(request)
    )
    items = [as_list_item(d) for d in details]
    if wants_geojson(request, format):

        def geometry(item: Any) -> dict[str, Any] | None:
            return point_geometry(item.lon, item.lat)

        return feature_collection(items, geometry, exclude={"lon", "lat"}, next_cursor=cursor)
    return Page[HouseholdRead](items=items, next=cursor)


@router.get("/households/{household_id}", response_model=HouseholdDetail)
async def get_household(
    request: Request, household_id: uuid.UUID, principal: CurrentUser, session: SessionDep
) -> HouseholdDetail:
    household = await service.get_household(
        session=session, principal=principal, household_id=household_id
    )
    return await _detail(request, session, principal, household)


@router.patch("/households/{household_id}", response_model=HouseholdDetail)
async def update_household(
    request: Request,
    household_id: uuid.UUID,
    body: HouseholdUpdate,
    principal: CurrentUser,
    session: SessionDep,
    crs: CrsParam = InputCrs.wgs84,
) -> HouseholdDetail:
    household = await service.update_household(
        session=session, principal=principal, household_id=household_id, data=_wgs84(body, crs)
    )
    return await _detail(request, session, principal, household)


@router.delete("/households/{household_id}", status_code=204)
async def delete_household(
    household_id: uuid.UUID, principal: CurrentUser, session: SessionDep
) -> Response:
    await service.delete_household(session=session, principal=principal, household_id=household_id)
    return Response(status_code=204)
