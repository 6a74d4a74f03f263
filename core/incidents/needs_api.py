"""Need routes (mounted under /api/v1 by core/app.py): parse, call the service, present.

Rules and roles: :mod:`core.incidents.needs`. Lists answer most urgent first and
GeoJSON points with ``?format=geojson`` or ``Accept: application/geo+json``.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from core.auth.roles import Principal, Role
from core.geo.crs import CrsParam, InputCrs, to_wgs84
from core.http.deps import CurrentUser, SessionDep
from core.http.geojson import LIST_RESPONSES, Format, feature_collection, point_of, wants_geojson
from core.http.listing import Limit, Page, page_of
from core.incidents import need_reads
from core.incidents.need_models import NeedSource
from core.incidents.need_query import NeedFilters
from core.incidents.need_schemas import NeedCreate, NeedRead, NeedTransition, SosCreate
from core.incidents.needs import body_loc, create_needs, transition_needs
from core.incidents.reads import get_incident

router = APIRouter(tags=["needs"])


def _purpose(request: Request) -> str:
    return f"{request.method} {request.url.path}"


def _wgs84(body: Any, crs: InputCrs) -> Any:
    if crs is InputCrs.wgs84 or body.lon is None or body.lat is None:
        return body
    lon, lat = to_wgs84(body.lon, body.lat, crs)
    return body.model_copy(update={"lon": lon, "lat": lat})


async def _one(
    request: Request, session: SessionDep, principal: Principal, need_id: uuid.UUID
) -> NeedRead:
    need = await need_reads.get_need(session=session, principal=principal, need_id=need_id)
    (read,) = await need_reads.present_needs(
        session=session, principal=principal, needs=[need], purpose=_purpose(request)
    )
    return read


@router.post("/incidents/{incident_id}/needs", status_code=201, response_model=NeedRead)
async def raise_need(
    request: Request,
    incident_id: uuid.UUID,
    body: NeedCreate,
    principal: CurrentUser,
    session: SessionDep,
    crs: CrsParam = InputCrs.wgs84,
) -> NeedRead:
    """Raise a need (a household contact's is a ``household_report`` for their household)."""
    contact = principal.role is Role.household_contact
    source = NeedSource.household_report if contact else NeedSource.coordinator
    (need_id,) = await create_needs(
        session=session,
        principal=principal,
        incident_id=incident_id,
        rows=[_wgs84(body, crs)],
        source=source,
        locate=body_loc,
    )
    return await _one(request, session, principal, need_id)


@router.post("/incidents/{incident_id}/sos", status_code=201, response_model=NeedRead)
async def send_sos(
    request: Request,
    incident_id: uuid.UUID,
    body: SosCreate,
    principal: CurrentUser,
    session: SessionDep,
    crs: CrsParam = InputCrs.wgs84,
) -> NeedRead:
    """An SOS at the caller's point: a ``rescue`` need, severity 4 unless given.

    A household contact sends it for their household — so does a member through a
    one-time link (``POST /api/v1/persons/{id}/sos-link``, :mod:`core.auth.member_links`);
    a coordinator relays one (received by phone).
    """
    (need_id,) = await create_needs(
        session=session,
        principal=principal,
        incident_id=incident_id,
        rows=[_wgs84(body, crs).as_need()],
        source=NeedSource.sos,
        locate=body_loc,
    )
    return await _one(request, session, principal, need_id)


async def _page(
    request: Request,
    session: SessionDep,
    principal: Principal,
    rows: list[Any],
    limit: int,
    fmt: str | None,
) -> Page[NeedRead] | JSONResponse:
    rows, cursor = page_of(rows, limit, need_reads.key_of)
    items = await need_reads.present_needs(
        session=session, principal=principal, needs=rows, purpose=_purpose(request)
    )
    if wants_geojson(request, fmt):
        return feature_collection(items, point_of, exclude={"lon", "lat"}, next_cursor=cursor)
    return Page[NeedRead](items=items, next=cursor)


@router.get("/needs", response_model=Page[NeedRead], responses=LIST_RESPONSES)
async def list_needs(
    request: Request,
    principal: CurrentUser,
    session: SessionDep,
    filters: NeedFilters,
    incident: Annotated[uuid.UUID | None, Query(description="Incident id.")] = None,
    household: Annotated[uuid.UUID | None, Query(description="Household id.")] = None,
    limit: Limit = 50,
    format: Format = None,
) -> Page[NeedRead] | JSONResponse:
    """Needs in reach, highest priority first, then oldest."""
    rows = await need_reads.list_needs(
        session=session,
        principal=principal,
        incident_id=incident,
        household_id=household,
        limit=limit + 1,
        **filters,
    )
    return await _page(request, session, principal, rows, limit, format)


@router.get(
    "/incidents/{incident_id}/needs", response_model=Page[NeedRead], responses=LIST_RESPONSES
)
async def list_incident_needs(
    request: Request,
    incident_id: uuid.UUID,
    principal: CurrentUser,
    session: SessionDep,
    filters: NeedFilters,
    limit: Limit = 50,
    format: Format = None,
) -> Page[NeedRead] | JSONResponse:
    """The needs of one incident the caller can see (404 otherwise), most urgent first."""
    await get_incident(session=session, principal=principal, incident_id=incident_id)
    rows = await need_reads.list_needs(
        session=session, principal=principal, incident_id=incident_id, limit=limit + 1, **filters
    )
    return await _page(request, session, principal, rows, limit, format)


@router.get("/needs/{need_id}", response_model=NeedRead)
async def get_need(
    request: Request, need_id: uuid.UUID, principal: CurrentUser, session: SessionDep
) -> NeedRead:
    return await _one(request, session, principal, need_id)


@router.post("/needs/{need_id}/status", response_model=NeedRead)
async def change_status(
    request: Request,
    need_id: uuid.UUID,
    body: NeedTransition,
    principal: CurrentUser,
    session: SessionDep,
) -> NeedRead:
    """Move a need to ``to``; 409 says which statuses are allowed now."""
    await transition_needs(
        session=session, principal=principal, need_ids=[need_id], to=body.to, reason=body.reason
    )
    return await _one(request, session, principal, need_id)
