"""Pruning a batch: dropping the needs no optimal assignment serves changes no answer."""

from __future__ import annotations

import numpy as np
import pytest

from core.geo.routing import GreatCircleRouter
from core.incidents.match_prune import prune, undominated
from core.incidents.match_solve import SolveInput, SolveOutput, arc_cost, solve
from core.matching import StockProblem

_I = np.int64
KEEP_BONUS_M = 500.0  # AssignProblem's default


def _saturated(seed: int, needs: int = 1_500, vols: int = 12) -> tuple[SolveInput, np.ndarray]:
    """Many waiting needs, few volunteers: 5 % want stock, 70 % have open tasks (half with
    a depot, some two), the rest are visits; a few pending offers, pins and adopted tasks;
    8 volunteer candidates a need. Returns the input and the adopted-task mask."""
    rng = np.random.default_rng(seed)

    def near(n: int) -> tuple[np.ndarray, np.ndarray]:
        return 99.9 + rng.uniform(0, 0.2, n), 25.6 + rng.uniform(0, 0.2, n)

    n_lon, n_lat = near(needs)
    d_lon, d_lat = near(6)
    v_lon, v_lat = near(vols)
    router = GreatCircleRouter()
    priority = rng.choice([20.0, 30.0, 38.5, 40.0, 52.0], needs) + rng.integers(0, 30, needs) / 10
    kind = rng.choice(3, needs, p=[0.05, 0.7, 0.25])  # 0 wants stock, 1 open tasks, 2 visit
    wants = np.flatnonzero(kind == 0)
    arc_need, arc_depot = np.repeat(wants, 3), np.tile(np.arange(3), wants.size)
    demand = np.zeros((needs, 2), _I)
    demand[wants, 0] = rng.integers(1, 4, wants.size)
    stock = StockProblem(
        need_priority=priority, demand=demand, supply=np.full((6, 2), 10, _I),
        arc_need=arc_need, arc_depot=arc_depot,
        arc_cost_m=router.travel_m(d_lon[arc_depot], d_lat[arc_depot], n_lon[arc_need],
                                   n_lat[arc_need]),
    )  # fmt: skip
    tasked = np.flatnonzero(kind == 1)
    twice = tasked[rng.random(tasked.size) < 0.1]
    old_need = np.sort(np.concatenate([tasked, twice]))
    old_depot = np.where(rng.random(old_need.size) < 0.5, rng.integers(0, 6, old_need.size), -1)
    incumbent = np.full(old_need.size, -1, _I)
    offered = rng.choice(old_need.size, 4, replace=False)
    incumbent[offered] = rng.choice(vols, 4, replace=False)
    adopted = np.zeros(old_need.size, bool)
    adopted[rng.choice(old_need.size, 3, replace=False)] = True
    pin = np.full(needs, -1, _I)
    pin[rng.choice(needs, 3, replace=False)] = rng.integers(0, vols, 3)
    nv_vol = np.concatenate([rng.choice(vols, 8, replace=False) for _ in range(needs)])
    nv_need = np.repeat(np.arange(needs), 8)
    for t in offered:  # a pending volunteer keeps an arc to their task
        n, v = old_need[t], incumbent[t]
        if not np.any((nv_need == n) & (nv_vol == v)):
            nv_vol[np.flatnonzero(nv_need == n)[0]] = v
    inp = SolveInput(
        stock=stock, need_lon=n_lon, need_lat=n_lat, need_priority=priority,
        need_neighbours=rng.random(needs) < 0.3, need_pin=pin, depot_lon=d_lon,
        depot_lat=d_lat, vol_lon=v_lon, vol_lat=v_lat, vol_home_lon=v_lon + 0.004,
        vol_home_lat=v_lat, vol_capacity=rng.integers(1, 3, vols), nv_need=nv_need,
        nv_vol=nv_vol, old_need=old_need, old_depot=old_depot, old_incumbent=incumbent,
        visit_need=np.flatnonzero(kind == 2), router=router,
    )  # fmt: skip
    return inp, adopted


