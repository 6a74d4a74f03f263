"""The chain board: per community (or per grid of one community) households confirmed /
total, vulnerable persons confirmed / total, overdue households and the oldest overdue.

Set-based GROUP BY queries over the check-ins the caller may read
(:func:`plans.chain_access.board_clause`), a fixed handful whatever the incident's size.
"Confirmed" for a person is any reported status; a household is confirmed when all its
members are. A household is overdue while a member past their deadline is still
pending; ``oldest_overdue_at`` is the earliest such deadline. The overdue list (oldest
first, at most ``limit``) shows addresses only to callers who may read personal data,
and those reads are logged.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.auth.roles import Principal
from core.errors import Invalid
from core.incidents.reads import get_incident
from core.registry.areas.models import AreaLevel
from core.registry.areas.rules import area_in_scope_or_invalid
from plans.board_lists import count_of, minutes_since, names_of, overdue_households
from plans.chain_access import board_clause, ensure_board_reader
from plans.chain_models import HouseholdCheckin, HouseholdCheckinStatus, PersonCheckin
from plans.chain_schemas import Board, BoardRow, Ratio

PC, HC = PersonCheckin, HouseholdCheckin
PENDING = HouseholdCheckinStatus.pending.value


async def board_where(
    *,
    session: AsyncSession,
    principal: Principal,
    incident_id: uuid.UUID,
    community_code: str | None = None,
) -> list[Any]:
    """THE WHERE clauses of the board, its CSV and its printed lists: the incident (404
    unless the caller sees it), the caller's rows, and the community (422 if unknown)."""
    ensure_board_reader(principal)
    incident = await get_incident(session=session, principal=principal, incident_id=incident_id)
    where = [
        HC.incident_id == incident.id,
        board_clause(principal, area_path=HC.area_path, grid_id=HC.grid_id),
    ]
    if community_code is not None:
        community = await area_in_scope_or_invalid(
            session=session, principal=principal, code=community_code, loc=("query", "community")
        )
        if community.level != int(AreaLevel.community):
            raise Invalid.field(("query", "community"), f"{community_code} is not a community")
        where.append(HC.community_id == community.id)
    return where


async def chain_board(
    *,
    session: AsyncSession,
    principal: Principal,
    incident_id: uuid.UUID,
    community_code: str | None = None,
    limit: int = 100,
    purpose: str = "chain board",
) -> Board:
    """The board of an incident the caller sees; per grid when a community is given.

    ``limit`` caps the overdue list (0: no list, and so no personal read).
    """
    where = await board_where(
        session=session,
        principal=principal,
        incident_id=incident_id,
        community_code=community_code,
    )
    keys: list[Any] = [HC.community_id] if community_code is None else [HC.community_id, HC.grid_id]
    now = clock.now()
    rows = await _rows(session, where, keys, now)
    overdue = []
    if limit > 0:
        overdue = await overdue_households(
            session=session, principal=principal, where=where, now=now, limit=limit, purpose=purpose
        )
    return Board(
        incident_id=incident_id,
        at=now,
        level="grid" if community_code else "community",
        community_code=community_code,
        totals=_total(rows, now) if rows else None,
        rows=rows,
        overdue=overdue,
    )


async def _rows(
    session: AsyncSession, where: list[Any], keys: list[Any], now: datetime
) -> list[BoardRow]:
    households = (
        select(
            *keys,
            func.count(),
            count_of(HC.status == HouseholdCheckinStatus.confirmed.value),
            count_of(HC.status == HouseholdCheckinStatus.overdue.value),
        )
        .where(*where)
        .group_by(*keys)
    )
    done = PC.status != PENDING
    persons = (
        select(
            *keys,
            func.count(PC.id),
            count_of(done),
            count_of(PC.vulnerable),
            count_of(PC.vulnerable & done),
            func.min(case(((~done) & PC.overdue_at.is_not(None), PC.deadline_at))),
        )
        .join(HC, HC.id == PC.household_checkin_id)
        .where(*where)
        .group_by(*keys)
    )
    h_rows = {tuple(r[: len(keys)]): r[len(keys) :] for r in await session.execute(households)}
    p_rows = {tuple(r[: len(keys)]): r[len(keys) :] for r in await session.execute(persons)}
    names = await names_of(session, h_rows)
    out = []
    for key in sorted(h_rows, key=lambda k: tuple(names.get(x, ("",))[0] or "" for x in k)):
        total, confirmed, late = h_rows[key]
        p_total, p_done, v_total, v_done, oldest = p_rows.get(key, (0, 0, 0, 0, None))
        code, name = names.get(key[0], ("", None))
        grid_id = key[1] if len(key) > 1 else None
        out.append(
            BoardRow(
                community_id=key[0],
                community_code=code,
                name=name,
                grid_id=grid_id,
                grid_code=names.get(grid_id, (None,))[0] if grid_id else None,
                households=Ratio(confirmed=int(confirmed), total=int(total)),
                vulnerable=Ratio(confirmed=int(v_done), total=int(v_total)),
                persons=Ratio(confirmed=int(p_done), total=int(p_total)),
                overdue_households=int(late),
                oldest_overdue_at=oldest,
                oldest_overdue_minutes=minutes_since(oldest, now),
            )
        )
    return out


def _total(rows: list[BoardRow], now: datetime) -> BoardRow:
    """The sum of ``rows``; its community fields are null unless all rows share one."""

    def ratio(attr: str) -> Ratio:
        parts = [getattr(r, attr) for r in rows]
        return Ratio(confirmed=sum(p.confirmed for p in parts), total=sum(p.total for p in parts))

    oldest = min((r.oldest_overdue_at for r in rows if r.oldest_overdue_at), default=None)
    one = len({r.community_id for r in rows}) == 1
    return BoardRow(
        community_id=rows[0].community_id if one else None,
        community_code=rows[0].community_code if one else None,
        name=rows[0].name if one else None,
        households=ratio("households"),
        vulnerable=ratio("vulnerable"),
        persons=ratio("persons"),
        overdue_households=sum(r.overdue_households for r in rows),
        oldest_overdue_at=oldest,
        oldest_overdue_minutes=minutes_since(oldest, now),
    )
