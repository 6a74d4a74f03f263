"""Incidents: declare, change level, open mutual aid, stand down. No FastAPI; flush, never commit.

=================  ===========================================  ==========================
action             who                                          event
=================  ===========================================  ==========================
declare            admin; coordinator whose scope holds every   ``incident.declared``
                   community the area touches (else 403 with
                   how many lie outside, unnamed)
change level       admin; coordinator over the incident's area  ``incident.level_changed``
open mutual aid    admin; coordinator strictly above the        ``incident.mutual_aid_opened``
                   incident's area, opening areas in their scope
stand down         as change level                              ``incident.stood_down``
read               everyone, for incidents that touch their     —
                   area (see :mod:`core.incidents.rules`)
=================  ===========================================  ==========================

Every event goes to the stream ``incident:<id>`` (the timeline) and ``area:<area_path>``.
A stood-down incident refuses every change (409) and nothing is written. Declaring
runs the activation hooks (:mod:`core.incidents.hooks`) in the same transaction.
Reads live in :mod:`core.incidents.reads`; which communities an area touches in
:mod:`core.incidents.touch`.
"""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.auth.roles import SYSTEM, Principal, actor
from core.auth.scope import in_scope
from core.errors import Forbidden, Invalid
from core.geo.distance import degree_box
from core.incidents import rules
from core.incidents.changes import change_level, open_mutual_aid, stand_down
from core.incidents.declaration import Declaration, check_declaration
from core.incidents.hazards import category_of
from core.incidents.hooks import run_activation
from core.incidents.models import Incident, IncidentArea, IncidentMode, IncidentStatus
from core.incidents.schemas import IncidentCreate
from core.incidents.touch import touched_communities

__all__ = ["change_level", "declare_incident", "open_mutual_aid", "stand_down"]


async def declare_incident(
    *, session: AsyncSession, principal: Principal | None, data: IncidentCreate
) -> Incident:
    """Declare an incident over the communities its area touches (principal None = system).

    422 names ``body.area`` / ``body.radius_m`` when the area touches no community;
    403 when any touched community is outside the principal's scope.
    """
    principal = principal or SYSTEM
    rules.ensure_writer(principal, "declare incidents")
    shape = check_declaration(data)
    communities = await touched_communities(
        session=session, polygon=shape.polygon, centre=shape.centre, radius_m=shape.radius_m
    )
    if not communities:
        loc = ("body", "area") if shape.polygon is not None else ("body", "radius_m")
        raise Invalid.field(loc, "this area touches no community (村/社区)")
    outside = sum(not in_scope(principal, c.area_path) for c in communities)
    if outside:
        raise Forbidden(
            f"{outside} of the {len(communities)} communities this area touches are "
            "outside your scope",
            outside=outside,
            touched=len(communities),
        )
    incident = _new_incident(
        data, shape, principal, rules.common_path([c.area_path for c in communities])
    )
    session.add(incident)
    await session.flush()
    await session.execute(
        insert(IncidentArea),
        [
            {"incident_id": incident.id, "area_id": c.id, "area_path": c.area_path,
             "role": "affected", "opened_by": incident.declared_by,
             "opened_at": incident.declared_at}
            for c in communities
        ],
    )  # fmt: skip
    await rules.emit_incident(
        session, "incident.declared", incident, **_declared_data(incident, len(communities))
    )
    await run_activation(
        session=session,
        incident_id=incident.id,
        hazard=incident.hazard,
        community_ids=[c.id for c in communities],
    )
    return incident


def _new_incident(
    data: IncidentCreate, shape: Declaration, principal: Principal, area_path: str
) -> Incident:
    now = clock.now()
    mode = IncidentMode(data.mode)
    incident = Incident(
        title=data.title,
        hazard=data.hazard,
        category=category_of(data.hazard, data.category).value,
        level=int(data.level),
        mode=mode.value,
        speedup=data.speedup or 1.0,
        is_drill=mode is not IncidentMode.real,
        status=IncidentStatus.active.value,
        area_path=area_path,
        declared_by=actor(principal),
        declared_at=now,
        updated_at=now,
    )
    if shape.polygon is not None:
        incident.set_boundary(shape.polygon)
    else:
        assert shape.centre is not None and shape.radius_m is not None
        incident.centre_lon, incident.centre_lat = shape.centre
        incident.radius_m = shape.radius_m
        box = degree_box(*shape.centre, shape.radius_m)
        incident.min_lon, incident.min_lat, incident.max_lon, incident.max_lat = box
    return incident


def _declared_data(incident: Incident, communities: int) -> dict[str, object]:
    shape: dict[str, object] = {"shape": "polygon"}
    if incident.radius_m is not None:
        shape = {"shape": "circle", "centre": [incident.centre_lon, incident.centre_lat],
                 "radius_m": incident.radius_m}  # fmt: skip
    return {
        "title": incident.title, "hazard": incident.hazard, "category": incident.category,
        "level": incident.level, "mode": incident.mode, "is_drill": incident.is_drill,
        "speedup": incident.speedup, "area_code": rules.code_of(incident.area_path),
        "area_path": incident.area_path, "communities": communities,
        "by": incident.declared_by, **shape,
    }  # fmt: skip
