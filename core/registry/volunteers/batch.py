"""Set-based creation of volunteers: the import, the demo and the one-item API share it.

All or nothing: every row is checked first (see :mod:`.links`); any problem raises
:class:`~core.errors.Invalid` (422; conflicts listed too) or, when the only problems
are already-linked persons/users, :class:`~core.errors.Conflict` (409), each error
naming ``loc + (field, …)`` — ``("rows", i)`` by default, ``("body",)`` for the API.
Then one multi-row INSERT per table, one UPDATE of the linked users' ``volunteer_id``
and one ``volunteer.created`` event per volunteer, in the caller's transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.auth.roles import SYSTEM, Principal
from core.errors import Conflict, ErrorList
from core.events.outbox import emit_many
from core.ids import uuid7
from core.registry.areas.models import Area
from core.registry.volunteers.links import (
    Target,
    check_home,
    check_links,
    load_areas,
    set_user_links,
)
from core.registry.volunteers.models import (
    Volunteer,
    VolunteerCertification,
    VolunteerLanguage,
    VolunteerSkill,
)
from core.registry.volunteers.rules import ensure_writer, raise_errors, volunteer_event
from core.registry.volunteers.schemas import VolunteerCreate

MAX_REPORTED_ERRORS = 500


async def create_volunteers(
    *,
    session: AsyncSession,
    principal: Principal | None,
    rows: Sequence[VolunteerCreate],
    locs: Sequence[tuple[str | int, ...]] | None = None,
    source: str = "api",
) -> list[uuid.UUID]:
    """Create every row or none; returns the new ids in row order.

    ``principal=None`` acts as the system (an admin: CLI, demo). Home points are
    WGS-84 lon/lat degrees (convert GCJ-02 before). ``locs`` gives each row's error
    prefix (default ``("rows", i)``).
    """
    principal = principal or SYSTEM
    locs = list(locs) if locs is not None else [("rows", i) for i in range(len(rows))]
    homes, errors, conflicts = await check_rows(
        session=session, principal=principal, rows=rows, locs=locs
    )
    raise_errors(errors, conflicts.errors)
    if conflicts.errors:
        raise Conflict(conflicts.errors[0].msg, errors=conflicts.errors)
    return await _insert(session, rows, homes, source)  # type: ignore[arg-type]


async def check_rows(
    *,
    session: AsyncSession,
    principal: Principal,
    rows: Sequence[VolunteerCreate],
    locs: Sequence[tuple[str | int, ...]],
) -> tuple[list[Area | None], ErrorList, ErrorList]:
    """Check every row against the database: (home areas, errors, conflicts); no writes."""
    ensure_writer(principal)
    errors, conflicts = ErrorList(), ErrorList()
    if not rows:
        errors.add(("rows",), "no rows to create")
    areas = await load_areas(session, (r.area_code for r in rows))
    homes: list[Area | None] = []
    for row, loc in zip(rows, locs, strict=True):
        area = areas.get(row.area_code)
        homes.append(
            check_home(
                principal,
                area,
                code=row.area_code,
                lon=row.lon,
                lat=row.lat,
                loc=loc,
                errors=errors,
            )
        )
    targets = [
        Target(loc, home.area_path if home else "", None, r.person_id, r.user_id, r.org_id)
        for r, loc, home in zip(rows, locs, homes, strict=True)
    ]
    await check_links(session, principal, targets, errors, conflicts)
    errors.errors = errors.errors[:MAX_REPORTED_ERRORS]
    conflicts.errors = conflicts.errors[:MAX_REPORTED_ERRORS]
    return homes, errors, conflicts


def _values(row: VolunteerCreate, area: Area, now: Any) -> dict[str, Any]:
    return {
        "id": uuid7(),
        "name": row.name,
        "phone": row.phone,
        "person_id": row.person_id,
        "user_id": row.user_id,
        "org_id": row.org_id,
        "area_id": area.id,
        "area_path": area.area_path,
        "lon": row.lon,
        "lat": row.lat,
        "vehicle_class": row.vehicle_class,
        "availability": row.availability,
        "max_travel_km": row.max_travel_km,
        "max_active_tasks": row.max_active_tasks,
        "insurance_valid_until": row.insurance_valid_until,
        "status": row.status.value,
        "hours_served": row.hours_served,
        "created_at": now,
        "updated_at": now,
    }


async def _insert(
    session: AsyncSession, rows: Sequence[VolunteerCreate], homes: Sequence[Area], source: str
) -> list[uuid.UUID]:
    now = clock.now()
    values = [_values(r, a, now) for r, a in zip(rows, homes, strict=True)]
    pairs = list(zip(rows, values, strict=True))
    skills = [{"volunteer_id": v["id"], "skill": s} for r, v in pairs for s in r.skills]
    langs = [{"volunteer_id": v["id"], "language": code} for r, v in pairs for code in r.languages]
    certs = [
        {"id": uuid7(), "volunteer_id": v["id"], **c.model_dump()}
        for r, v in pairs
        for c in r.certifications
    ]
    links = {r.user_id: v["id"] for r, v in pairs if r.user_id}
    try:
        async with session.begin_nested():
            await session.execute(insert(Volunteer), values)
            for model, batch in (
                (VolunteerSkill, skills),
                (VolunteerLanguage, langs),
                (VolunteerCertification, certs),
            ):
                if batch:
                    await session.execute(insert(model), batch)
            await set_user_links(session, links)
    except IntegrityError as exc:
        raise Conflict("a person or user was linked concurrently; retry") from exc
    await emit_many(
        session,
        [
            volunteer_event(
                "volunteer.created", id=v["id"], area_path=v["area_path"], source=source
            )
            for v in values
        ],
    )
    return [v["id"] for v in values]
