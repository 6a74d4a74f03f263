"""The volunteer list and its filters (home point lon/lat degrees, EPSG:4326)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import Principal
from core.geo.near import near_clause
from core.registry.areas.rules import area_in_scope_or_invalid
from core.registry.vocab import LANGUAGES, SKILLS, check_codes
from core.registry.volunteers.availability import is_available
from core.registry.volunteers.models import Volunteer, VolunteerLanguage, VolunteerSkill
from core.registry.volunteers.rules import read_clause

_SCAN = 500


@dataclass(frozen=True, slots=True)
class VolunteerFilters:
    """List filters; all given ones must hold.

    ``area_code``: home area and below. ``bbox``: (min_lon, min_lat, max_lon, max_lat)
    holding the home point. ``near``: (lon, lat, km), spherical distance from the home
    point. ``skills``: has all of them. ``languages``: speaks any of them.
    ``insured_on``: insurance valid on that day (``insurance_valid_until >= day``).
    ``available_at``: weekly availability holds that moment (Asia/Shanghai time).
    """

    area_code: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    near: tuple[float, float, float] | None = None
    skills: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    status: str | None = None
    insured_on: date | None = None
    available_at: datetime | None = None


async def list_volunteers(
    *,
    session: AsyncSession,
    principal: Principal,
    filters: VolunteerFilters,
    after: uuid.UUID | None = None,
    limit: int,
) -> list[Volunteer]:
    """Volunteers the principal may read, matching ``filters``, by id (keyset ``after``)."""
    stmt = select(Volunteer).where(read_clause(principal))
    if filters.area_code is not None:
        root = await area_in_scope_or_invalid(
            session=session, principal=principal, code=filters.area_code, loc=("query", "area")
        )
        stmt = stmt.where(Volunteer.area_path.startswith(root.area_path, autoescape=True))
    if filters.bbox is not None:
        min_lon, min_lat, max_lon, max_lat = filters.bbox
        stmt = stmt.where(
            Volunteer.lon.between(min_lon, max_lon), Volunteer.lat.between(min_lat, max_lat)
        )
    if filters.near is not None:
        lon, lat, km = filters.near
        dialect = session.bind.dialect.name
        stmt = stmt.where(near_clause(Volunteer, lon=lon, lat=lat, km=km, dialect=dialect))
    for skill in check_codes(filters.skills, SKILLS, ("query", "skill"), "skill"):
        has = and_(VolunteerSkill.volunteer_id == Volunteer.id, VolunteerSkill.skill == skill)
        stmt = stmt.where(exists().where(has))
    languages = check_codes(filters.languages, LANGUAGES, ("query", "language"), "language")
    if languages:
        speaks = and_(
            VolunteerLanguage.volunteer_id == Volunteer.id,
            VolunteerLanguage.language.in_(languages),
        )
        stmt = stmt.where(exists().where(speaks))
    if filters.status is not None:
        stmt = stmt.where(Volunteer.status == filters.status)
    if filters.insured_on is not None:
        stmt = stmt.where(Volunteer.insurance_valid_until >= filters.insured_on)
    stmt = stmt.order_by(Volunteer.id)
    if filters.available_at is None:
        if after is not None:
            stmt = stmt.where(Volunteer.id > after)
        return list((await session.scalars(stmt.limit(limit))).all())
    return await _available(session, stmt, filters.available_at, after, limit)


async def _available(
    session: AsyncSession, stmt, moment: datetime, after: uuid.UUID | None, limit: int
) -> list[Volunteer]:
    """Scan in id order, keeping rows whose availability holds ``moment`` (JSON: in Python)."""
    found: list[Volunteer] = []
    while len(found) < limit:
        page = stmt if after is None else stmt.where(Volunteer.id > after)
        batch = list((await session.scalars(page.limit(_SCAN))).all())
        found.extend(v for v in batch if is_available(v.availability, moment))
        if len(batch) < _SCAN:
            break
        after = batch[-1].id
    return found[:limit]
