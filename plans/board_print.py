"""The printed lists for teams without phones: households not yet confirmed, by community
and grid, with their members' statuses and deadlines.

Addresses and names appear only where :func:`core.auth.personal.may_read_personal`
allows, and every such read is logged (one row per household and per person shown).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.personal import may_read_personal
from core.auth.roles import Principal
from core.auth.service import log_personal_read
from core.registry.areas.models import Grid
from core.registry.households.models import Household, Person
from plans.board_lists import code_of
from plans.chain_models import HouseholdCheckin, HouseholdCheckinStatus, PersonCheckin

PC, HC = PersonCheckin, HouseholdCheckin
_CHUNK = 5000


@dataclass
class PrintedMember:
    name: str | None
    status: str
    deadline_at: datetime
    overdue: bool


@dataclass
class PrintedHousehold:
    """A household still to confirm; ``address`` and names only where personal is allowed."""

    community_code: str
    grid_code: str | None
    household_code: str | None
    address: str | None
    status: str
    members: list[PrintedMember] = field(default_factory=list)


async def pending_households(
    *,
    session: AsyncSession,
    principal: Principal,
    where: list[Any],
    limit: int,
    purpose: str,
) -> list[PrintedHousehold]:
    """Households not yet confirmed, by community, grid and household code."""
    stmt = (
        select(
            HC.id,
            HC.household_id,
            HC.area_path,
            HC.grid_id,
            HC.status,
            Grid.code,
            Household.code,
            Household.address,
        )
        .join(Household, Household.id == HC.household_id)
        .outerjoin(Grid, Grid.id == HC.grid_id)
        .where(*where, HC.status != HouseholdCheckinStatus.confirmed.value)
        .order_by(HC.area_path, Grid.code, Household.code, HC.id)
        .limit(limit)
    )
    out: dict[uuid.UUID, PrintedHousehold] = {}
    personal: set[uuid.UUID] = set()
    households: list[uuid.UUID] = []
    for hc_id, hid, path, grid_id, status, grid_code, code, address in await session.execute(stmt):
        if may_read_personal(principal, area_path=path, grid_id=grid_id, household_id=hid):
            personal.add(hc_id)
            households.append(hid)
        shown = address if hc_id in personal else None
        out[hc_id] = PrintedHousehold(code_of(path), grid_code, code, shown, status)
    people: list[uuid.UUID] = []
    ids = list(out)
    for start in range(0, len(ids), _CHUNK):
        members = (
            select(
                PC.household_checkin_id,
                PC.person_id,
                Person.name,
                PC.status,
                PC.deadline_at,
                PC.overdue_at,
            )
            .join(Person, Person.id == PC.person_id)
            .where(PC.household_checkin_id.in_(ids[start : start + _CHUNK]))
            .order_by(PC.household_checkin_id, PC.deadline_at, PC.person_id)
        )
        for hc_id, pid, name, status, deadline, overdue in await session.execute(members):
            allowed = hc_id in personal
            if allowed:
                people.append(pid)
            member = PrintedMember(name if allowed else None, status, deadline, overdue is not None)
            out[hc_id].members.append(member)
    for kind, subjects in (("household", households), ("person", people)):
        if subjects:
            await log_personal_read(
                session=session,
                principal=principal,
                subject_kind=kind,
                subject_ids=subjects,
                purpose=purpose,
            )
    return list(out.values())
