"""Dispatch KPIs: offers, declines, expiries, re-offers; volunteer utilisation and travel.

From the timeline's ``assignment.<status>`` events and the ``assignment`` rows:

* **offers** — ``assignment.offered`` events; **re-offers** — offers of a task that had
  an assignment before (``attempt`` > 1); **declines**, **expiries**, **accepted**,
  **done**, **failed**, **cancelled**, **withdrawn** — those events.
* **busy time** of an assignment — from ``accepted`` to its first of ``done``,
  ``failed`` or ``cancelled`` (or ``until`` while still active).
* **on-duty time** of a volunteer — from their first offer in the incident until
  ``until``. The database keeps no duty roster, so volunteers never offered anything are
  not counted (a drill's report meta carries the scenario's on-duty count).
* **utilisation** — Σ busy time / Σ on-duty time over volunteers offered anything.
* **travel km** — the planned route (volunteer → depot → need, with the router's
  terrain factor: ``assignment.distance_m``) of every assignment that set off
  (``en_route``), in km.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.incidents.match_models import Assignment
from plans.drills.kpi_timeline import Scope, timeline

COUNTED = ("offered", "accepted", "declined", "expired", "withdrawn", "done", "failed",
           "cancelled", "en_route")  # fmt: skip
ENDS = frozenset({"done", "failed", "cancelled"})


async def dispatch_kpis(session: AsyncSession, scope: Scope) -> dict[str, Any]:
    """Offer counts, utilisation and travel (see the module docstring)."""
    events = await timeline(session, scope, [f"assignment.{s}" for s in COUNTED])
    counts = dict.fromkeys(COUNTED, 0)
    re_offers = 0
    first_offer: dict[str, float] = {}
    accepted: dict[str, tuple[str, float]] = {}
    busy: dict[str, float] = {}
    set_off: set[str] = set()
    for kind, t, data in events:
        status = kind.split(".", 1)[1]
        aid, vid = str(data["id"]), str(data["volunteer_id"])
        counts[status] += 1
        if status == "offered":
            first_offer.setdefault(vid, t)
            re_offers += int(data.get("attempt", 1)) > 1
        elif status == "accepted":
            accepted[aid] = (vid, t)
        elif status == "en_route":
            set_off.add(aid)
        elif status in ENDS and aid in accepted:
            vid, t0 = accepted.pop(aid)
            busy[vid] = busy.get(vid, 0.0) + (t - t0)
    end = scope.minutes(scope.until)
    for vid, t0 in accepted.values():
        busy[vid] = busy.get(vid, 0.0) + (end - t0)
    duty = sum(end - t for t in first_offer.values())
    offers = counts.pop("offered")
    counts.pop("en_route")
    return {
        "offers": offers,
        "re_offers": re_offers,
        **counts,
        "accept_share": round(counts["accepted"] / offers, 4) if offers else None,
        "volunteers_offered": len(first_offer),
        "busy_hours": round(sum(busy.values()) / 60.0, 2),
        "on_duty_hours": round(duty / 60.0, 2),
        "utilisation": round(sum(busy.values()) / duty, 4) if duty > 0 else None,
        "travel_km": await _travel_km(session, scope, set_off),
        "trips": len(set_off),
    }


async def _travel_km(session: AsyncSession, scope: Scope, ids: set[str]) -> float:
    stmt = select(Assignment.id, Assignment.distance_m).where(
        Assignment.incident_id == scope.incident_id
    )
    metres = sum(d for aid, d in await session.execute(stmt) if str(aid) in ids)
    return round(metres / 1000.0, 2)
