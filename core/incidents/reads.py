"""Reading incidents: one, a list, the areas one covers, its timeline (who sees: `.rules`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import Principal
from core.errors import NotFound
from core.events.outbox import Event, read_after
from core.incidents.models import Incident, IncidentArea
from core.incidents.rules import touching, visible_clause
from core.registry.areas.models import Area
from core.registry.areas.rules import area_in_scope_or_invalid

BBox = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class CoveredArea:
    """An area an incident covers, with the area's code, name and level."""

    area_id: uuid.UUID
    code: str
    name: str
    level: int
    area_path: str
    role: str
    opened_by: uuid.UUID | None
    opened_at: datetime


async def get_incident(
    *, session: AsyncSession, principal: Principal, incident_id: uuid.UUID
) -> Incident:
    """An incident the principal may see; 404 otherwise (existence is not disclosed)."""
    incident = await session.scalar(
        select(Incident).where(Incident.id == incident_id, visible_clause(principal))
    )
    if incident is None:
        raise NotFound("incident not found")
    return incident


async def incident_detail(
    *, session: AsyncSession, principal: Principal, incident_id: uuid.UUID
) -> tuple[Incident, int, list[CoveredArea]]:
    """The incident, how many communities it affects, and its mutual-aid areas."""
    incident = await get_incident(session=session, principal=principal, incident_id=incident_id)
    affected = await session.scalar(
        select(func.count()).where(
            IncidentArea.incident_id == incident.id, IncidentArea.role == "affected"
        )
    )
    aid = await _covered(session, incident.id, role="mutual_aid", after=None, limit=None)
    return incident, int(affected or 0), aid


async def list_incidents(
    *,
    session: AsyncSession,
    principal: Principal,
    status: str | None = None,
    mode: str | None = None,
    hazard: str | None = None,
    area_code: str | None = None,
    bbox: BBox | None = None,
    after: uuid.UUID | None = None,
    limit: int,
) -> list[Incident]:
    """Visible incidents, newest first (keyset on the time-ordered id).

    ``area_code``: incidents touching that area (covering something in its subtree or
    covering one of its ancestors); ``bbox`` (lon/lat degrees): incidents whose
    bounding box intersects it.
    """
    stmt = select(Incident).where(visible_clause(principal))
    if area_code is not None:
        root = await area_in_scope_or_invalid(
            session=session, principal=principal, code=area_code, loc=("query", "area")
        )
        stmt = stmt.where(touching(root.area_path))
    for column, value in ((Incident.status, status), (Incident.mode, mode),
                          (Incident.hazard, hazard)):  # fmt: skip
        if value is not None:
            stmt = stmt.where(column == value)
    if bbox is not None:
        min_lon, min_lat, max_lon, max_lat = bbox
        stmt = stmt.where(
            Incident.min_lon <= max_lon,
            Incident.max_lon >= min_lon,
            Incident.min_lat <= max_lat,
            Incident.max_lat >= min_lat,
        )
    if after is not None:
        stmt = stmt.where(Incident.id < after)
    return list((await session.scalars(stmt.order_by(Incident.id.desc()).limit(limit))).all())


async def list_covered_areas(
    *,
    session: AsyncSession,
    principal: Principal,
    incident_id: uuid.UUID,
    role: str | None = None,
    after: str | None = None,
    limit: int,
) -> list[CoveredArea]:
    """The areas an incident covers, by ``area_path`` (keyset: ``after`` is the last path)."""
    incident = await get_incident(session=session, principal=principal, incident_id=incident_id)
    return await _covered(session, incident.id, role=role, after=after, limit=limit)


async def _covered(
    session: AsyncSession,
    incident_id: uuid.UUID,
    *,
    role: str | None,
    after: str | None,
    limit: int | None,
) -> list[CoveredArea]:
    stmt: Select = (
        select(
            IncidentArea.area_id, Area.code, Area.name, Area.level, IncidentArea.area_path,
            IncidentArea.role, IncidentArea.opened_by, IncidentArea.opened_at,
        )
        .join(Area, Area.id == IncidentArea.area_id)
        .where(IncidentArea.incident_id == incident_id)
    )  # fmt: skip
    if role is not None:
        stmt = stmt.where(IncidentArea.role == role)
    if after is not None:
        stmt = stmt.where(IncidentArea.area_path > after)
    stmt = stmt.order_by(IncidentArea.area_path)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [CoveredArea(*row) for row in (await session.execute(stmt)).all()]


async def timeline(
    *,
    session: AsyncSession,
    principal: Principal,
    incident_id: uuid.UUID,
    after_seq: int = 0,
    limit: int,
) -> list[Event]:
    """The incident's committed events (stream ``incident:<id>``) after ``after_seq``, in order."""
    incident = await get_incident(session=session, principal=principal, incident_id=incident_id)
    return await read_after(session, after_seq, limit=limit, streams=[f"incident:{incident.id}"])
