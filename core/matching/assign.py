"""Volunteers to tasks: an optimal assignment as min-cost flow, and the greedy baseline.

Objective (lexicographic): first maximise Σ priority of the tasks served, then minimise
Σ travel metres of the chosen arcs. The network::

    task t (supply 1) ──cost travel──▶ volunteer v ──cap vol_capacity[v]──▶ sink
        └────────────── "unserved", cost W × priority[t] ─────────────────▶ sink

with integer costs (:mod:`core.matching._flow`): travel in whole metres (doubled, see
below), ``W`` larger than the sum over tasks of their dearest arc, so serving a higher
priority always beats any travel saving; priorities at 0.1-point resolution (one minute
of waiting) for the usual 0–100 range.

* **Pinned** (``pinned[t] >= 0``): only the arc to that volunteer is kept. If that arc is
  absent among the candidates (or the volunteer has no free slot) the task is unserved.
  A pin restricts the task; for the volunteer's slots it competes by priority like any.
* **Forbidden** pairs are simply absent arcs (the service drops them).
* **Incumbent** (a pending proposed/offered assignment): its arc costs ``keep_bonus_m``
  less, so the offer is withdrawn only for a gain of more than ``keep_bonus_m``; exact
  ties keep the incumbent (travel is counted in half-metres and the bonus gets one more).
  An incumbent not among the candidates has no arc and simply loses the task.
* **Explanations**: ``runner_up`` is the cheapest other arc of the task to a volunteer
  with a free slot (whether or not that volunteer is used elsewhere; for pinned tasks
  among all its candidates; ties by volunteer index); ``candidates`` counts the task's arcs.

The optimum among equal-cost solutions is deterministic but not by index; the greedy
baseline breaks every tie by index.
"""

from __future__ import annotations

import numpy as np

from core.matching import _flow
from core.matching.problem import AssignProblem, AssignResult

__all__ = ["assign", "greedy_assign"]


def _kept(p: AssignProblem) -> np.ndarray:
    """Arc indices the solvers may use: all arcs of unpinned tasks, the pinned arc else."""
    pin = p.pinned[p.arc_task]
    return np.flatnonzero((pin < 0) | (pin == p.arc_vol))


def assign(p: AssignProblem) -> AssignResult:
    """The optimal assignment (OR-Tools min-cost flow); see the module docstring."""
    n, v = p.task_priority.shape[0], p.vol_capacity.shape[0]
    kept = _kept(p)
    vol_of_task = np.full(n, -1, dtype=np.int64)
    if kept.size == 0:
        return _explain(p, vol_of_task, "min_cost_flow")
    at, av, ac = p.arc_task[kept], p.arc_vol[kept], p.arc_cost_m[kept]
    is_inc = av == p.incumbent[at]
    has_inc = np.zeros(n, dtype=bool)
    has_inc[at[is_inc]] = True
    value = _flow.value_units(p.task_priority)
    top_value = int(value.max())

    def build(unit: float, limit: int) -> np.ndarray | None:
        bonus = 2 * round(p.keep_bonus_m / unit) + 1
        shift = np.where(has_inc, bonus, 0).astype(np.int64)
        travel = 2 * np.round(ac / unit).astype(np.int64) + np.where(is_inc, 0, shift[at])
        w = int(_flow.per_group_max(at, travel, n).sum()) + 1
        if w * top_value + bonus > limit:
            return None
        return np.concatenate([travel, np.zeros(v, dtype=np.int64), w * value + shift])

    sink = n + v
    tasks = np.arange(n)
    costs = _flow.fit(build, n + v + 1)
    flows = _flow.solve(
        n + v + 1,
        tails=np.concatenate([at, n + np.arange(v), tasks]),
        heads=np.concatenate([n + av, np.full(v + n, sink)]),
        capacities=np.concatenate([np.ones(kept.size, np.int64), p.vol_capacity,
                                   np.ones(n, np.int64)]),
        costs=costs,
        supplies=np.concatenate([np.ones(n, np.int64), np.zeros(v, np.int64), [-n]]),
    )  # fmt: skip
    used = flows[: kept.size] > 0
    vol_of_task[at[used]] = av[used]
    return _explain(p, vol_of_task, "min_cost_flow")


def greedy_assign(p: AssignProblem) -> AssignResult:
    """Tasks by priority (desc, ties by index) each take the cheapest arc with a free slot.

    The same kept arcs as :func:`assign` (pins honoured) and the same hysteresis: an
    incumbent arc counts ``keep_bonus_m`` less and wins ties; other ties by volunteer index.
    """
    n = p.task_priority.shape[0]
    kept = _kept(p)
    at, av, ac = p.arc_task[kept], p.arc_vol[kept], p.arc_cost_m[kept]
    is_inc = av == p.incumbent[at]
    rank = np.empty(n, dtype=np.int64)
    rank[np.lexsort((np.arange(n), -p.task_priority))] = np.arange(n)
    order = np.lexsort((av, ~is_inc, ac - p.keep_bonus_m * is_inc, rank[at]))
    left = p.vol_capacity.tolist()
    chosen = [-1] * n
    for t, vol in zip(at[order].tolist(), av[order].tolist(), strict=True):
        if chosen[t] < 0 and left[vol] > 0:
            chosen[t] = vol
            left[vol] -= 1
    return _explain(p, np.asarray(chosen, dtype=np.int64), "greedy")


def _explain(p: AssignProblem, vol_of_task: np.ndarray, solver: str) -> AssignResult:
    """Chosen travel, runner-up and candidate counts for ``vol_of_task``."""
    n = p.task_priority.shape[0]
    cost = np.full(n, np.nan)
    mine = p.arc_vol == vol_of_task[p.arc_task]
    cost[p.arc_task[mine]] = p.arc_cost_m[mine]
    other = np.flatnonzero(~mine & (p.vol_capacity[p.arc_vol] > 0))
    ot, ov, oc = p.arc_task[other], p.arc_vol[other], p.arc_cost_m[other]
    runner_cost = np.full(n, np.inf)  # per task: the cheapest other arc, then the lowest index
    np.minimum.at(runner_cost, ot, oc)
    cheapest = oc == runner_cost[ot]
    runner_up = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(runner_up, ot[cheapest], ov[cheapest])
    none = np.isinf(runner_cost)
    runner_up[none], runner_cost[none] = -1, np.nan
    candidates = np.bincount(p.arc_task, minlength=n).astype(np.int64)
    return AssignResult(
        vol_of_task=vol_of_task, cost_m=cost, runner_up=runner_up,
        runner_up_cost_m=runner_cost, candidates=candidates, solver=solver,
    )  # fmt: skip
