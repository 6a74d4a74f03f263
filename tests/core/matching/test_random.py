"""Random instances: the optimum against greedy, brute force (SciPy) and linear programs."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment, linprog

from core.matching import (
    AssignProblem,
    StockProblem,
    allocate_stock,
    assign,
    greedy_allocate,
    greedy_assign,
    served_summary,
)
from core.matching.stock import optimal_flows


def random_assign(seed: int, n: int = 300, v: int = 200, k: int = 10) -> AssignProblem:
    rng = np.random.default_rng(seed)
    vols = np.stack([rng.choice(v, k, replace=False) for _ in range(n)])
    return AssignProblem(
        task_priority=rng.integers(1, 60, n).astype(float), vol_capacity=rng.integers(0, 3, v),
        arc_task=np.repeat(np.arange(n), k), arc_vol=vols.ravel(),
        arc_cost_m=rng.integers(100, 30_000, n * k).astype(float),
        pinned=np.where(rng.random(n) < 0.05, vols[:, 3], -1), incumbent=np.full(n, -1),
    )  # fmt: skip


def feasible(p: AssignProblem, vol_of_task: np.ndarray) -> bool:
    served = np.flatnonzero(vol_of_task >= 0)
    pairs = set(zip(p.arc_task.tolist(), p.arc_vol.tolist(), strict=True))
    load = np.bincount(vol_of_task[served], minlength=p.vol_capacity.size)
    pins = p.pinned[served]
    return (all((t, int(vol_of_task[t])) in pairs for t in served.tolist())
            and bool((load <= p.vol_capacity).all())
            and bool(((pins < 0) | (pins == vol_of_task[served])).all()))  # fmt: skip


@pytest.mark.parametrize("seed", range(5))
def test_medium_optimum_beats_greedy(seed) -> None:
    p = random_assign(seed)
    best, greedy = assign(p), greedy_assign(p)
    assert feasible(p, best.vol_of_task) and feasible(p, greedy.vol_of_task)
    ours, theirs = served_summary(p, best), served_summary(p, greedy)
    assert ours["priority_served"] >= theirs["priority_served"]
    if ours["priority_served"] == theirs["priority_served"]:
        assert ours["travel_m"] <= theirs["travel_m"]
    again = assign(p)
    for name in ("vol_of_task", "cost_m", "runner_up", "runner_up_cost_m", "candidates"):
        np.testing.assert_array_equal(getattr(again, name), getattr(best, name))
    assert best.candidates.tolist() == [10] * 300


def brute_force(p: AssignProblem) -> tuple[float, float]:
    """(Σ priority served, Σ adjusted travel) of the lexicographic optimum, by SciPy."""
    n, v = p.task_priority.size, p.vol_capacity.size
    cost = np.full((n, v), np.inf)
    adjusted = p.arc_cost_m - np.where(p.arc_vol == p.incumbent[p.arc_task],
                                       p.keep_bonus_m + 0.5, 0.0)  # fmt: skip
    cost[p.arc_task, p.arc_vol] = adjusted
    pinned = np.flatnonzero(p.pinned >= 0)
    keep = cost[pinned, p.pinned[pinned]]
    cost[pinned] = np.inf
    cost[pinned, p.pinned[pinned]] = keep
    weight = 1 + n * (float(np.abs(adjusted).max()) if adjusted.size else 1.0) * 2
    columns = np.repeat(np.arange(v), p.vol_capacity)
    dummy = np.full((n, n), np.inf)
    np.fill_diagonal(dummy, weight * p.task_priority)
    rows, cols = linear_sum_assignment(np.hstack([cost[:, columns], dummy]))
    real = cols < columns.size
    served = rows[real]
    return float(p.task_priority[served].sum()), float(cost[served, columns[cols[real]]].sum())


def adjusted_objective(p: AssignProblem, vol_of_task: np.ndarray) -> tuple[float, float]:
    served = np.flatnonzero(vol_of_task >= 0)
    travel = 0.0
    for t in served.tolist():
        arc = np.flatnonzero((p.arc_task == t) & (p.arc_vol == vol_of_task[t]))[0]
        bonus = p.keep_bonus_m + 0.5 if vol_of_task[t] == p.incumbent[t] else 0.0
        travel += p.arc_cost_m[arc] - bonus
    return float(p.task_priority[served].sum()), travel


@pytest.mark.parametrize("seed", range(60))
def test_small_dense_cases_match_linear_sum_assignment(seed) -> None:
    rng = np.random.default_rng(1000 + seed)
    n, v = int(rng.integers(1, 8)), int(rng.integers(1, 6))
    mask = rng.random((n, v)) < 0.8
    t, vol = np.nonzero(mask)
    arcs_of = [vol[t == i] for i in range(n)]
    p = AssignProblem(
        task_priority=rng.integers(1, 10, n).astype(float), vol_capacity=rng.integers(0, 3, v),
        arc_task=t, arc_vol=vol, arc_cost_m=rng.integers(1, 1000, t.size).astype(float),
        pinned=np.array([rng.choice(a) if a.size and rng.random() < 0.2 else -1 for a in arcs_of]),
        incumbent=np.array([rng.choice(a) if a.size and rng.random() < 0.3 else -1
                            for a in arcs_of]),
        keep_bonus_m=float(rng.integers(0, 400)),
    )  # fmt: skip
    result = assign(p)
    assert feasible(p, result.vol_of_task)
    assert adjusted_objective(p, result.vol_of_task) == brute_force(p)


def random_stock(rng: np.random.Generator, n: int, d: int, m: int, per_need: int) -> StockProblem:
    arc_need = np.repeat(np.arange(n), per_need)
    arc_depot = np.concatenate([rng.choice(d, per_need, replace=False) for _ in range(n)])
    return StockProblem(
        need_priority=120.0 * rng.integers(1, 9, n), demand=rng.integers(0, 6, (n, m)),
        supply=rng.integers(0, 8, (d, m)), arc_need=arc_need, arc_depot=arc_depot,
        arc_cost_m=rng.integers(100, 20_000, arc_need.size).astype(float),
    )  # fmt: skip


def lexicographic_lp(p: StockProblem) -> tuple[float, float]:
    """(Σ priority × per-item share, Σ unit-metres) by two linear programs (HiGHS)."""
    asks = np.maximum((p.demand > 0).sum(axis=1), 1)
    value, travel, need_rows, depot_rows = [], [], [], []
    for j in range(p.demand.shape[1]):
        for a in range(p.arc_need.size):
            i, d = p.arc_need[a], p.arc_depot[a]
            if p.demand[i, j] and p.supply[d, j]:
                value.append(p.need_priority[i] / (asks[i] * p.demand[i, j]))
                travel.append(p.arc_cost_m[a])
                need_rows.append(i * 100 + j)
                depot_rows.append(d * 100 + j)
    if not value:
        return 0.0, 0.0
    keys = sorted(set(need_rows)) + sorted(set(depot_rows))
    bounds = [p.demand[k // 100, k % 100] for k in sorted(set(need_rows))]
    bounds += [p.supply[k // 100, k % 100] for k in sorted(set(depot_rows))]
    a_ub = np.zeros((len(keys), len(value)))
    for x, (nr, dr) in enumerate(zip(need_rows, depot_rows, strict=True)):
        a_ub[keys.index(nr), x] = 1
        a_ub[len(set(need_rows)) + sorted(set(depot_rows)).index(dr), x] = 1
    first = linprog(-np.array(value), A_ub=a_ub, b_ub=bounds, method="highs")
    best = -first.fun
    second = linprog(np.array(travel), A_ub=np.vstack([a_ub, -np.array(value)]),
                     b_ub=[*bounds, -best + 1e-7], method="highs")  # fmt: skip
    return best, second.fun


@pytest.mark.parametrize("seed", range(30))
def test_small_stock_cases_match_two_linear_programs(seed) -> None:
    rng = np.random.default_rng(2000 + seed)
    p = random_stock(rng, n=int(rng.integers(1, 7)), d=4, m=int(rng.integers(1, 3)), per_need=3)
    flows = optimal_flows(p)
    figures = served_summary(p, flows)
    value, travel = lexicographic_lp(p)
    assert figures["priority_served"] == pytest.approx(value, abs=1e-6)
    assert figures["travel_unit_m"] == pytest.approx(travel, abs=1e-4)
    # Consolidating trips moves stock between depots, never changes what each need gets.
    plan = allocate_stock(p)
    assert served_summary(p, plan)["priority_served"] == pytest.approx(value, abs=1e-6)
    assert _per_need_item(plan) == _per_need_item(flows)
    assert len(set(zip(plan.need.tolist(), plan.depot.tolist(), strict=True))) <= len(
        set(zip(flows.need.tolist(), flows.depot.tolist(), strict=True))
    )
    left = p.supply.copy()
    np.subtract.at(left, (plan.depot, plan.item), plan.quantity)
    assert (left >= 0).all()


def _per_need_item(plan) -> dict:
    out: dict = {}
    for n, j, q in zip(plan.need.tolist(), plan.item.tolist(), plan.quantity.tolist(), strict=True):
        out[(n, j)] = out.get((n, j), 0) + q
    return out


@pytest.mark.parametrize("seed", range(3))
def test_medium_stock_optimum_beats_greedy(seed) -> None:
    p = random_stock(np.random.default_rng(seed), n=300, d=40, m=3, per_need=8)
    ours = served_summary(p, allocate_stock(p))
    theirs = served_summary(p, greedy_allocate(p))
    assert ours["priority_served"] >= theirs["priority_served"] - 1e-9
    if ours["priority_served"] <= theirs["priority_served"] + 1e-9:
        assert ours["travel_unit_m"] <= theirs["travel_unit_m"]
