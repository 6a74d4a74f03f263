"""The pure part of one matching batch: stock to needs, then volunteers to tasks.

:func:`solve` takes a :class:`SolveInput` (numpy arrays and a picklable router, no ids,
no database) and returns a :class:`SolveOutput`, so it can run in a process pool
(:mod:`core.incidents.matching`). Indices: needs, depots and volunteers are positions in
the service's lists; the tasks are the ``old_*`` ones first (existing tasks re-entering the
assignment, and tasks adopting reserved stock), then one new task per (need, depot) of the
stock plan, then one depot-less task per ``visit_need``.

Arc cost of task → volunteer (metres, :class:`~core.geo.routing.Router`): volunteer → depot
→ need for a task with a depot, volunteer → need otherwise. Neighbours first (自救互救): for
a need with ``neighbours_first``, a volunteer whose home lies within
:data:`NEIGHBOUR_M` of it costs :data:`NEIGHBOUR_FACTOR` × travel, so a neighbour wins ties
and near-ties. Explanations carry the true travel (without the factor).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from core.geo.distance import haversine_m_array
from core.matching.assign import assign, greedy_assign
from core.matching.consolidate import consolidate
from core.matching.problem import AssignProblem, StockPlan, StockProblem
from core.matching.stock import allocate_stock, greedy_allocate

NEIGHBOUR_M = 1000.0
NEIGHBOUR_FACTOR = 0.5
_I = np.int64


@dataclass(frozen=True, eq=False)
class SolveInput:
    """One batch as arrays; ``nv_*`` are need → volunteer candidate pairs (forbidden ones
    already removed; a pinned volunteer's arc added)."""

    stock: StockProblem
    need_lon: np.ndarray
    need_lat: np.ndarray
    need_priority: np.ndarray
    need_neighbours: np.ndarray  # bool
    need_pin: np.ndarray  # volunteer index or -1
    depot_lon: np.ndarray
    depot_lat: np.ndarray
    vol_lon: np.ndarray  # position used (live if recent, else home)
    vol_lat: np.ndarray
    vol_home_lon: np.ndarray
    vol_home_lat: np.ndarray
    vol_capacity: np.ndarray
    nv_need: np.ndarray
    nv_vol: np.ndarray
    old_need: np.ndarray
    old_depot: np.ndarray  # -1: no depot
    old_incumbent: np.ndarray  # -1: none
    visit_need: np.ndarray
    router: Any


@dataclass(frozen=True, eq=False)
class SolveOutput:
    plan: StockPlan
    task_need: np.ndarray
    task_depot: np.ndarray
    task_vol: np.ndarray  # -1 unserved
    distance_m: np.ndarray  # true travel of the chosen arc (nan if unserved)
    eta_s: np.ndarray
    runner_up: np.ndarray
    runner_up_m: np.ndarray
    candidates: np.ndarray
    solver: str


def _travel(inp: SolveInput, need: np.ndarray, depot: np.ndarray, vol: np.ndarray) -> np.ndarray:
    """Travel metres volunteer → (depot →) need, element-wise (depot -1: none)."""
    r, has = inp.router, depot >= 0
    d = np.where(has, depot, 0)
    if inp.depot_lon.size == 0:
        has = np.zeros_like(has)
        dlon = dlat = np.zeros(need.shape)
    else:
        dlon, dlat = inp.depot_lon[d], inp.depot_lat[d]
    vlon, vlat = inp.vol_lon[vol], inp.vol_lat[vol]
    nlon, nlat = inp.need_lon[need], inp.need_lat[need]
    direct = r.travel_m(vlon, vlat, nlon, nlat)
    via = r.travel_m(vlon, vlat, dlon, dlat) + r.travel_m(dlon, dlat, nlon, nlat)
    return np.where(has, via, direct)


def _tasks(inp: SolveInput, plan: StockPlan) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(need, depot, incumbent) of every task: old, new stock tasks, visits."""
    pairs = np.unique(np.stack([plan.need, plan.depot], axis=1).reshape(-1, 2), axis=0)
    visits = inp.visit_need.astype(_I)
    need = np.concatenate([inp.old_need, pairs[:, 0], visits]).astype(_I)
    depot = np.concatenate([inp.old_depot, pairs[:, 1], np.full(visits.size, -1)]).astype(_I)
    inc = np.concatenate([inp.old_incumbent, np.full(pairs.shape[0] + visits.size, -1)])
    return need, depot, inc.astype(_I)


def arc_cost(inp: SolveInput, need: np.ndarray, depot: np.ndarray, vol: np.ndarray) -> np.ndarray:
    """The assignment's cost of each arc: travel, halved for a neighbour where asked."""
    cost = _travel(inp, need, depot, vol)
    home = haversine_m_array(
        inp.vol_home_lon[vol], inp.vol_home_lat[vol], inp.need_lon[need], inp.need_lat[need]
    )
    near = inp.need_neighbours[need] & (home <= NEIGHBOUR_M)
    return np.where(near, cost * NEIGHBOUR_FACTOR, cost)


def task_arcs(inp: SolveInput, task_need: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every task gets the volunteer candidates of its need: (arc_task, arc_vol)."""
    order = np.argsort(inp.nv_need, kind="stable")
    nv_need, nv_vol = inp.nv_need[order], inp.nv_vol[order]
    n_needs = inp.need_lon.shape[0]
    start = np.searchsorted(nv_need, np.arange(n_needs), side="left")
    count = np.bincount(nv_need, minlength=n_needs)
    per_task = count[task_need]
    arc_task = np.repeat(np.arange(task_need.size, dtype=_I), per_task)
    first = np.repeat(start[task_need], per_task)
    offset = np.arange(arc_task.size) - np.repeat(np.cumsum(per_task) - per_task, per_task)
    return arc_task, nv_vol[first + offset].astype(_I)


def solve(inp: SolveInput, greedy: bool = False, flows: StockPlan | None = None) -> SolveOutput:
    """Allocate stock (optimal, or greedy), then assign volunteers to the tasks.

    ``flows``: the optimal per-item flows already solved (:mod:`.match_parallel`), so only
    their consolidation is left of the stock step."""
    if inp.stock.arc_need.size:
        if greedy:
            plan = greedy_allocate(inp.stock)
        elif flows is not None:
            plan = consolidate(inp.stock, flows)
        else:
            plan = allocate_stock(inp.stock)
    else:
        empty = np.zeros(0, dtype=_I)
        plan = StockPlan(need=empty, depot=empty, item=empty, quantity=empty)
    task_need, task_depot, incumbent = _tasks(inp, plan)
    arc_task, arc_vol = task_arcs(inp, task_need)
    cost = arc_cost(inp, task_need[arc_task], task_depot[arc_task], arc_vol)
    problem = AssignProblem(
        task_priority=inp.need_priority[task_need],
        vol_capacity=inp.vol_capacity,
        arc_task=arc_task,
        arc_vol=arc_vol,
        arc_cost_m=cost,
        pinned=inp.need_pin[task_need],
        incumbent=incumbent,
    )
    result = (greedy_assign if greedy else assign)(problem)
    chosen, runner = result.vol_of_task, result.runner_up
    served, has_runner = chosen >= 0, runner >= 0
    dist = np.full(task_need.size, np.nan)
    dist[served] = _travel(inp, task_need[served], task_depot[served], chosen[served])
    runner_m = np.full(task_need.size, np.nan)
    runner_m[has_runner] = _travel(
        inp, task_need[has_runner], task_depot[has_runner], runner[has_runner]
    )
    eta = np.full(task_need.size, np.nan)
    eta[served] = inp.router.eta_s(dist[served], "vehicle")
    return SolveOutput(
        plan=plan,
        task_need=task_need,
        task_depot=task_depot,
        task_vol=chosen,
        distance_m=dist,
        eta_s=eta,
        runner_up=runner,
        runner_up_m=runner_m,
        candidates=result.candidates,
        solver=result.solver,
    )
