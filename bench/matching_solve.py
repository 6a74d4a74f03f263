"""The pure solver alone: ``core.matching.assign`` / ``allocate_stock`` on random instances.

Generator (documented, seeded): tasks and volunteers uniform in a 100 km × 100 km square
(a Yunnan county is ~ 4,000 km²; this is deliberately sparse), each task's arcs go to
its ``k`` nearest volunteers (scipy cKDTree) at straight-line metres × 1.4 (terrain
factor), volunteer capacity 1, priorities uniform 10–100 points, 5 % of tasks with a
pending incumbent, 1 % pinned. Default: 10,000 tasks × 5,000 volunteers × 20 arcs, the
issue's figure (target: the whole solve well under 1 s). Stock: 10,000 needs × 3 items
against 500 depots, 10 candidate depots per need, demand 1–12 units, supply short by
~20 %. Prints wall times (build of the problem included) and optimum vs greedy figures.

    .venv/bin/python bench/matching_solve.py [n_tasks n_vols k]
"""

from __future__ import annotations

import sys
import time

import numpy as np
from scipy.spatial import cKDTree

from core.matching import (
    AssignProblem,
    StockProblem,
    allocate_stock,
    assign,
    greedy_allocate,
    greedy_assign,
    served_summary,
)

SIDE_M = 100_000.0
TERRAIN = 1.4


def nearest_arcs(rng: np.random.Generator, n: int, m: int, k: int) -> tuple[np.ndarray, ...]:
    """Arcs from ``n`` random points to their ``k`` nearest of ``m`` random points."""
    a, b = rng.uniform(0, SIDE_M, (n, 2)), rng.uniform(0, SIDE_M, (m, 2))
    dist, idx = cKDTree(b).query(a, k=k)
    return np.repeat(np.arange(n), k), idx.ravel(), dist.ravel() * TERRAIN


def assign_instance(n: int, v: int, k: int, seed: int = 1) -> AssignProblem:
    rng = np.random.default_rng(seed)
    arc_task, arc_vol, cost = nearest_arcs(rng, n, v, k)
    incumbent = np.where(rng.random(n) < 0.05, arc_vol[np.arange(n) * k + 2], -1)
    pinned = np.where(rng.random(n) < 0.01, arc_vol[np.arange(n) * k + 5], -1)
    return AssignProblem(task_priority=rng.uniform(10, 100, n), vol_capacity=np.ones(v, int),
                         arc_task=arc_task, arc_vol=arc_vol, arc_cost_m=cost,
                         pinned=pinned, incumbent=incumbent)  # fmt: skip


def stock_instance(n: int = 10_000, d: int = 500, items: int = 3, seed: int = 2) -> StockProblem:
    rng = np.random.default_rng(seed)
    arc_need, arc_depot, cost = nearest_arcs(rng, n, d, 10)
    demand = rng.integers(1, 13, (n, items)) * (rng.random((n, items)) < 0.6)
    supply = np.full((d, items), 0.8 * demand.sum(axis=0) / d).astype(int)
    return StockProblem(need_priority=rng.uniform(10, 100, n), demand=demand, supply=supply,
                        arc_need=arc_need, arc_depot=arc_depot, arc_cost_m=cost)  # fmt: skip


def timed(label: str, fn, *args):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    out = fn(*args)
    print(f"{label:<34} {time.perf_counter() - start:8.3f} s")
    return out


def show(name: str, figures: dict[str, float]) -> None:
    print(f"  {name:<8} " + "  ".join(f"{k}={v:,.1f}" for k, v in figures.items()))


def main(n: int = 10_000, v: int = 5_000, k: int = 20) -> None:
    timed("import ortools (first solve pays it)", __import__, "ortools.graph.python.min_cost_flow")
    problem = timed(f"build AssignProblem {n}×{v}×{k}", assign_instance, n, v, k)
    best = timed("assign (min-cost flow)", assign, problem)
    timed("assign again (warm)", assign, problem)
    greedy = timed("greedy_assign", greedy_assign, problem)
    show("optimum", served_summary(problem, best))
    show("greedy", served_summary(problem, greedy))
    stock = timed("build StockProblem 10000×500×3", stock_instance)
    plan = timed("allocate_stock (min-cost flow)", allocate_stock, stock)
    rough = timed("greedy_allocate", greedy_allocate, stock)
    show("optimum", served_summary(stock, plan))
    show("greedy", served_summary(stock, rough))


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:4]))
