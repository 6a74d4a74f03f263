"""Volunteer routes: thin (parse, call the service, return a schema).

Mounted under /api/v1 by core/app.py; the upload route is in maps/volunteers_api.py.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from core.errors import Invalid
from core.geo.crs import CrsParam, InputCrs, to_wgs84
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
from core.registry.volunteers import service
from core.registry.volunteers.models import VolunteerStatus
from core.registry.volunteers.reads import CertificationRead, VolunteerRead
from core.registry.volunteers.schemas import (
    CertificationIn,
    VolunteerCreate,
    VolunteerSelfUpdate,
    VolunteerUpdate,
)

router = APIRouter(tags=["volunteers"])


def _wgs84(body: Any, crs: InputCrs) -> Any:
    """``body`` with its lon/lat converted to WGS-84 (both must be given for GCJ-02)."""
    if crs is InputCrs.wgs84 or (body.lon is None and body.lat is None):
        return body
    if body.lon is None or body.lat is None:
        missing = "lat" if body.lat is None else "lon"
        raise Invalid.field(("body", missing), "give lon and lat together with crs=gcj02")
    lon, lat = to_wgs84(body.lon, body.lat, crs)
    return body.model_copy(update={"lon": lon, "lat": lat})


def _purpose(request: Request) -> str:
    return f"{request.method} {request.url.path}"


async def _one(request: Request, session: Any, principal: Any, v: Any) -> VolunteerRead:
    """The read shape; personal fields are logged unless it is the caller's own profile."""
    (view,) = await service.views(
        session=session, principal=principal, volunteers=[v], purpose=_purpose(request)
    )
    return view


@router.post("/volunteers", status_code=201, response_model=VolunteerRead)
async def create_volunteer(
    request: Request,
    body: VolunteerCreate,
    principal: CurrentUser,
    session: SessionDep,
    crs: CrsParam = InputCrs.wgs84,
) -> VolunteerRead:
    """Create a volunteer (admin, coordinator in scope); ``crs=gcj02`` converts lon/lat."""
    data = _wgs84(body, crs)
    v = await service.create_volunteer(session=session, principal=principal, data=data)
    return await _one(request, session, principal, v)


@router.get("/volunteers", response_model=Page[VolunteerRead], responses=LIST_RESPONSES)
async def list_volunteers(
    request: Request,
    principal: CurrentUser,
    session: SessionDep,
    area: Annotated[str | None, Query(pattern=r"^\d{12}$")] = None,
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat")] = None,
    near: Annotated[str | None, Query(description="lon,lat (WGS-84) of the home point")] = None,
    km: Annotated[float | None, Query()] = None,
    skill: Annotated[list[str] | None, Query(description="Repeatable; all of them.")] = None,
    language: Annotated[list[str] | None, Query(description="Repeatable; any of them.")] = None,
    status: Annotated[VolunteerStatus | None, Query()] = None,
    insured_on: Annotated[date | None, Query(description="Insurance valid on that day.")] = None,
    available_at: Annotated[
        datetime | None, Query(description="ISO 8601 (UTC if no offset); weekly hours hold it.")
    ] = None,
    limit: Limit = 50,
    next: Cursor = None,
    format: Format = None,
) -> Page[VolunteerRead] | JSONResponse:
    """Volunteers you may read, by id; GeoJSON (home points) with ``?format=geojson``."""
    filters = service.VolunteerFilters(
        area_code=area,
        bbox=parse_bbox(bbox),
        near=parse_near(near, km),
        skills=skill or [],
        languages=language or [],
        status=status.value if status else None,
        insured_on=insured_on,
        available_at=available_at,
    )
    rows = await service.list_volunteers(
        session=session,
        principal=principal,
        filters=filters,
        after=after_uuid(next),
        limit=limit + 1,
    )
    rows, cursor = page_of(rows, limit, lambda v: [str(v.id)])
    items = await service.views(
        session=session, principal=principal, volunteers=rows, purpose=_purpose(request)
    )
    if wants_geojson(request, format):
        return feature_collection(items, point_of, exclude={"lon", "lat"}, next_cursor=cursor)
    return Page[VolunteerRead](items=items, next=cursor)


@router.get("/volunteers/me", response_model=VolunteerRead)
async def get_me(request: Request, principal: CurrentUser, session: SessionDep) -> VolunteerRead:
    """Your own volunteer profile (a volunteer with a linked profile)."""
    v = await service.get_me(session=session, principal=principal)
    return await _one(request, session, principal, v)


@router.patch("/volunteers/me", response_model=VolunteerRead)
async def update_me(
    request: Request, body: VolunteerSelfUpdate, principal: CurrentUser, session: SessionDep
) -> VolunteerRead:
    """Change your phone, languages or availability (skills etc. go through a coordinator)."""
    v = await service.update_me(session=session, principal=principal, data=body)
    return await _one(request, session, principal, v)


@router.get("/volunteers/{volunteer_id}", response_model=VolunteerRead)
async def get_volunteer(
    request: Request, volunteer_id: uuid.UUID, principal: CurrentUser, session: SessionDep
) -> VolunteerRead:
    v = await service.get_volunteer(session=session, principal=principal, volunteer_id=volunteer_id)
    return await _one(request, session, principal, v)


@router.patch("/volunteers/{volunteer_id}", response_model=VolunteerRead)
async def update_volunteer(
    request: Request,
    volunteer_id: uuid.UUID,
    body: VolunteerUpdate,
    principal: CurrentUser,
    session: SessionDep,
    crs: CrsParam = InputCrs.wgs84,
) -> VolunteerRead:
    data = _wgs84(body, crs)
    v = await service.update_volunteer(
        session=session, principal=principal, volunteer_id=volunteer_id, data=data
    )
    return await _one(request, session, principal, v)


@router.delete("/volunteers/{volunteer_id}", status_code=204)
async def delete_volunteer(
    volunteer_id: uuid.UUID, principal: CurrentUser, session: SessionDep
) -> Response:
    await service.delete_volunteer(session=session, principal=principal, volunteer_id=volunteer_id)
    return Response(status_code=204)


@router.post(
    "/volunteers/{volunteer_id}/certifications", status_code=201, response_model=CertificationRead
)
async def add_certification(
    volunteer_id: uuid.UUID, body: CertificationIn, principal: CurrentUser, session: SessionDep
) -> CertificationRead:
    cert = await service.add_certification(
        session=session, principal=principal, volunteer_id=volunteer_id, data=body
    )
    return CertificationRead.of(cert)


@router.delete("/volunteers/{volunteer_id}/certifications/{certification_id}", status_code=204)
async def remove_certification(
    volunteer_id: uuid.UUID,
    certification_id: uuid.UUID,
    principal: CurrentUser,
    session: SessionDep,
) -> Response:
    await service.remove_certification(
        session=session,
        principal=principal,
        volunteer_id=volunteer_id,
        certification_id=certification_id,
    )
    return Response(status_code=204)
