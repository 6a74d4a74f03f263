"""The check-in chain's KPIs: vulnerable persons accounted for, households confirmed,
overdue check-ins — from the check-in rows and the incident's timeline.

* **Accounted for**: a person is accounted for by the first report (``checkin.reported``)
  that gives them a known condition — ``safe``, ``injured`` or ``needs_help``.
  ``missing`` and ``unreachable`` are reports, but the person is not accounted for (the
  chain still counts such a household as confirmed: every member reported).
* **Vulnerable**: ``person_checkin.vulnerable`` (a tag with a short deadline), fixed when
  the chain opened.
* **Confirmed household**: the first ``checkin.reported`` whose household status is
  ``confirmed`` (no member pending).
* **Overdue household**: from a ``checkin.overdue`` event until the next report of that
  household that leaves it no longer overdue.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import String, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from plans.chain_models import HouseholdCheckin, PersonCheckin
from plans.drills.kpi_math import INF, active, cumulative, share_within, spread
from plans.drills.kpi_timeline import Scope, timeline

ACCOUNTED = frozenset({"safe", "injured", "needs_help"})
WITHIN_MINUTES = (30, 60, 120)


async def chain_kpis(
    session: AsyncSession, scope: Scope, at: Sequence[int]
) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """The chain's figures and its series at the bucket edges ``at`` (minutes)."""
    events = await timeline(session, scope, ("checkin.reported", "checkin.overdue"))
    accounted: dict[str, float] = {}
    confirmed: dict[str, float] = {}
    overdue_since: dict[str, float] = {}
    overdue_spans: list[tuple[float, float]] = []
    overdue_persons = 0
    for kind, t, data in events:
        hc = data["household_checkin_id"]
        if kind == "checkin.overdue":
            overdue_since.setdefault(hc, t)
            overdue_persons += int(data.get("persons", 0))
            continue
        for member in data.get("members", ()):
            if member["status"] in ACCOUNTED:
                accounted.setdefault(_key(member["person_id"]), t)
        if data["status"] == "confirmed":
            confirmed.setdefault(hc, t)
        if data["status"] != "overdue" and hc in overdue_since:
            overdue_spans.append((overdue_since.pop(hc), t))
    overdue_spans += [(s, INF) for s in overdue_since.values()]
    vulnerable = await _vulnerable(session, scope)
    times = [accounted.get(pid, INF) for pid in vulnerable]
    households = await _count(session, HouseholdCheckin, scope)
    persons = await _count(session, PersonCheckin, scope)
    figures = {
        "households": households,
        "households_confirmed": len(confirmed),
        "persons": persons,
        "persons_accounted": len(accounted),
        "vulnerable_persons": len(vulnerable),
        "vulnerable_accounted": sum(1 for t in times if t != INF),
        "vulnerable_minutes": spread(times),
        "vulnerable_within": {f"{m}": share_within(times, m) for m in WITHIN_MINUTES},
        "overdue_households_total": len(overdue_spans),
        "overdue_persons_total": overdue_persons,
        "overdue_households_now": len(overdue_since),
    }
    series = {
        "households_confirmed": cumulative(confirmed.values(), at),
        "vulnerable_accounted": cumulative(times, at),
        "overdue_households": active(overdue_spans, at),
    }
    return figures, series


def _key(person_id: Any) -> str:
    """A person id as 32 hex digits, whether read as text (events, SQLite) or a UUID."""
    return str(person_id).replace("-", "")


async def _vulnerable(session: AsyncSession, scope: Scope) -> list[str]:
    """Vulnerable persons' ids, read as text (no UUID object per row: a county has ~30,000)."""
    stmt = select(type_coerce(PersonCheckin.person_id, String)).where(
        PersonCheckin.incident_id == scope.incident_id, PersonCheckin.vulnerable.is_(True)
    )
    return [_key(pid) for pid in await session.scalars(stmt)]


async def _count(session: AsyncSession, model: Any, scope: Scope) -> int:
    stmt = select(func.count()).select_from(model).where(model.incident_id == scope.incident_id)
    return int(await session.scalar(stmt) or 0)
