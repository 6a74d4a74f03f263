"""Fewer trips: a need split across depots moves to one depot that can hold all of it.

The optimal per-item flows of :func:`core.matching.stock.allocate_stock` may serve one
need from several depots, and each depot is a separate task and a separate volunteer's
trip; with volunteers scarcer than tasks, a need then waits for several of them. So,
needs by priority (desc, ties by index): when a candidate depot has enough stock left for
everything the plan gives the need (counting what the need already takes there), all its
lines move to the nearest such depot. Quantities served never change — so neither does
the priority served — only where they come from.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from core.matching.problem import StockPlan, StockProblem


def consolidate(p: StockProblem, plan: StockPlan) -> StockPlan:
    """``plan`` with each split need served from one depot where stock allows."""
    n = p.need_priority.shape[0]
    first = np.ones(plan.need.size, dtype=bool)  # rows are sorted by (need, depot, item)
    first[1:] = (plan.need[1:] != plan.need[:-1]) | (plan.depot[1:] != plan.depot[:-1])
    is_split = np.bincount(plan.need[first], minlength=n) > 1
    if not is_split.any():
        return plan
    left_np = p.supply.astype(np.int64).copy()
    np.subtract.at(left_np, (plan.depot, plan.item), plan.quantity)
    left = left_np.tolist()  # Python ints: the loop below reads single cells
    keep = ~is_split[plan.need]
    lines: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    moving = ~keep
    for need, depot, item, q in zip(*(c[moving].tolist() for c in plan.columns()), strict=True):
        lines[need].append((depot, item, q))
    near: dict[int, list[int]] = defaultdict(list)
    arcs = np.flatnonzero(is_split[p.arc_need])
    arcs = arcs[np.lexsort((p.arc_depot[arcs], p.arc_cost_m[arcs], p.arc_need[arcs]))]
    for need, depot in zip(p.arc_need[arcs].tolist(), p.arc_depot[arcs].tolist(), strict=True):
        near[need].append(depot)
    split = sorted(lines, key=lambda m: (-float(p.need_priority[m]), m))
    for need in split:
        lines[need] = _one_depot(lines[need], near[need], left)
    moved = [(m, d, j, q) for m in split for d, j, q in lines[m]]
    new = np.asarray(moved, dtype=np.int64).reshape(-1, 4).T
    need, depot, item, quantity = (
        np.concatenate([c[keep], extra]) for c, extra in zip(plan.columns(), new, strict=True)
    )
    order = np.lexsort((item, depot, need))
    return StockPlan(need=need[order], depot=depot[order], item=item[order],
                     quantity=quantity[order])  # fmt: skip


def _one_depot(
    lines: list[tuple[int, int, int]], near: list[int], left: list[list[int]]
) -> list[tuple[int, int, int]]:
    """A need's (depot, item, quantity) lines, moved to the nearest depot that can hold
    them all (``left`` updated), else unchanged."""
    total: dict[int, int] = defaultdict(int)
    for _, item, q in lines:
        total[item] += q
    wanted = sorted(total.items())
    for depot in near:
        row = left[depot]
        if all(row[j] >= q for j, q in wanted):  # what the need takes here already is in q
            fits = True
        else:
            here = {item: q for d, item, q in lines if d == depot}
            fits = bool(here) and all(row[j] + here.get(j, 0) >= q for j, q in wanted)
        if fits:
            for d, item, q in lines:
                left[d][item] += q
            for item, q in wanted:
                row[item] -= q
            return [(depot, item, q) for item, q in wanted]
    return lines
