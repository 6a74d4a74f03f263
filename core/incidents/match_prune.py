"""Dropping from a batch the needs no optimal assignment can serve (exact).

When open needs far outnumber free volunteer slots — a county at night, thousands of
needs waiting on a few dozen volunteers — most needs cannot be served this batch whatever
the plan, yet every one of them would be loaded, explained, locked and re-checked. So,
before the solve:

A need is **fixed** (always kept) if it wants stock a depot within reach holds (the stock
plan may give it new tasks), is pinned, or has a task with a pending assignment or adopted
reservations (the writer acts on those whatever the volunteers). Every other need is
**prunable**: its tasks are existing open tasks or its visit, and a task of it only
matters if a volunteer takes it.

Let ``C`` be the batch's free slots (Σ volunteer capacity). For one volunteer, an arc to
a prunable task is **dominated** by an arc of the same volunteer to another prunable task
that is at least as urgent and at most as costly (the solver's :func:`arc_cost`), and
comes before it in the order (priority ↓, cost ↑, task). An arc with ``C`` or more
dominating arcs is dropped: in an optimal assignment using it, at most ``C - 1`` of the
dominating tasks are served (at most ``C`` tasks are served in all), so one is free, and
moving the volunteer to it loses neither priority nor travel (the solver's objective,
:mod:`core.matching.assign`, is monotone in both whatever its rounding). Repeating moves
the volunteer up the order, so an optimal assignment uses kept arcs only. A prunable need
none of whose task arcs is kept is dropped from the batch with its tasks; a kept need keeps
**all** its arcs, so its explanation (runner-up, candidates) is what it would have been.

One scan per volunteer over their arcs in that order, keeping the ``C`` lowest costs
seen: an arc is dropped when ``C`` costs seen are at most its own.
"""

from __future__ import annotations

from bisect import insort
from dataclasses import dataclass, replace

import numpy as np

from core.incidents.match_solve import SolveInput, arc_cost, task_arcs
from core.matching.problem import StockProblem

_I = np.int64


@dataclass(frozen=True, eq=False)
class Pruned:
    inp: SolveInput
    needs: np.ndarray  # the kept needs' positions in the unpruned input, ascending
    old: np.ndarray  # the kept old tasks' positions, ascending


def prune(inp: SolveInput, fixed_old: np.ndarray) -> Pruned:
    """``inp`` without the needs no optimal assignment serves (see the module docstring);
    ``fixed_old`` (bool per old task) marks tasks the writer acts on whatever happens."""
    n = inp.need_lon.shape[0]
    fixed = _fixed_needs(inp, fixed_old, n)
    prunable_old = np.flatnonzero(~fixed[inp.old_need])
    visits = inp.visit_need[~fixed[inp.visit_need]]
    task_need = np.concatenate([inp.old_need[prunable_old], visits]).astype(_I)
    task_depot = np.concatenate([inp.old_depot[prunable_old], np.full(visits.size, -1)])
    arc_task, arc_vol = task_arcs(inp, task_need)
    slots = int(inp.vol_capacity.clip(min=0).sum())
    keep = fixed.copy()
    if arc_task.size:
        an = task_need[arc_task]
        cost = arc_cost(inp, an, task_depot[arc_task].astype(_I), arc_vol)
        kept = undominated(arc_vol, inp.need_priority[an], cost, arc_task, slots)
        keep[an[kept]] = True
    if keep.all():
        return Pruned(inp, np.arange(n, dtype=_I), np.arange(inp.old_need.size, dtype=_I))
    return _subset(inp, keep)


def undominated(
    vol: np.ndarray, priority: np.ndarray, cost: np.ndarray, task: np.ndarray, slots: int
) -> np.ndarray:
    """Bool per arc: fewer than ``slots`` arcs of its volunteer dominate it."""
    order = np.lexsort((task, cost, -priority, vol))
    kept = np.zeros(vol.size, dtype=bool)
    if slots <= 0:
        return kept
    v_sorted = vol[order]
    starts = np.flatnonzero(np.r_[True, v_sorted[1:] != v_sorted[:-1]])
    ends = np.r_[starts[1:], v_sorted.size]
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        if b - a <= slots:  # too few arcs for any to be dominated
            kept[order[a:b]] = True
            continue
        lowest: list[float] = []  # the ``slots`` lowest costs seen, ascending
        for i, c in zip(range(a, b), cost[order[a:b]].tolist(), strict=True):
            if len(lowest) == slots and c >= lowest[-1]:
                continue
            insort(lowest, c)
            if len(lowest) > slots:
                lowest.pop()
            kept[order[i]] = True
    return kept


def _fixed_needs(inp: SolveInput, fixed_old: np.ndarray, n: int) -> np.ndarray:
    fixed = inp.need_pin >= 0
    fixed[inp.stock.arc_need] = True
    pending = fixed_old | (inp.old_incumbent >= 0)
    fixed[inp.old_need[pending]] = True
    return fixed


def _subset(inp: SolveInput, keep: np.ndarray) -> Pruned:
    """The input restricted to the needs ``keep`` marks, positions renumbered."""
    needs = np.flatnonzero(keep).astype(_I)
    new_pos = np.full(keep.size, -1, dtype=_I)
    new_pos[needs] = np.arange(needs.size, dtype=_I)
    old = np.flatnonzero(keep[inp.old_need]).astype(_I)
    arcs = keep[inp.nv_need]
    visits = inp.visit_need[keep[inp.visit_need]]
    s = inp.stock
    stock = StockProblem(
        need_priority=s.need_priority[needs],
        demand=s.demand[needs],
        supply=s.supply,
        arc_need=new_pos[s.arc_need],  # stock arcs are of fixed needs only
        arc_depot=s.arc_depot,
        arc_cost_m=s.arc_cost_m,
    )
    smaller = replace(
        inp,
        stock=stock,
        need_lon=inp.need_lon[needs],
        need_lat=inp.need_lat[needs],
        need_priority=inp.need_priority[needs],
        need_neighbours=inp.need_neighbours[needs],
        need_pin=inp.need_pin[needs],
        nv_need=new_pos[inp.nv_need[arcs]],
        nv_vol=inp.nv_vol[arcs],
        old_need=new_pos[inp.old_need[old]],
        old_depot=inp.old_depot[old],
        old_incumbent=inp.old_incumbent[old],
        visit_need=new_pos[visits],
    )
    return Pruned(smaller, needs, old)
