"""Hand-checked stock plans: splits, nearest depots, priority, per-item shares."""

from __future__ import annotations

import numpy as np
import pytest

from core.matching import (
    StockProblem,
    allocate_stock,
    greedy_allocate,
    served_share,
    served_summary,
)
from core.matching.stock import item_groups, merge_plans, optimal_flows

SOLVERS = [allocate_stock, greedy_allocate]


def problem(priority, demand, supply, arcs) -> StockProblem:
    """``arcs``: (need, depot, metres) triples."""
    n, d, c = ([a[k] for a in arcs] for k in range(3))
    return StockProblem(
        need_priority=np.asarray(priority, float),
        demand=np.asarray(demand).reshape(len(priority), -1),
        supply=np.asarray(supply), arc_need=np.asarray(n, int), arc_depot=np.asarray(d, int),
        arc_cost_m=np.asarray(c, float),
    )  # fmt: skip


def rows(plan) -> list[tuple[int, int, int, int]]:
    return list(zip(plan.need.tolist(), plan.depot.tolist(), plan.item.tolist(),
                    plan.quantity.tolist(), strict=True))  # fmt: skip


@pytest.mark.parametrize("solve", SOLVERS)
def test_a_need_is_split_across_depots(solve) -> None:
    p = problem([10], [[10]], [[6], [4]], [(0, 0, 1000), (0, 1, 5000)])
    assert rows(solve(p)) == [(0, 0, 0, 6), (0, 1, 0, 4)]
    assert served_summary(p, solve(p))["travel_unit_m"] == 6 * 1000 + 4 * 5000


@pytest.mark.parametrize("solve", SOLVERS)
def test_the_nearest_depot_serves_when_it_can(solve) -> None:
    p = problem([10], [[5]], [[10], [10]], [(0, 0, 5000), (0, 1, 1000)])
    assert rows(solve(p)) == [(0, 1, 0, 5)]


@pytest.mark.parametrize("solve", SOLVERS)
def test_priority_wins_under_scarcity(solve) -> None:
    p = problem([10, 20], [[5], [5]], [[5]], [(0, 0, 100), (1, 0, 90_000)])
    assert rows(solve(p)) == [(1, 0, 0, 5)]


def test_greedy_nearest_first_is_worse_and_the_engine_serves_both() -> None:
    # H (20) may draw from A (near) or B (far); L (10) only from A. Greedy empties A for H.
    p = problem([10, 20], [[5], [5]], [[5], [5]], [(0, 0, 100), (1, 0, 200), (1, 1, 30_000)])
    assert rows(greedy_allocate(p)) == [(1, 0, 0, 5)]
    best = allocate_stock(p)
    assert rows(best) == [(0, 0, 0, 5), (1, 1, 0, 5)]
    assert served_summary(p, best)["priority_served"] == 30.0
    assert served_summary(p, greedy_allocate(p))["priority_served"] == 20.0


def test_equal_priorities_minimise_unit_metres() -> None:
    # two needs, two depots: nearest-first for need 0 forces need 1 onto a long haul
    p = problem([10, 10], [[4], [4]], [[4], [4]],
                [(0, 0, 1000), (0, 1, 2000), (1, 0, 2000), (1, 1, 10_000)])  # fmt: skip
    assert rows(greedy_allocate(p)) == [(0, 0, 0, 4), (1, 1, 0, 4)]
    assert rows(allocate_stock(p)) == [(0, 1, 0, 4), (1, 0, 0, 4)]
    assert served_summary(p, allocate_stock(p))["travel_unit_m"] == 16_000.0


def test_share_is_per_item() -> None:
    # one tent: need 0 (priority 10) asks a tent and 24 bottles, need 1 (priority 12) a tent.
    # Per-item share: the tent is half of need 0 (worth 5) and all of need 1 (worth 12).
    p = problem([10, 12], [[1, 24], [1, 0]], [[1, 100]], [(0, 0, 100), (1, 0, 9000)])
    plan = allocate_stock(p)
    assert rows(plan) == [(0, 0, 1, 24), (1, 0, 0, 1)]
    assert served_share(p, plan).tolist() == [0.5, 1.0]
    assert served_summary(p, plan)["priority_served"] == 10 * 0.5 + 12


@pytest.mark.parametrize("solve", SOLVERS)
def test_several_items_from_several_depots(solve) -> None:
    p = problem([10], [[3, 2]], [[3, 0], [1, 5]], [(0, 0, 100), (0, 1, 200)])
    assert rows(solve(p)) == [(0, 0, 0, 3), (0, 1, 1, 2)]


@pytest.mark.parametrize("solve", SOLVERS)
def test_nothing_without_arcs_or_stock(solve) -> None:
    assert rows(solve(problem([10], [[5]], [[5]], []))) == []
    assert rows(solve(problem([10], [[5]], [[0]], [(0, 0, 100)]))) == []
    assert rows(solve(problem([10], [[0]], [[5]], [(0, 0, 100)]))) == []
    assert rows(solve(problem([0.0], [[2]], [[5]], [(0, 0, 100)]))) == [(0, 0, 0, 2)]


@pytest.mark.parametrize("solve", SOLVERS)
def test_plans_are_sorted_positive_and_deterministic(solve) -> None:
    rng = np.random.default_rng(3)
    n, d, m = 60, 12, 3
    arcs = [(i, j, float(rng.integers(100, 20_000))) for i in range(n)
            for j in sorted(rng.choice(d, 4, replace=False).tolist())]  # fmt: skip
    p = problem(rng.integers(1, 60, n), rng.integers(0, 6, (n, m)), rng.integers(0, 15, (d, m)),
                arcs)  # fmt: skip
    plan = solve(p)
    got = rows(plan)
    assert got == sorted(got) and all(q > 0 for *_, q in got)
    assert got == rows(solve(p))
    served = np.zeros((n, m), int)
    np.add.at(served, (plan.need, plan.item), plan.quantity)
    assert (served <= p.demand).all()
    taken = np.zeros((d, m), int)
    np.add.at(taken, (plan.depot, plan.item), plan.quantity)
    assert (taken <= p.supply).all()
    pairs = {(i, j) for i, j, _ in arcs}
    assert all((i, j) in pairs for i, j, *_ in got)


def test_item_groups_solved_apart_merge_to_the_whole_plan() -> None:
    """Flows of disjoint item groups (one per solver process) merge to the same plan."""
    rng = np.random.default_rng(4)
    n, d = 60, 8
    arcs = [(i, j, float(rng.uniform(100, 9000))) for i in range(n) for j in range(d)
            if rng.random() < 0.5]  # fmt: skip
    demand = rng.integers(0, 6, (n, 3)) * (rng.random((n, 3)) < 0.7)
    demand[:, 2] = 0  # nobody asks for item 2: it has no arc and no group
    p = problem(rng.uniform(1, 50, n), demand, rng.integers(0, 15, (d, 3)), arcs)
    groups = item_groups(p, 2)
    assert sorted(j for g in groups for j in g) == [0, 1] and len(groups) == 2
    merged = merge_plans([optimal_flows(p, g) for g in reversed(groups)])
    assert rows(merged) == rows(optimal_flows(p))
    assert item_groups(p, 1) == [[0, 1]] or item_groups(p, 1) == [[1, 0]]
