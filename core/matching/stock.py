"""Stock to needs: a transportation problem per item, and the greedy baseline.

Objective (lexicographic): first maximise Σ priority × share of the need's demand served,
then minimise Σ units × travel metres (depot → need). The *share* is per item: the mean,
over the items a need asks for, of the fraction of that item served — so one tent of a
"tent + 24 bottles" need counts half the need, as much as all the bottles. One unit of
item j to need i is therefore worth ``priority[i] / (k_i × demand[i, j])`` (k_i = items
the need asks for), the objective is separable by item, and each item is solved alone::

    source ──cap supply[d, j]──▶ depot d ──cost travel, cap min(demand, supply)──▶ need i
       └───────────── "unserved", cost W × unit value[i] ──────────────────────▶ need i
                                                          (need i demands demand[i, j])

with integer costs (:mod:`core.matching._flow`): travel in whole metres, unit values
quantised to 1/1,000 of the item's largest (at least one quantum, so zero-priority needs
are still served when stock is spare), ``W`` above Σ demand × dearest arc of the need.

A need may be split across depots; only candidate arcs carry stock. Rows come out sorted
by (need, depot, item). The optimum among equal-cost plans is deterministic but not by
index; the greedy baseline breaks every tie by index.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from core.matching import _flow
from core.matching.consolidate import consolidate
from core.matching.problem import StockPlan, StockProblem

__all__ = ["allocate_stock", "greedy_allocate", "item_groups", "merge_plans", "optimal_flows"]


def allocate_stock(p: StockProblem) -> StockPlan:
    """The optimal plan (:func:`optimal_flows`), then split needs moved to one depot where
    stock allows (:func:`~core.matching.consolidate.consolidate`): fewer trips."""
    return consolidate(p, optimal_flows(p))


def optimal_flows(p: StockProblem, items: Sequence[int] | None = None) -> StockPlan:
    """The lexicographic optimum of the module docstring: one min-cost flow per item
    (``items``: only those item columns; the flows are independent, so plans of disjoint
    item groups solved apart — in parallel processes — :func:`merge_plans` to the whole)."""
    asks = (p.demand > 0).sum(axis=1)
    usable = _usable(p)
    todo = range(p.demand.shape[1]) if items is None else items
    return _plan([_item(p, j, np.flatnonzero(usable[:, j]), asks) for j in todo])


def item_groups(p: StockProblem, n: int) -> list[list[int]]:
    """Item columns in at most ``n`` groups of about equal work (usable arcs), largest
    first, for :func:`optimal_flows` in ``n`` processes; items with no usable arc left out."""
    arcs = _usable(p).sum(axis=0)
    groups: list[list[int]] = [[] for _ in range(max(1, n))]
    load = [0] * len(groups)
    for j in np.argsort(-arcs, kind="stable").tolist():
        if arcs[j]:
            lightest = load.index(min(load))
            groups[lightest].append(j)
            load[lightest] += int(arcs[j])
    return [g for g in groups if g]


def merge_plans(plans: Sequence[StockPlan]) -> StockPlan:
    """Plans of disjoint item groups as one plan, rows sorted by (need, depot, item)."""
    return _plan([plan.columns() for plan in plans])


def _usable(p: StockProblem) -> np.ndarray:
    """(n_arcs, n_items): the need asks for the item and the depot holds some."""
    return (p.demand[p.arc_need] > 0) & (p.supply[p.arc_depot] > 0)


def _item(p: StockProblem, j: int, arcs: np.ndarray, asks: np.ndarray) -> tuple[np.ndarray, ...]:
    """Rows (need, depot, item, quantity) of item ``j`` over its usable ``arcs``."""
    if arcs.size == 0:
        return ()
    needs, an = np.unique(p.arc_need[arcs], return_inverse=True)
    depots, ad = np.unique(p.arc_depot[arcs], return_inverse=True)
    ni, nd = needs.size, depots.size
    want = p.demand[needs, j]
    have = p.supply[depots, j]
    value = _flow.value_units(p.need_priority[needs] / (asks[needs] * want))
    cost_m = p.arc_cost_m[arcs]
    top_value, total = int(value.max()), int(want.sum())

    def build(unit: float, limit: int) -> np.ndarray | None:
        travel = np.round(cost_m / unit).astype(np.int64)
        w = int((want * _flow.per_group_max(an, travel, ni)).sum()) + 1
        if w * top_value > limit:
            return None
        return np.concatenate([travel, np.zeros(nd, np.int64), w * value])

    source = ni + nd
    costs = _flow.fit(build, ni + nd + 1)
    flows = _flow.solve(
        ni + nd + 1,
        tails=np.concatenate([ni + ad, np.full(nd + ni, source)]),
        heads=np.concatenate([an, ni + np.arange(nd), np.arange(ni)]),
        capacities=np.concatenate([np.minimum(want[an], have[ad]), have, want]),
        costs=costs,
        supplies=np.concatenate([-want, np.zeros(nd, np.int64), [total]]),
    )  # fmt: skip
    moved = flows[: arcs.size]
    sent = np.flatnonzero(moved > 0)
    return needs[an[sent]], depots[ad[sent]], np.full(sent.size, j), moved[sent]


def greedy_allocate(p: StockProblem) -> StockPlan:
    """Needs by priority (desc, ties by index); each item from the nearest candidate
    depot with stock (ties by depot index), then the next, until served or out of depots."""
    n = p.need_priority.shape[0]
    rank = np.empty(n, dtype=np.int64)
    rank[np.lexsort((np.arange(n), -p.need_priority))] = np.arange(n)
    order = np.lexsort((p.arc_depot, p.arc_cost_m, rank[p.arc_need]))
    by_need: dict[int, list[int]] = {}
    for need, depot in zip(p.arc_need[order].tolist(), p.arc_depot[order].tolist(), strict=True):
        by_need.setdefault(need, []).append(depot)
    left = p.supply.tolist()
    rows: list[tuple[int, int, int, int]] = []
    for need, depots in by_need.items():  # insertion order = priority order
        for j in np.flatnonzero(p.demand[need] > 0).tolist():
            want = int(p.demand[need, j])
            for depot in depots:
                take = min(want, left[depot][j])
                if take > 0:
                    rows.append((need, depot, j, take))
                    left[depot][j] -= take
                    want -= take
                    if want == 0:
                        break
    cols = np.asarray(rows, dtype=np.int64).reshape(-1, 4).T
    return _plan([tuple(cols)])


def _plan(parts: list[tuple[np.ndarray, ...]]) -> StockPlan:
    """Concatenate row parts and sort by (need, depot, item)."""
    parts = [part for part in parts if part and part[0].size]
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return StockPlan(need=empty, depot=empty.copy(), item=empty.copy(), quantity=empty.copy())
    need, depot, item, quantity = (np.concatenate([part[k] for part in parts]).astype(np.int64)
                                   for k in range(4))  # fmt: skip
    order = np.lexsort((item, depot, need))
    return StockPlan(need=need[order], depot=depot[order], item=item[order],
                     quantity=quantity[order])  # fmt: skip
