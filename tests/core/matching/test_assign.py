"""Hand-checked assignments: optimum vs greedy, priority, pins, forbidden arcs, hysteresis."""

from __future__ import annotations

import numpy as np
import pytest

from core.matching import AssignProblem, _flow, assign, greedy_assign, served_summary

SOLVERS = [assign, greedy_assign]


def problem(priority, capacity, arcs, pinned=None, incumbent=None, bonus=500.0) -> AssignProblem:
    """``arcs``: (task, volunteer, metres) triples."""
    n = len(priority)
    t, v, c = (list(col) for col in zip(*arcs, strict=True)) if arcs else ([], [], [])
    return AssignProblem(
        task_priority=np.asarray(priority, float), vol_capacity=np.asarray(capacity),
        arc_task=np.asarray(t, int), arc_vol=np.asarray(v, int), arc_cost_m=np.asarray(c, float),
        pinned=np.full(n, -1) if pinned is None else np.asarray(pinned),
        incumbent=np.full(n, -1) if incumbent is None else np.asarray(incumbent),
        keep_bonus_m=bonus,
    )  # fmt: skip


# Tasks A=0, B=1; volunteers X=0, Y=1. Greedy gives A the shared nearest X and B a long trip.
CROSS = problem([10, 10], [1, 1], [(0, 0, 1000), (0, 1, 2000), (1, 0, 2000), (1, 1, 10000)])


def test_greedy_nearest_first_is_worse_and_the_engine_finds_the_optimum() -> None:
    best, greedy = assign(CROSS), greedy_assign(CROSS)
    assert best.vol_of_task.tolist() == [1, 0]
    assert best.cost_m.tolist() == [2000.0, 2000.0]
    assert greedy.vol_of_task.tolist() == [0, 1]
    assert greedy.cost_m.tolist() == [1000.0, 10000.0]
    assert served_summary(CROSS, best)["travel_m"] == 4000.0
    assert served_summary(CROSS, greedy)["travel_m"] == 11000.0
    assert (best.solver, greedy.solver) == ("min_cost_flow", "greedy")


def test_runner_up_and_candidates_are_exact() -> None:
    best = assign(CROSS)
    # the runner-up is the cheapest other arc, even when that volunteer serves another task
    assert best.runner_up.tolist() == [0, 1]
    assert best.runner_up_cost_m.tolist() == [1000.0, 10000.0]
    assert best.candidates.tolist() == [2, 2]
    p = problem([5, 5], [1, 1, 0, 1], [(0, 3, 900), (0, 2, 100), (0, 1, 300), (0, 0, 350)])
    for r in (assign(p), greedy_assign(p)):
        assert r.vol_of_task.tolist() == [1, -1]
        assert r.runner_up[1] == -1 and np.isnan(r.runner_up_cost_m[1])
        assert r.candidates.tolist() == [4, 0]
        # volunteer 2 (100 m) has no free slot: never chosen, never the runner-up
        assert r.runner_up[0] == 0 and r.runner_up_cost_m[0] == 350.0


@pytest.mark.parametrize("solve", SOLVERS)
def test_priority_wins_under_scarcity(solve) -> None:
    p = problem([10, 20], [1], [(0, 0, 100), (1, 0, 50_000)])
    r = solve(p)
    assert r.vol_of_task.tolist() == [-1, 0]
    assert np.isnan(r.cost_m[0]) and r.cost_m[1] == 50_000.0


def test_sum_of_priorities_served_beats_any_travel() -> None:
    # H (30) may go to X (near) or Y (very far); L (10) only to X. Greedy leaves L unserved.
    p = problem([30, 10], [1, 1], [(0, 0, 100), (0, 1, 90_000), (1, 0, 200)])
    assert greedy_assign(p).vol_of_task.tolist() == [0, -1]
    best = assign(p)
    assert best.vol_of_task.tolist() == [1, 0]
    assert served_summary(p, best)["priority_served"] == 40.0


@pytest.mark.parametrize("solve", SOLVERS)
def test_pinned_is_respected_even_when_more_costly(solve) -> None:
    p = problem([10], [1, 1], [(0, 0, 100), (0, 1, 9000)], pinned=[1])
    r = solve(p)
    assert r.vol_of_task.tolist() == [1] and r.cost_m.tolist() == [9000.0]
    assert r.runner_up.tolist() == [0] and r.candidates.tolist() == [2]


@pytest.mark.parametrize("solve", SOLVERS)
def test_pinned_to_an_absent_arc_leaves_the_task_unserved(solve) -> None:
    p = problem([10], [1, 1, 1], [(0, 0, 100), (0, 1, 200)], pinned=[2])
    r = solve(p)
    assert r.vol_of_task.tolist() == [-1]
    assert r.runner_up.tolist() == [0] and r.runner_up_cost_m.tolist() == [100.0]