def _objective(inp: SolveInput, out: SolveOutput) -> tuple[list[float], float]:
    """What the solver optimises: the priorities served, then travel (incumbents kept
    count their bonus off)."""
    served = out.task_vol >= 0
    need, depot, vol = out.task_need[served], out.task_depot[served], out.task_vol[served]
    cost = arc_cost(inp, need, depot, vol)
    n_old = inp.old_need.size
    tasks = np.flatnonzero(served)
    kept = (tasks < n_old) & (
        vol == np.r_[inp.old_incumbent, np.full(out.task_need.size, -1)][tasks]
    )
    return sorted(inp.need_priority[need].tolist()), float(cost.sum() - KEEP_BONUS_M * kept.sum())


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_pruning_keeps_the_optimum(seed: int) -> None:
    inp, adopted = _saturated(seed)
    cut = prune(inp, adopted)
    assert cut.needs.size < inp.need_lon.size // 2  # most needs leave the batch
    full, small = solve(inp), solve(cut.inp)
    prio_full, travel_full = _objective(inp, full)
    prio_small, travel_small = _objective(cut.inp, small)
    assert prio_small == prio_full
    assert travel_small == pytest.approx(travel_full, abs=2.0 * len(prio_full))  # whole metres


def test_what_must_stay_stays() -> None:
    inp, adopted = _saturated(7)
    cut = prune(inp, adopted)
    kept = set(cut.needs.tolist())
    fixed = set(inp.stock.arc_need.tolist())
    fixed |= set(np.flatnonzero(inp.need_pin >= 0).tolist())
    fixed |= set(inp.old_need[(inp.old_incumbent >= 0) | adopted].tolist())
    assert fixed <= kept
    assert cut.old.tolist() == np.flatnonzero(np.isin(inp.old_need, cut.needs)).tolist()
    assert cut.inp.old_incumbent.tolist() == inp.old_incumbent[cut.old].tolist()
    assert (cut.inp.stock.demand.sum() == inp.stock.demand.sum()) and cut.inp.stock.arc_need.size
    back = cut.needs[cut.inp.stock.arc_need]  # stock arcs point at the same needs
    assert back.tolist() == inp.stock.arc_need.tolist()


def test_a_kept_need_keeps_every_arc_so_its_explanation_holds() -> None:
    inp, adopted = _saturated(8)
    cut = prune(inp, adopted)
    full, small = solve(inp), solve(cut.inp)
    for need in cut.needs.tolist():
        assert np.sum(inp.nv_need == need) == np.sum(cut.needs[cut.inp.nv_need] == need)
    by_task = {(int(n), int(d)): c for n, d, c in zip(full.task_need, full.task_depot,
                                                      full.candidates, strict=True)}  # fmt: skip
    for n, d, c in zip(cut.needs[small.task_need], small.task_depot, small.candidates,
                       strict=True):  # fmt: skip
        assert by_task[(int(n), int(d))] == c


def test_an_unsaturated_batch_is_left_whole() -> None:
    inp, adopted = _saturated(9, needs=60, vols=40)
    cut = prune(inp, adopted)
    assert cut.inp is inp and cut.needs.tolist() == list(range(60))


def test_dominated_arcs_by_hand() -> None:
    """One volunteer, two slots, arcs in (priority, cost): an arc goes when two arcs at
    least as urgent cost no more."""
    prio = np.array([50.0, 50.0, 40.0, 40.0, 30.0, 30.0])
    cost = np.array([100.0, 200.0, 50.0, 300.0, 10.0, 50.0])
    kept = undominated(np.zeros(6, _I), prio, cost, np.arange(6), slots=2)
    assert kept.tolist() == [True, True, True, False, True, False]
    assert undominated(np.zeros(6, _I), prio, cost, np.arange(6), slots=0).tolist() == [False] * 6
    two = undominated(np.array([0, 1, 0, 1, 0, 1]), prio, cost, np.arange(6), slots=2)
    assert two.tolist() == [True] * 6  # three arcs each: none has two dominating
