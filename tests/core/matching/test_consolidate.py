"""Consolidation: a need split across depots moves to one depot that can hold all of it."""

from __future__ import annotations

import numpy as np

from core.matching import StockProblem, allocate_stock
from core.matching.consolidate import consolidate
from core.matching.stock import optimal_flows


def _problem(supply: list[list[int]], demand: list[list[int]], costs: list[float]) -> StockProblem:
    n = len(demand)
    d = len(supply)
    return StockProblem(
        need_priority=np.full(n, 10.0), demand=np.array(demand), supply=np.array(supply),
        arc_need=np.repeat(np.arange(n), d), arc_depot=np.tile(np.arange(d), n),
        arc_cost_m=np.array(costs, dtype=float),
    )  # fmt: skip


def _rows(plan) -> list[tuple[int, int, int, int]]:
    cols = (plan.need, plan.depot, plan.item, plan.quantity)
    return list(zip(*(c.tolist() for c in cols), strict=True))


def test_water_and_rice_come_from_the_one_depot_holding_both() -> None:
    # Depot 0 (1 km) holds water only; depot 1 (3 km) holds water and rice.
    p = _problem(supply=[[5, 0], [5, 5]], demand=[[5, 5]], costs=[1_000, 3_000])
    assert _rows(optimal_flows(p)) == [(0, 0, 0, 5), (0, 1, 1, 5)]  # two trips
    assert _rows(allocate_stock(p)) == [(0, 1, 0, 5), (0, 1, 1, 5)]  # one trip


def test_a_split_no_single_depot_can_cover_stays() -> None:
    p = _problem(supply=[[6], [4]], demand=[[10]], costs=[1_000, 2_000])
    assert _rows(allocate_stock(p)) == [(0, 0, 0, 6), (0, 1, 0, 4)]


def test_the_nearest_depot_that_can_hold_it_wins() -> None:
    # Depots 1 and 2 could each hold the whole need; 2 is nearer.
    p = _problem(supply=[[3, 0], [5, 5], [5, 5]], demand=[[5, 5]], costs=[500, 4_000, 2_000])
    plan = consolidate(p, optimal_flows(p))
    assert {d for _, d, _, _ in _rows(plan)} == {2}


def test_higher_priority_needs_consolidate_first_when_stock_is_tight() -> None:
    # Depot 1 can make one whole need, not two; need 1 is more urgent.
    p = StockProblem(
        need_priority=np.array([10.0, 50.0]), demand=np.array([[2, 2], [2, 2]]),
        supply=np.array([[4, 0], [2, 4]]), arc_need=np.array([0, 0, 1, 1]),
        arc_depot=np.array([0, 1, 0, 1]), arc_cost_m=np.array([100.0, 900.0, 100.0, 900.0]),
    )  # fmt: skip
    plan = allocate_stock(p)
    by_need = {n: {d for m, d, _, _ in _rows(plan) if m == n} for n in (0, 1)}
    assert by_need[1] == {1} and by_need[0] == {0, 1}
    left = p.supply.copy()
    np.subtract.at(left, (plan.depot, plan.item), plan.quantity)
    assert (left >= 0).all() and plan.quantity.sum() == 8
