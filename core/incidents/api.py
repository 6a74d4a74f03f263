"""Incident routes (mounted under /api/v1 by core/app.py): parse, call the service, answer.

GeoJSON lists give a polygon incident its polygon, and a circle incident a Point (its
centre) whose properties carry ``radius_m`` in metres (great-circle).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from core.errors import Invalid
from core.geo.crs import CrsParam, InputCrs
from core.http.deps import CurrentUser, SessionDep
from core.http.geojson import LIST_RESPONSES, Format, feature_collection, wants_geojson
from core.http.listing import (
    Cursor,
    Limit,
    Page,
    after_text,
    after_uuid,
    decode_cursor,
    page_of,
    parse_bbox,
)
from core.incidents import reads, service
from core.incidents.hazards import HAZARDS
from core.incidents.models import IncidentMode, IncidentStatus
from core.incidents.schemas import (
    CoveredAreaRead,
    IncidentCreate,
    IncidentDetail,
    IncidentRead,
    LevelChange,
    MutualAidOpen,
    TimelineEvent,
)

router = APIRouter(tags=["incidents"])


def _geometry(item: Any) -> dict[str, Any] | None:
    if item.area is not None:
        return item.area
    if item.centre is not None:
        return {"type": "Point", "coordinates": [item.centre.lon, item.centre.lat]}
    return None


async def _detail(session: Any, principal: Any, incident_id: uuid.UUID) -> IncidentDetail:
    incident, affected, aid = await reads.incident_detail(
        session=session, principal=principal, incident_id=incident_id
    )
    return IncidentDetail.of(
        incident,
        affected_communities=affected,
        mutual_aid=[CoveredAreaRead.model_validate(a, from_attributes=True) for a in aid],
    )


@router.post("/incidents", status_code=201, response_model=IncidentDetail)
async def declare_incident(
    body: IncidentCreate,
    principal: CurrentUser,
    session: SessionDep,
    crs: CrsParam = InputCrs.wgs84,
) -> IncidentDetail:
    """Declare an incident: ``area`` (polygon) or ``centre`` + ``radius_m`` (metres).

    Every community the area touches is affected and has its plan activated; you need
    scope over all of them. ``crs=gcj02`` converts the body's coordinates to WGS-84.
    """
    incident = await service.declare_incident(
        session=session, principal=principal, data=body.in_wgs84(crs)
    )
    return await _detail(session, principal, incident.id)


@router.get("/incidents", response_model=Page[IncidentRead], responses=LIST_RESPONSES)
async def list_incidents(
    request: Request,
    principal: CurrentUser,
    session: SessionDep,
    status: Annotated[IncidentStatus | None, Query()] = None,
    mode: Annotated[IncidentMode | None, Query()] = None,
    hazard: Annotated[str | None, Query(json_schema_extra={"enum": list(HAZARDS)})] = None,
    area: Annotated[str | None, Query(pattern=r"^\d{12}$", description="Touching.")] = None,
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat")] = None,
    limit: Limit = 50,
    next: Cursor = None,
    format: Format = None,
) -> Page[IncidentRead] | JSONResponse:
    """Incidents touching your area, newest first; GeoJSON with ``?format=geojson``."""
    if hazard is not None and hazard not in HAZARDS:
        raise Invalid.field(("query", "hazard"), f"one of {', '.join(HAZARDS)}")
    rows = await reads.list_incidents(
        session=session,
        principal=principal,
        status=status.value if status else None,
        mode=mode.value if mode else None,
        hazard=hazard,
        area_code=area,
        bbox=parse_bbox(bbox),
        after=after_uuid(next),
        limit=limit + 1,
    )
    rows, cursor = page_of(rows, limit, lambda i: [str(i.id)])
    items = [IncidentRead.of(i) for i in rows]
    if wants_geojson(request, format):
        return feature_collection(items, _geometry, exclude={"area", "centre"}, next_cursor=cursor)
    return Page[IncidentRead](items=items, next=cursor)


@router.get("/incidents/{incident_id}", response_model=IncidentDetail)
async def get_incident(
    incident_id: uuid.UUID, principal: CurrentUser, session: SessionDep
) -> IncidentDetail:
    """One incident, with its affected-community count and mutual-aid areas."""
    return await _detail(session, principal, incident_id)


@router.get("/incidents/{incident_id}/areas", response_model=Page[CoveredAreaRead])
async def list_covered_areas(
    incident_id: uuid.UUID,
    principal: CurrentUser,
    session: SessionDep,
    role: Annotated[str | None, Query(pattern="^(affected|mutual_aid)$")] = None,
    limit: Limit = 50,
    next: Cursor = None,
) -> Page[CoveredAreaRead]:
    """The areas the incident covers (affected communities, mutual-aid areas) by path."""
    rows = await reads.list_covered_areas(
        session=session,
        principal=principal,
        incident_id=incident_id,
        role=role,
        after=after_text(next),
        limit=limit + 1,
    )
    rows, cursor = page_of(rows, limit, lambda a: [a.area_path])
    items = [CoveredAreaRead.model_validate(a, from_attributes=True) for a in rows]
    return Page[CoveredAreaRead](items=items, next=cursor)


@router.post("/incidents/{incident_id}/level", response_model=IncidentRead)
async def change_level(
    incident_id: uuid.UUID, body: LevelChange, principal: CurrentUser, session: SessionDep
) -> IncidentRead:
    """Change the response level (1–4 or I–IV; I is the most severe)."""
    incident = await service.change_level(
        session=session, principal=principal, incident_id=incident_id, level=body.level
    )
    return IncidentRead.of(incident)


@router.post("/incidents/{incident_id}/mutual-aid", response_model=IncidentDetail)
async def open_mutual_aid(
    incident_id: uuid.UUID, body: MutualAidOpen, principal: CurrentUser, session: SessionDep
) -> IncidentDetail:
    """Open areas for mutual aid (a coordinator of the level above the incident's area)."""
    await service.open_mutual_aid(
        session=session, principal=principal, incident_id=incident_id, area_codes=body.area_codes
    )
    return await _detail(session, principal, incident_id)


@router.post("/incidents/{incident_id}/stand-down", response_model=IncidentRead)
async def stand_down(
    incident_id: uuid.UUID, principal: CurrentUser, session: SessionDep
) -> IncidentRead:
    """Stand the incident down; it refuses every change afterwards (409)."""
    incident = await service.stand_down(
        session=session, principal=principal, incident_id=incident_id
    )
    return IncidentRead.of(incident)


@router.get("/incidents/{incident_id}/timeline", response_model=Page[TimelineEvent])
async def timeline(
    incident_id: uuid.UUID,
    principal: CurrentUser,
    session: SessionDep,
    limit: Limit = 50,
    next: Cursor = None,
) -> Page[TimelineEvent]:
    """The incident's committed events in order (``next`` continues after the last seq)."""
    key = decode_cursor(next)
    if key is not None and (len(key) != 1 or not isinstance(key[0], int)):
        raise Invalid.field(("query", "next"), "not a cursor from this API")
    events = await reads.timeline(
        session=session,
        principal=principal,
        incident_id=incident_id,
        after_seq=key[0] if key else 0,
        limit=limit + 1,
    )
    events, cursor = page_of(events, limit, lambda e: [e.seq])
    items = [TimelineEvent(seq=e.seq, epoch=e.epoch, type=e.type, at=e.at, data=e.data)
             for e in events]  # fmt: skip
    return Page[TimelineEvent](items=items, next=cursor)