@pytest.mark.parametrize("solve", SOLVERS)
def test_absent_forbidden_arcs_are_never_chosen(solve) -> None:
    # volunteer 0 is nearest to everyone but forbidden for task 0 (no arc): task 0 goes far
    p = problem([50, 10], [1, 1], [(0, 1, 8000), (1, 0, 100), (1, 1, 200)])
    assert solve(p).vol_of_task.tolist() == [1, 0]
    rng = np.random.default_rng(7)
    pairs = {(t, v) for t in range(40) for v in rng.choice(30, 4, replace=False).tolist()}
    p = problem(rng.integers(1, 50, 40), np.ones(30, int),
                [(t, v, float(rng.integers(1, 5000))) for t, v in sorted(pairs)])  # fmt: skip
    r = solve(p)
    served = np.flatnonzero(r.vol_of_task >= 0)
    assert served.size > 0
    assert all((t, r.vol_of_task[t]) in pairs for t in served.tolist())


@pytest.mark.parametrize("solve", SOLVERS)
@pytest.mark.parametrize(("other_m", "kept"), [(1000, True), (800, True), (799, False)])
def test_incumbent_kept_for_a_small_gain_switched_for_a_large_one(solve, other_m, kept) -> None:
    # incumbent Y at 1300 m, bonus 500 m: X must be more than 500 m nearer to win
    p = problem([10], [1, 1], [(0, 0, other_m), (0, 1, 1300)], incumbent=[1])
    assert solve(p).vol_of_task.tolist() == ([1] if kept else [0])


def test_incumbent_hysteresis_holds_inside_a_larger_exchange() -> None:
    # task 0's incumbent is X; taking X away for task 1 saves 400 m in total (< 500): kept
    arcs = [(0, 0, 1000), (0, 1, 1200), (1, 0, 1000), (1, 1, 1600)]
    p = problem([10, 10], [1, 1], arcs, incumbent=[0, -1])
    assert assign(p).vol_of_task.tolist() == [0, 1]
    arcs = [(0, 0, 1000), (0, 1, 1200), (1, 0, 1000), (1, 1, 2000)]
    p = problem([10, 10], [1, 1], arcs, incumbent=[0, -1])
    assert assign(p).vol_of_task.tolist() == [1, 0]  # saves 800 m > 500: withdrawn


@pytest.mark.parametrize("solve", SOLVERS)
def test_capacity_two_volunteer_takes_two_tasks(solve) -> None:
    arcs = [(0, 0, 100), (1, 0, 200), (2, 0, 300)]
    assert solve(problem([5, 5, 5], [2], arcs)).vol_of_task.tolist() == [0, 0, -1]
    assert solve(problem([5, 5, 5], [1], arcs)).vol_of_task.tolist() == [0, -1, -1]
    assert solve(problem([5, 5, 5], [0], arcs)).vol_of_task.tolist() == [-1, -1, -1]


@pytest.mark.parametrize("solve", SOLVERS)
def test_unserved_when_no_arcs(solve) -> None:
    r = solve(problem([10, 20], [1, 1], []))
    assert r.vol_of_task.tolist() == [-1, -1] and r.candidates.tolist() == [0, 0]
    assert r.runner_up.tolist() == [-1, -1]
    assert np.isnan(r.cost_m).all() and np.isnan(r.runner_up_cost_m).all()
    empty = solve(problem([], [1], []))
    assert empty.vol_of_task.shape == (0,) and empty.candidates.shape == (0,)


@pytest.mark.parametrize("solve", SOLVERS)
def test_zero_priority_task_is_still_served_by_a_free_volunteer(solve) -> None:
    assert solve(problem([0.0], [1], [(0, 0, 40_000)])).vol_of_task.tolist() == [0]


def test_long_distances_and_large_priorities_are_scaled_without_overflow() -> None:
    p = problem([5000, 4000], [1, 1],
                [(0, 0, 3e6), (0, 1, 3.002e6), (1, 0, 3.001e6), (1, 1, 3.9e6)])  # fmt: skip
    assert assign(p).vol_of_task.tolist() == [1, 0]


def test_travel_is_coarsened_when_costs_would_not_fit(monkeypatch) -> None:
    seen: list[float] = []
    real_fit = _flow.fit

    def fit(build, n_nodes):
        costs = real_fit(lambda unit, limit: seen.append(unit) or build(unit, limit), n_nodes)
        return costs

    monkeypatch.setattr(_flow, "cost_limit", lambda n_nodes: 50_000)
    monkeypatch.setattr(_flow, "fit", fit)
    assert assign(CROSS).vol_of_task.tolist() == [1, 0]
    assert seen == [1.0, 2.0, 4.0, 8.0]  # 8 m units: W × priority = 3001 × 10 fits
    p = problem([10, 20], [1], [(0, 0, 100), (1, 0, 50_000)])
    assert assign(p).vol_of_task.tolist() == [-1, 0]
