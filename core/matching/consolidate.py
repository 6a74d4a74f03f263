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
    rows = defaultdict(list)
    columns = (plan.need, plan.depot, plan.item, plan.quantity)
    for need, depot, item, q in zip(*(c.tolist() for c in columns), strict=True):
        rows[need].append((depot, item, q))
    split = [n for n, lines in rows.items() if len({d for d, _, _ in lines}) > 1]
    if not split:
        return plan
    left = p.supply.astype(np.int64).copy()
    np.subtract.at(left, (plan.depot, plan.item), plan.quantity)
    near = defaultdict(list)
    arcs = zip(p.arc_need.tolist(), p.arc_depot.tolist(), p.arc_cost_m.tolist(), strict=True)
    for need, depot, _ in sorted(arcs, key=lambda a: (a[0], a[2], a[1])):
        near[need].append(depot)
    split.sort(key=lambda n: (-float(p.need_priority[n]), n))
    for need in split:
        lines = rows[need]
        total: dict[int, int] = defaultdict(int)
        for _, item, q in lines:
            total[item] += q
        for depot in near[need]:
            here = {item: q for d, item, q in lines if d == depot}
            if all(left[depot, j] + here.get(j, 0) >= q for j, q in total.items()):
                for d, item, q in lines:
                    left[d, item] += q
                for item, q in total.items():
                    left[depot, item] -= q
                rows[need] = [(depot, item, q) for item, q in sorted(total.items())]
                break
    flat = [(n, d, j, q) for n in sorted(rows) for d, j, q in sorted(rows[n])]
    need, depot, item, quantity = (np.asarray(c, dtype=np.int64) for c in zip(*flat, strict=True))
    return StockPlan(need=need, depot=depot, item=item, quantity=quantity)
