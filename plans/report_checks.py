"""The checks of a report batch that need the database, before anything is written.

A household without a check-in in this incident, or out of the caller's reach, is 404
(existence undisclosed); one the caller may see but not report for is 403; a member
who is not in that household's check-in, or is named twice, is 422 — each naming its
field (``…, i, "household_id"`` or ``…, i, "members", j, "person_id"``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import Principal
from core.errors import FieldError, Forbidden, Invalid, NotFound
from plans.chain_access import in_reach, may_report
from plans.chain_models import HouseholdCheckin, PersonCheckin
from plans.chain_schemas import HouseholdReport

Loc = tuple[str | int, ...]
PC, HC = PersonCheckin, HouseholdCheckin


async def report_checkins(
    session: AsyncSession,
    incident_id: uuid.UUID,
    who: Principal,
    reports: Sequence[HouseholdReport],
    loc: Loc,
) -> list[Any]:
    """The check-in row of each report's household, in order; 422/404/403 as documented."""
    first: dict[uuid.UUID, int] = {}
    for i, r in enumerate(reports):
        j = first.setdefault(r.household_id, i)
        if j != i:
            raise Invalid.field((*loc, i, "household_id"), f"household repeats report {j}")
    stmt = select(HC.id, HC.household_id, HC.community_id, HC.grid_id, HC.area_path).where(
        HC.incident_id == incident_id, HC.household_id.in_(list(first))
    )
    rows = {r.household_id: r for r in await session.execute(stmt)}
    missing, refused = [], []
    for i, r in enumerate(reports):
        row = rows.get(r.household_id)
        field = (*loc, i, "household_id")
        if row is None or not in_reach(who, area_path=row.area_path, household_id=row.household_id):
            missing.append(FieldError(field, "no check-in of this household in this incident"))
        elif not may_report(who, grid_id=row.grid_id):
            refused.append(FieldError(field, "grid workers report only for their grids"))
    if missing:
        raise NotFound(f"{len(missing)} household(s) not found in this incident", errors=missing)
    if refused:
        raise Forbidden(f"{len(refused)} household(s) outside your grids", errors=refused)
    return [rows[r.household_id] for r in reports]


async def member_checkins(
    session: AsyncSession,
    checkin_ids: list[uuid.UUID],
    reports: Sequence[HouseholdReport],
    loc: Loc,
) -> dict[tuple[uuid.UUID, uuid.UUID], uuid.UUID]:
    """(household check-in, person) → person check-in; 422 for a stranger or a repeat."""
    stmt = select(PC.household_checkin_id, PC.person_id, PC.id).where(
        PC.household_checkin_id.in_(checkin_ids)
    )
    known = {(h, p): pid for h, p, pid in await session.execute(stmt)}
    errors = []
    for i, (hc_id, r) in enumerate(zip(checkin_ids, reports, strict=True)):
        seen: set[uuid.UUID] = set()
        for j, m in enumerate(r.members):
            field = (*loc, i, "members", j, "person_id")
            if (hc_id, m.person_id) not in known:
                errors.append(FieldError(field, "a report for a person outside the household"))
            elif m.person_id in seen:
                errors.append(FieldError(field, "this member is reported twice"))
            seen.add(m.person_id)
    if errors:
        raise Invalid("members not in their household's check-in", errors=errors)
    return known
