"""Why the solver chose a volunteer: the ``reason`` JSON stored on every assignment.

====================  =========================================================
key                   meaning
====================  =========================================================
distance_m            travel metres volunteer → (depot →) need (Router, terrain factor)
eta_s                 seconds at the vehicle speed of :mod:`core.geo.routing`
skills_matched        the skills the need asked for (the volunteer has them all)
languages_matched     the need's languages the volunteer speaks
priority              the need's priority points when solved
candidates_considered volunteers the solver could choose from for this task
runner_up             ``{"volunteer_id", "distance_m"}`` of the next-best candidate, or null
neighbour             the volunteer lives within 1 km of a neighbours-first need (自救互救)
depot_id              the depot the task collects from, or null
solver                ``min_cost_flow``, or ``greedy`` past the time budget
batch_id              the :class:`~core.incidents.match_models.MatchBatch` of the solve
====================  =========================================================
"""

from __future__ import annotations

import math
import uuid
from typing import Any

from core.geo.distance import haversine_m
from core.incidents.match_batch import NeedRow
from core.incidents.match_solve import NEIGHBOUR_M
from core.incidents.match_volunteers import VolunteerRow


def reason(
    *,
    need: NeedRow,
    volunteer: VolunteerRow,
    distance_m: float,
    eta_s: float,
    candidates: int,
    runner_up: uuid.UUID | None,
    runner_up_m: float,
    solver: str,
    batch_id: uuid.UUID,
    depot_id: uuid.UUID | None,
) -> dict[str, Any]:
    """The explanation of one proposed assignment (JSON-able)."""
    home = haversine_m(volunteer.home_lon, volunteer.home_lat, need.lon, need.lat)
    runner = None
    if runner_up is not None and not math.isnan(runner_up_m):
        runner = {"volunteer_id": str(runner_up), "distance_m": round(runner_up_m, 1)}
    return {
        "distance_m": round(distance_m, 1),
        "eta_s": round(eta_s, 1),
        "skills_matched": list(need.skills),
        "languages_matched": sorted(set(need.languages) & volunteer.languages),
        "priority": round(need.priority, 2),
        "candidates_considered": int(candidates),
        "runner_up": runner,
        "neighbour": bool(need.neighbours_first and home <= NEIGHBOUR_M),
        "depot_id": None if depot_id is None else str(depot_id),
        "solver": solver,
        "batch_id": str(batch_id),
    }
