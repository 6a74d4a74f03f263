"""Incident KPIs — the same figures for an isolated drill, a live drill and a real incident,
computed from the database: the timeline (outbox events), check-in rows, needs, tasks,
assignments and stock ledger moves. Set-based: a fixed number of queries whatever the
size (a county, ~100,000 persons, in seconds).

Keys of :func:`incident_kpis` (times in minutes from the incident's start,
``declared_at`` — a live drill's wall minutes × its speed-up, so it reads on the
scenario's scale; ``None`` where a figure does not exist, e.g. a percentile over persons
never accounted for):

``incident``            id, title, hazard, level, mode, speedup, start, until, minutes
``chain``               households, households_confirmed, persons, persons_accounted,
                        vulnerable_persons, vulnerable_accounted, vulnerable_minutes
                        {p50, p90, max}, vulnerable_within {"30", "60", "120"} (shares of
                        all vulnerable persons), overdue_households_total,
                        overdue_persons_total, overdue_households_now
                        (:mod:`.kpi_chain`)
``needs``               raised, met, cancelled, unmet
``needs_by_band``       P1–P4: raised, met, cancelled, unmet, met_share, fulfil_minutes
                        {p50, p90, max} (:mod:`.kpi_needs`)
``unmet_by_item``       [{item, name, unit, needs, quantity}], largest first
``dispatch``            offers, re_offers, accepted, declined, expired, withdrawn, done,
                        failed, cancelled, accept_share, volunteers_offered, busy_hours,
                        on_duty_hours, utilisation, travel_km, trips (:mod:`.kpi_dispatch`)
``stock``               [{depot_id, name, lon, lat, days_left, items: [{item, consumed,
                        available, per_day, days_left}]}], first to run out first
                        (:mod:`.kpi_stock`)
``series``              bucket_minutes, t_minutes (edges 0, b, 2b …), and per edge:
                        households_confirmed, vulnerable_accounted (cumulative),
                        overdue_households (overdue at that moment), needs_open,
                        needs_met (cumulative)

``until`` (default: the stand-down time, else the clock's now) bounds every count and
series; the current state of rows (available stock, status of a need closed later) is
read as it is now, so an ``until`` in the past is exact for timeline figures only.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.errors import NotFound
from core.incidents.models import Incident
from plans.drills.kpi_chain import chain_kpis
from plans.drills.kpi_dispatch import dispatch_kpis
from plans.drills.kpi_math import edges
from plans.drills.kpi_needs import need_kpis
from plans.drills.kpi_stock import stock_kpis
from plans.drills.kpi_timeline import Scope

BUCKET_MINUTES = 10


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


async def incident_kpis(
    session: AsyncSession,
    *,
    incident_id: uuid.UUID,
    until: datetime | None = None,
    bucket_minutes: int = BUCKET_MINUTES,
) -> dict[str, Any]:
    """Every KPI of one incident as JSON-safe data (keys: the module docstring)."""
    incident = await session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f"incident {incident_id} not found")
    end = until or incident.stood_down_at or clock.now()
    scope = Scope(incident.id, incident.declared_at, max(end, incident.declared_at),
                  incident.is_drill, incident.speedup or 1.0)  # fmt: skip
    span = scope.minutes(scope.until)
    at = edges(span, bucket_minutes)
    chain, chain_series = await chain_kpis(session, scope, at)
    needs, need_series = await need_kpis(session, scope, at)
    return {
        "incident": {
            "id": str(incident.id),
            "title": incident.title,
            "hazard": incident.hazard,
            "level": incident.level,
            "mode": incident.mode,
            "speedup": scope.speedup,
            "start": _iso(scope.start),
            "until": _iso(scope.until),
            "minutes": round(span, 2),
        },
        "chain": chain,
        **needs,
        "dispatch": await dispatch_kpis(session, scope),
        "stock": await stock_kpis(session, scope),
        "series": {
            "bucket_minutes": bucket_minutes,
            "t_minutes": at,
            **chain_series,
            **need_series,
        },
    }
