"""Volunteers: the rules. No FastAPI here; services flush, never commit.

Who may do what:

* admin: everything, everywhere.
* coordinator: creates, changes and deletes volunteers whose home area is in their
  subtree (their own root area included); reads them with personal data (logged).
* grid worker, auditor: read volunteers in their subtree; personal fields (name,
  phone, certificate numbers) only if :func:`core.auth.personal.may_read_personal`
  admits them (an auditor with the grant), and then logged.
* volunteer: only their own profile (``principal.volunteer_id``), with personal data,
  not logged (it is their own); may change phone, languages and availability
  (:func:`update_me`) — skills, certifications, insurance, status and hours are
  vouched for by a coordinator.
* household contact: 403.

Every API answer carrying personal fields is logged (one row per volunteer, purpose
"METHOD path"), except a volunteer's own profile. Objects outside the caller's scope
are 404. Home points are WGS-84 lon/lat degrees.
Linking ``user_id`` keeps ``app_user.volunteer_id`` in step.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.auth.roles import Principal
from core.errors import Conflict, ErrorList
from core.registry.volunteers.batch import create_volunteers
from core.registry.volunteers.links import (
    Target,
    check_home,
    check_links,
    load_areas,
    set_user_links,
)
from core.registry.volunteers.models import Volunteer, VolunteerLanguage, VolunteerSkill
from core.registry.volunteers.profile import (
    add_certification,
    get_me,
    remove_certification,
    update_me,
)
from core.registry.volunteers.rules import (
    emit_change,
    emit_updated,
    get_for_write,
    get_volunteer,
    raise_errors,
    replace_codes,
    views,
)
from core.registry.volunteers.schemas import VolunteerCreate, VolunteerUpdate, check_vehicle
from core.registry.volunteers.search import VolunteerFilters, list_volunteers

__all__ = [
    "VolunteerFilters",
    "add_certification",
    "create_volunteer",
    "create_volunteers",
    "delete_volunteer",
    "get_me",
    "get_volunteer",
    "list_volunteers",
    "remove_certification",
    "update_me",
    "update_volunteer",
    "views",
]

BODY = ("body",)
_LINKS = ("person_id", "user_id", "org_id")


async def create_volunteer(
    *, session: AsyncSession, principal: Principal, data: VolunteerCreate
) -> Volunteer:
    """One volunteer through :func:`create_volunteers` (errors name ``("body", field)``)."""
    (new_id,) = await create_volunteers(
        session=session, principal=principal, rows=[data], locs=[BODY]
    )
    return await get_volunteer(session=session, principal=principal, volunteer_id=new_id)


async def update_volunteer(
    *, session: AsyncSession, principal: Principal, volunteer_id: uuid.UUID, data: VolunteerUpdate
) -> Volunteer:
    """Apply a PATCH (all checks first, nothing written on error); ``volunteer.updated``."""
    v = await get_for_write(session=session, principal=principal, volunteer_id=volunteer_id)
    fields = data.model_fields_set
    if not fields:
        return v
    errors, conflicts = ErrorList(), ErrorList()
    area = None
    if fields & {"area_code", "lon", "lat"}:
        code = data.area_code or v.area_path.rstrip("/").rsplit("/", 1)[-1]
        lon = data.lon if "lon" in fields else v.lon
        lat = data.lat if "lat" in fields else v.lat
        found = (await load_areas(session, [code])).get(code)
        area = check_home(principal, found, code=code, lon=lon, lat=lat, loc=BODY, errors=errors)
    if fields & {"skills", "vehicle_class"}:
        skills = data.skills if data.skills is not None else await _skills(session, v.id)
        vehicle = data.vehicle_class if "vehicle_class" in fields else v.vehicle_class
        try:
            check_vehicle(skills, vehicle)
        except ValueError as exc:
            errors.add((*BODY, "vehicle_class"), str(exc))
    changed = {f: getattr(data, f) for f in _LINKS if f in fields}
    target = Target(BODY, area.area_path if area else v.area_path, v.id, **changed)
    await check_links(session, principal, [target], errors, conflicts)
    raise_errors(errors, conflicts.errors)
    if conflicts.errors:
        raise Conflict(conflicts.errors[0].msg, errors=conflicts.errors)
    before = v.area_path
    old_user = v.user_id
    for name in fields - {"area_code", "skills", "languages", "status"}:
        setattr(v, name, getattr(data, name))
    if data.status is not None:
        v.status = data.status.value
    if area is not None:
        v.area_id, v.area_path = area.id, area.area_path
    v.updated_at = clock.now()
    try:
        async with session.begin_nested():
            await session.flush()
            if "user_id" in fields and data.user_id != old_user:
                links: dict[uuid.UUID, uuid.UUID | None] = {old_user: None} if old_user else {}
                if data.user_id is not None:
                    links[data.user_id] = v.id
                await set_user_links(session, links)
    except IntegrityError as exc:
        raise Conflict("a person or user was linked concurrently; retry") from exc
    if data.skills is not None:
        await replace_codes(session, VolunteerSkill, "skill", v.id, data.skills)
    if data.languages is not None:
        await replace_codes(session, VolunteerLanguage, "language", v.id, data.languages)
    await emit_updated(session, v, sorted(fields), before)
    return v


async def delete_volunteer(
    *, session: AsyncSession, principal: Principal, volunteer_id: uuid.UUID
) -> None:
    """Delete a volunteer (skills, languages, certifications go too); unlinks the user."""
    v = await get_for_write(session=session, principal=principal, volunteer_id=volunteer_id)
    if v.user_id is not None:
        await set_user_links(session, {v.user_id: None})
    await emit_change(session, "volunteer.deleted", v)
    try:
        async with session.begin_nested():
            await session.delete(v)
            await session.flush()
    except IntegrityError as exc:
        raise Conflict("the volunteer is still referred to by other records") from exc


async def _skills(session: AsyncSession, volunteer_id: uuid.UUID) -> list[str]:
    stmt = select(VolunteerSkill.skill).where(VolunteerSkill.volunteer_id == volunteer_id)
    return list((await session.scalars(stmt)).all())
