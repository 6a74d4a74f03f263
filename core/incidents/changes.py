"""Changes to a declared incident: level, mutual aid, stand-down (rules: :mod:`.service`).

Each change first claims the incident with one conditional UPDATE (``… WHERE status =
'active'``), so a change racing a stand-down either lands before it or gets 409, on
both engines; nothing is written when it fails.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.auth.roles import SYSTEM, Principal, actor
from core.auth.scope import in_scope
from core.errors import Conflict, ErrorList, FieldError
from core.incidents import rules
from core.incidents.models import (
    Incident,
    IncidentArea,
    IncidentMode,
    IncidentStatus,
    ResponseLevel,
)
from core.incidents.reads import get_incident
from core.registry.areas.models import Area
from core.stock.shadow import shadow_mutual_aid


async def _claim(session: AsyncSession, incident: Incident, now: datetime, **values: Any) -> None:
    """Update the incident only while it is active; 409 if it was stood down meanwhile."""
    result = await session.execute(
        update(Incident)
        .where(Incident.id == incident.id, Incident.status == IncidentStatus.active.value)
        .values(updated_at=now, **values)
    )
    if result.rowcount != 1:
        await session.refresh(incident)
        rules.ensure_active(incident)
        raise Conflict("incident changed meanwhile; try again")


async def change_level(
    *,
    session: AsyncSession,
    principal: Principal | None,
    incident_id: uuid.UUID,
    level: ResponseLevel | int,
) -> Incident:
    """Set the response level (I most severe … IV); ``incident.level_changed`` {from, to}."""
    principal = principal or SYSTEM
    incident = await get_incident(session=session, principal=principal, incident_id=incident_id)
    rules.ensure_may_change(principal, incident)
    rules.ensure_active(incident)
    new, old = ResponseLevel(level), ResponseLevel(incident.level)
    if new is old:
        raise Conflict(f"the incident is already at level {old.name}", level=int(old))
    await _claim(session, incident, clock.now(), level=int(new))
    await rules.emit_incident(
        session, "incident.level_changed", incident, **{"from": int(old), "to": int(new)},
        by=actor(principal),
    )  # fmt: skip
    return incident


async def stand_down(
    *, session: AsyncSession, principal: Principal | None, incident_id: uuid.UUID
) -> Incident:
    """End the incident; every change afterwards is 409. ``incident.stood_down``."""
    principal = principal or SYSTEM
    incident = await get_incident(session=session, principal=principal, incident_id=incident_id)
    rules.ensure_may_change(principal, incident)
    rules.ensure_active(incident)
    now = clock.now()
    await _claim(session, incident, now, status=IncidentStatus.stood_down.value, stood_down_at=now)
    await rules.emit_incident(session, "incident.stood_down", incident, at=now, by=actor(principal))
    return incident


async def open_mutual_aid(
    *,
    session: AsyncSession,
    principal: Principal | None,
    incident_id: uuid.UUID,
    area_codes: Sequence[str],
) -> list[Area]:
    """Open areas (any level, in the principal's scope) for mutual aid; returns them.

    Takes a coordinator of the level above the incident's area (403). Unknown or
    out-of-scope codes: 422 on ``body.area_codes.<i>``; areas already affected or
    already open: 409 naming them. ``incident.mutual_aid_opened``. A live drill gets
    shadow copies of the opened areas' real lots (:func:`core.stock.shadow.shadow_mutual_aid`).
    """
    principal = principal or SYSTEM
    incident = await get_incident(session=session, principal=principal, incident_id=incident_id)
    rules.ensure_level_above(principal, incident)
    rules.ensure_active(incident)
    areas = await _areas_to_open(session, principal, area_codes)
    await _ensure_not_covered(session, incident.id, areas)
    now = clock.now()
    await _claim(session, incident, now)
    by = actor(principal)
    rows = [
        {"incident_id": incident.id, "area_id": a.id, "area_path": a.area_path,
         "role": "mutual_aid", "opened_by": by, "opened_at": now}
        for a in areas
    ]  # fmt: skip
    try:
        async with session.begin_nested():
            await session.execute(insert(IncidentArea), rows)
    except IntegrityError as exc:
        raise Conflict("some of these areas were opened meanwhile; reload and retry") from exc
    if incident.mode == IncidentMode.live_drill.value:  # its stock: shadows, never real lots
        await shadow_mutual_aid(session=session, incident_id=incident.id,
                                incident_path=incident.area_path,
                                opened=[a.area_path for a in areas])  # fmt: skip
    opened = [{"code": a.code, "name": a.name, "level": a.level} for a in areas]
    await rules.emit_incident(
        session, "incident.mutual_aid_opened", incident, *(a.area_path for a in areas),
        areas=opened, by=by,
    )  # fmt: skip
    return areas


async def _areas_to_open(
    session: AsyncSession, principal: Principal, codes: Sequence[str]
) -> list[Area]:
    found = {
        a.code: a for a in (await session.scalars(select(Area).where(Area.code.in_(codes)))).all()
    }
    errors, seen, areas = ErrorList(), set[str](), []
    for i, code in enumerate(codes):
        area = found.get(code)
        if code in seen:
            errors.add(("body", "area_codes", i), f"{code} is listed twice")
        elif area is None or not in_scope(principal, area.area_path):
            errors.add(("body", "area_codes", i), f"no area with code {code}")
        else:
            areas.append(area)
        seen.add(code)
    errors.raise_if_any("invalid fields: body.area_codes")
    return areas


async def _ensure_not_covered(
    session: AsyncSession, incident_id: uuid.UUID, areas: list[Area]
) -> None:
    """409 for areas the incident already covers (affected, or already open)."""
    covered = dict(
        (
            await session.execute(
                select(IncidentArea.area_id, IncidentArea.role).where(
                    IncidentArea.incident_id == incident_id,
                    IncidentArea.area_id.in_([a.id for a in areas]),
                )
            )
        ).all()
    )
    if not covered:
        return
    what = {"affected": "already affected", "mutual_aid": "already open for mutual aid"}
    errors = [
        FieldError(("body", "area_codes", i), f"{a.code} is {what[covered[a.id]]}")
        for i, a in enumerate(areas)
        if a.id in covered
    ]
    codes = [a.code for a in areas if a.id in covered]
    raise Conflict(
        f"the incident already covers {', '.join(codes)}; open other areas",
        errors=errors,
        covered=codes,
    )
