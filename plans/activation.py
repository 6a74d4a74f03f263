"""Plan activation: which approved plan version each affected community runs.

For every affected community the incident records (``incident_plan``) the APPROVED
version of the plan for the incident's hazard at that community, else at the nearest
area above it (township, county, prefecture, province), else none. Set-based: a fixed
handful of statements whatever the number of communities. Drills record theirs the
same way (a drill incident is an incident).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.events.outbox import emit
from core.registry.areas.models import Area
from plans.models import IncidentPlan, Plan, PlanVersion, VersionStatus
from plans.schema import PlanDocument
from plans.vocab import DEFAULT_CLASS


def ancestor_paths(area_path: str) -> list[str]:
    """``area_path`` and the paths of the areas above it, nearest first."""
    codes = [c for c in area_path.split("/") if c]
    return ["".join(f"{c}/" for c in codes[:n]) for n in range(len(codes), 0, -1)]


async def activate_plans(
    *,
    session: AsyncSession,
    incident_id: uuid.UUID,
    hazard: str,
    community_ids: Sequence[uuid.UUID],
) -> dict[uuid.UUID, uuid.UUID | None]:
    """Record the plan version of each community; returns community id → version id
    (``None``: no approved plan at or above it). Unknown ids are skipped; communities
    already recorded for the incident keep their version. Emits ``plan.activated`` on
    the stream ``incident:<id>``."""
    wanted = list(dict.fromkeys(community_ids))
    if not wanted:
        return {}
    paths = dict(
        (await session.execute(select(Area.id, Area.area_path).where(Area.id.in_(wanted)))).all()
    )
    candidates = {p for path in paths.values() for p in ancestor_paths(path)}
    approved = dict(
        (
            await session.execute(
                select(Plan.area_path, PlanVersion.id)
                .join(PlanVersion, PlanVersion.plan_id == Plan.id)
                .where(
                    Plan.hazard == hazard,
                    Plan.area_path.in_(candidates),
                    PlanVersion.status == VersionStatus.approved.value,
                )
            )
        ).all()
    )
    recorded = dict(
        (
            await session.execute(
                select(IncidentPlan.community_id, IncidentPlan.plan_version_id).where(
                    IncidentPlan.incident_id == incident_id,
                    IncidentPlan.community_id.in_(list(paths)),
                )
            )
        ).all()
    )
    chosen: dict[uuid.UUID, uuid.UUID | None] = {}
    for cid in wanted:
        if cid in recorded:
            chosen[cid] = recorded[cid]
        elif cid in paths:
            chosen[cid] = next(
                (approved[p] for p in ancestor_paths(paths[cid]) if p in approved), None
            )
    rows = [
        {"incident_id": incident_id, "community_id": cid, "plan_version_id": vid}
        for cid, vid in chosen.items()
        if cid not in recorded
    ]
    if rows:
        await session.execute(insert(IncidentPlan), rows)
        await emit(
            session,
            type="plan.activated",
            data=_summary(incident_id, hazard, [r["plan_version_id"] for r in rows]),
            streams=[f"incident:{incident_id}"],
        )
    return chosen


def _summary(
    incident_id: uuid.UUID, hazard: str, versions: list[uuid.UUID | None]
) -> dict[str, Any]:
    counts = Counter(str(v) for v in versions if v is not None)
    return {
        "incident_id": incident_id,
        "hazard": hazard,
        "communities": len(versions),
        "without_plan": sum(v is None for v in versions),
        "versions": dict(counts),
    }


async def activation_hook(
    *,
    session: AsyncSession,
    incident_id: uuid.UUID,
    hazard: str,
    community_ids: Sequence[uuid.UUID],
) -> None:
    """:func:`activate_plans` with the signature of ``core.incidents.hooks.ActivationHook``
    (register with ``core.incidents.hooks.on_activation(activation_hook)``)."""
    await activate_plans(
        session=session, incident_id=incident_id, hazard=hazard, community_ids=community_ids
    )


def deadlines_for(document: PlanDocument | Mapping[str, Any]) -> dict[str, int]:
    """Check-in deadlines in minutes by vulnerability tag, plus ``default`` for everyone
    else, from a plan document (validated, or its stored JSON form)."""
    if isinstance(document, PlanDocument):
        table = document.checkin_deadlines_minutes
    else:
        table = document.get("checkin_deadlines_minutes") or {}
    if DEFAULT_CLASS not in table:
        raise ValueError("a plan document always has a 'default' check-in deadline")
    return {str(k): int(v) for k, v in table.items()}
