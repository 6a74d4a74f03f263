"""The rows and events one batch inserts: tasks with their lines, proposed assignments.

Events carry ids and figures only (no personal data) on ``incident:<id>`` and
``area:<need's area_path>``: ``task.created`` (with its lines), ``assignment.proposed``
(volunteer, distance, ETA, priority) and ``match.batch_done`` (the batch's figures).
"""

from __future__ import annotations

import uuid
from typing import Any

from core import clock
from core.events.outbox import EventIn
from core.ids import uuid7
from core.incidents.match_batch import Loaded
from core.incidents.match_build import Index
from core.incidents.match_explain import reason
from core.incidents.match_solve import SolveOutput

Lines = dict[tuple[uuid.UUID, uuid.UUID], list[tuple[uuid.UUID, uuid.UUID, int]]]


def _streams(w: Loaded, path: str) -> list[str]:
    return [f"incident:{w.incident_id}", f"area:{path}"]


def _task_of(w: Loaded, ix: Index, out: SolveOutput, t: int, lines: Lines) -> tuple[Any, ...]:
    """(need id, depot id, lines) of task ``t``."""
    if t < len(w.old):
        old = w.old[t]
        return old.need_id, old.depot_id, old.lines
    need = ix.needs[out.task_need[t]]
    d = int(out.task_depot[t])
    depot = ix.depots[d] if d >= 0 else None
    return need, depot, lines.get((need, depot), []) if depot else []


def task_rows(
    w: Loaded,
    ix: Index,
    out: SolveOutput,
    create: list[int],
    ids: dict[int, uuid.UUID],
    lines: Lines,
    accepted: set[int],
    batch_id: uuid.UUID,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[EventIn]]:
    """Task rows, task-line rows and ``task.created`` events of the tasks to create."""
    now = clock.now()
    tasks, rows, events = [], [], []
    for t in create:
        need, depot, carried = _task_of(w, ix, out, t, lines)
        path = w.needs[need].area_path
        tasks.append(
            {
                "id": ids[t],
                "need_id": need,
                "incident_id": w.incident_id,
                "area_path": path,
                "depot_id": depot,
                "status": "assigned" if t in accepted else "open",
                "batch_id": batch_id,
                "is_drill": w.is_drill,
                "created_at": now,
                "updated_at": now,
            }
        )
        rows += [
            {"task_id": ids[t], "reservation_id": r, "item_id": i, "quantity": q}
            for r, i, q in carried
        ]
        data = {
            "id": ids[t],
            "need_id": need,
            "depot_id": depot,
            "is_drill": w.is_drill,
            "lines": [{"item_id": i, "quantity": q, "reservation_id": r} for r, i, q in carried],
        }
        events.append(EventIn("task.created", data, _streams(w, path)))
    return tasks, rows, events


def assignment_rows(
    w: Loaded,
    ix: Index,
    out: SolveOutput,
    tasks: list[int],
    ids: dict[int, uuid.UUID],
    batch_id: uuid.UUID,
) -> tuple[list[dict[str, Any]], list[EventIn]]:
    """Proposed assignment rows (with their reason) and ``assignment.proposed`` events."""
    now = clock.now()
    rows, events = [], []
    for t in tasks:
        need_id, depot, _ = _task_of(w, ix, out, t, {})
        need = w.needs[need_id]
        vid = ix.vols[out.task_vol[t]]
        r = int(out.runner_up[t])
        why = reason(
            need=need,
            volunteer=w.volunteers[vid],
            distance_m=float(out.distance_m[t]),
            eta_s=float(out.eta_s[t]),
            candidates=int(out.candidates[t]),
            runner_up=ix.vols[r] if r >= 0 else None,
            runner_up_m=float(out.runner_up_m[t]),
            solver=out.solver,
            batch_id=batch_id,
            depot_id=depot,
        )
        attempt = (w.old[t].attempt if t < len(w.old) else 0) + 1
        aid = uuid7()
        rows.append(
            {
                "id": aid,
                "task_id": ids[t],
                "need_id": need_id,
                "incident_id": w.incident_id,
                "volunteer_id": vid,
                "area_path": need.area_path,
                "status": "proposed",
                "distance_m": why["distance_m"],
                "eta_s": why["eta_s"],
                "priority": need.priority,
                "reason": why,
                "attempt": attempt,
                "batch_id": batch_id,
                "offer_deadline": None,
                "is_drill": w.is_drill,
                "created_at": now,
                "updated_at": now,
            }
        )
        data = {
            "id": aid,
            "task_id": ids[t],
            "need_id": need_id,
            "volunteer_id": vid,
            "distance_m": why["distance_m"],
            "eta_s": why["eta_s"],
            "priority": why["priority"],
            "is_drill": w.is_drill,
        }
        events.append(EventIn("assignment.proposed", data, _streams(w, need.area_path)))
    return rows, events


def batch_done(w: Loaded, done: Any, figures: dict[str, Any], matched: int) -> EventIn:
    """``match.batch_done`` with the batch's figures."""
    data = {
        "id": done.batch_id,
        "incident_id": w.incident_id,
        "solver": figures["solver"],
        "tasks": done.tasks,
        "assigned": done.assigned,
        "withdrawn": done.withdrawn,
        "matched": matched,
        "is_drill": w.is_drill,
    }
    return EventIn("match.batch_done", data, _streams(w, w.area_path))
