"""Household reports: a household's members move from pending to safe / injured / needs
help / missing / unreachable, with needs. Set-based batches; the API sends a list.

Who may report for which household: :mod:`plans.chain_access`. Order of checks, all
before anything is written: the incident in sight (404) and not stood down (409); the
role (403); every household has a check-in in this incident within reach (404, naming
``…, i, "household_id"``) and the caller may report for it (403); every member belongs
to that household's check-in, once (422 naming ``…, i, "members", j, "person_id"``);
the needs (422 from :func:`core.incidents.needs.create_needs`, named ``…, "needs", k, …``).

Then: the needs (source ``household_report``, raised as the caller), one UPDATE of the
persons (by primary key, executemany) — a report clears ``overdue_at`` (the report wins;
a visit need already raised stays) — one UPDATE of the households (confirmed when no
member is pending; overdue while an overdue member is still pending; else pending), and
one ``checkin.reported`` per household (ids and statuses; no personal data).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import case, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.auth.roles import SYSTEM, Principal, actor
from core.events.outbox import EventIn, emit_many
from core.incidents.need_models import NeedSource
from core.incidents.need_schemas import NeedCreate
from core.incidents.needs import create_needs
from core.incidents.reads import get_incident
from core.incidents.rules import ensure_active
from plans.chain_access import ensure_reporter
from plans.chain_models import HouseholdCheckin, HouseholdCheckinStatus, PersonCheckin
from plans.chain_schemas import HouseholdOutcome, HouseholdReport, ReportResult
from plans.report_checks import Loc, member_checkins, report_checkins

PC, HC = PersonCheckin, HouseholdCheckin
PENDING = HouseholdCheckinStatus.pending.value


async def report_households(
    *,
    session: AsyncSession,
    principal: Principal | None,
    incident_id: uuid.UUID,
    reports: Sequence[HouseholdReport],
    loc: Loc = ("body", "reports"),
) -> ReportResult:
    """Apply ``reports`` in one transaction (principal None = system); see the module doc."""
    who = principal or SYSTEM
    incident = await get_incident(session=session, principal=who, incident_id=incident_id)
    ensure_active(incident)
    ensure_reporter(who)
    if not reports:
        return ReportResult(households=[], persons=0)
    checkins = await report_checkins(session, incident.id, who, reports, loc)
    persons = await member_checkins(session, [c.id for c in checkins], reports, loc)
    needs, owners = _need_rows(reports, checkins)
    need_ids = await create_needs(
        session=session,
        principal=principal,
        incident_id=incident.id,
        rows=needs,
        source=NeedSource.household_report,
        locate=lambda n, field: (*loc, *owners[n], *field),
    )
    now, by = clock.now(), actor(who)
    values = [
        {
            "id": persons[(c.id, m.person_id)],
            "status": m.status.value,
            "reported_at": now,
            "reported_by": by,
            "overdue_at": None,
        }
        for c, r in zip(checkins, reports, strict=True)
        for m in r.members
    ]
    await session.execute(update(PersonCheckin), values)
    statuses = await _update_households(session, [c.id for c in checkins], now, by)
    raised: dict[int, list[uuid.UUID]] = {}
    for (i, *_), need_id in zip(owners, need_ids, strict=True):
        raised.setdefault(i, []).append(need_id)
    out = [
        HouseholdOutcome(
            household_id=c.household_id,
            household_checkin_id=c.id,
            status=statuses[c.id],
            need_ids=raised.get(i, []),
        )
        for i, c in enumerate(checkins)
    ]
    await emit_many(
        session,
        [_event(incident.id, c, r, o, by) for c, r, o in zip(checkins, reports, out, strict=True)],
    )
    return ReportResult(households=out, persons=len(values))


def _need_rows(
    reports: Sequence[HouseholdReport], checkins: list[Any]
) -> tuple[list[NeedCreate], list[tuple[int, str, int, str, int]]]:
    """Needs to raise, and where each came from: (i, "members", j, "needs", k)."""
    rows, owners = [], []
    for i, (r, c) in enumerate(zip(reports, checkins, strict=True)):
        for j, m in enumerate(r.members):
            for k, need in enumerate(m.needs):
                data = need.model_dump()
                rows.append(NeedCreate(household_id=c.household_id, person_id=m.person_id, **data))
                owners.append((i, "members", j, "needs", k))
    return rows, owners


async def _update_households(
    session: AsyncSession, ids: list[uuid.UUID], now: Any, by: uuid.UUID | None
) -> dict[uuid.UUID, str]:
    pending = exists().where(PC.household_checkin_id == HC.id, PC.status == PENDING)
    late = exists().where(
        PC.household_checkin_id == HC.id, PC.status == PENDING, PC.overdue_at.is_not(None)
    )
    status = case(
        (~pending, HouseholdCheckinStatus.confirmed.value),
        (late, HouseholdCheckinStatus.overdue.value),
        else_=PENDING,
    )
    await session.execute(
        update(HC)
        .where(HC.id.in_(ids))
        .values(status=status, reported_at=now, reported_by=by)
        .execution_options(synchronize_session=False)
    )
    stmt = select(HC.id, HC.status).where(HC.id.in_(ids))
    return {hc_id: s for hc_id, s in await session.execute(stmt)}


def _event(
    incident_id: uuid.UUID,
    checkin: Any,
    report: HouseholdReport,
    outcome: HouseholdOutcome,
    by: uuid.UUID | None,
) -> EventIn:
    return EventIn(
        type="checkin.reported",
        data={
            "incident_id": incident_id,
            "household_checkin_id": checkin.id,
            "household_id": checkin.household_id,
            "community_id": checkin.community_id,
            "grid_id": checkin.grid_id,
            "status": outcome.status,
            "members": [
                {"person_id": m.person_id, "status": m.status.value} for m in report.members
            ],
            "need_ids": outcome.need_ids,
            "by": by,
        },
        streams=[f"incident:{incident_id}", f"area:{checkin.area_path}"],
    )
