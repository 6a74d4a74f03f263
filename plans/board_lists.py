"""The overdue list behind the board, and helpers shared with the printed lists.

Addresses and names appear only where :func:`core.auth.personal.may_read_personal`
allows, and every such read is logged (one row per household and per person shown).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.personal import may_read_personal
from core.auth.roles import Principal
from core.auth.service import log_personal_read
from core.registry.areas.models import Area, Grid
from core.registry.households.models import Household
from plans.chain_models import HouseholdCheckin, HouseholdCheckinStatus, PersonCheckin
from plans.chain_schemas import OverdueHousehold

PC, HC = PersonCheckin, HouseholdCheckin
PENDING = HouseholdCheckinStatus.pending.value
_CHUNK = 5000


def count_of(condition: ColumnElement[bool]) -> Any:
    """SQL: how many rows of the group satisfy ``condition`` (0, never NULL)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def minutes_since(at: datetime | None, now: datetime) -> int | None:
    return None if at is None else max(0, int((now - at).total_seconds() // 60))


def code_of(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


async def names_of(
    session: AsyncSession, keys: Iterable[tuple[Any, ...]]
) -> dict[Any, tuple[str, str | None]]:
    """Code and name by id of the communities (``key[0]``) and grids (``key[1]``)."""
    keys = list(keys)
    communities = sorted({k[0] for k in keys if k[0] is not None}, key=str)
    grids = sorted({k[1] for k in keys if len(k) > 1 and k[1] is not None}, key=str)
    out: dict[Any, tuple[str, str | None]] = {}
    if communities:
        stmt = select(Area.id, Area.code, Area.name).where(Area.id.in_(communities))
        out.update({i: (c, n) for i, c, n in await session.execute(stmt)})
    if grids:
        stmt = select(Grid.id, Grid.code, Grid.name).where(Grid.id.in_(grids))
        out.update({i: (c, n) for i, c, n in await session.execute(stmt)})
    return out


async def overdue_households(
    *,
    session: AsyncSession,
    principal: Principal,
    where: list[Any],
    now: datetime,
    limit: int,
    purpose: str,
) -> list[OverdueHousehold]:
    """Households with a pending member past their deadline, oldest first."""
    since = func.min(PC.deadline_at)
    group = (HC.id, HC.household_id, Household.code, Household.address, HC.area_path, HC.grid_id)
    stmt = (
        select(*group, func.count(PC.id), count_of(PC.vulnerable), since)
        .join(PC, PC.household_checkin_id == HC.id)
        .join(Household, Household.id == HC.household_id)
        .where(*where, PC.status == PENDING, PC.overdue_at.is_not(None))
        .group_by(*group)
        .order_by(since, HC.id)
        .limit(limit)
    )
    rows = list(await session.execute(stmt))
    needs = await _visit_needs(session, [r[0] for r in rows])
    grids = await names_of(session, [(None, r[5]) for r in rows])
    out, shown = [], []
    for hc_id, hid, code, address, path, grid_id, n, vulnerable, at in rows:
        personal = may_read_personal(principal, area_path=path, grid_id=grid_id, household_id=hid)
        if personal:
            shown.append(hid)
        out.append(
            OverdueHousehold(
                household_checkin_id=hc_id,
                household_id=hid,
                household_code=code,
                community_code=code_of(path),
                grid_id=grid_id,
                grid_code=grids.get(grid_id, (None,))[0],
                address=address if personal else None,
                persons_overdue=int(n),
                vulnerable_overdue=int(vulnerable),
                overdue_since=at,
                minutes_overdue=minutes_since(at, now) or 0,
                visit_need_id=needs.get(hc_id),
            )
        )
    if shown:
        await log_personal_read(
            session=session,
            principal=principal,
            subject_kind="household",
            subject_ids=shown,
            purpose=purpose,
        )
    return out


async def _visit_needs(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    out: dict[uuid.UUID, uuid.UUID] = {}
    for start in range(0, len(ids), _CHUNK):
        stmt = (
            select(PC.household_checkin_id, PC.visit_need_id)
            .where(
                PC.household_checkin_id.in_(ids[start : start + _CHUNK]),
                PC.visit_need_id.is_not(None),
            )
            .order_by(PC.household_checkin_id, PC.deadline_at)
        )
        for hc_id, need_id in await session.execute(stmt):
            out.setdefault(hc_id, need_id)
    return out
