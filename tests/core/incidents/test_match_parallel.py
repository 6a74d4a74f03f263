"""A large batch's stock items solved side by side in the solver pool give the same
answer as one solve in one process."""

from __future__ import annotations

from concurrent.futures import Future

import numpy as np
import pytest

from core.geo.routing import GreatCircleRouter
from core.incidents.match_loop import solver_pool, stop_pool
from core.incidents.match_parallel import PARALLEL_MIN_ARCS, solve_in
from core.incidents.match_solve import SolveInput, solve
from core.matching import StockProblem

_I = np.int64


def _inp(seed: int = 3, needs: int = 2_500, depots: int = 60, vols: int = 900) -> SolveInput:
    """Random needs, depots and volunteers around 漾濞 (3 items; 10 depots, 8 volunteers a
    need)."""
    rng = np.random.default_rng(seed)

    def near(n: int) -> tuple[np.ndarray, np.ndarray]:
        return 99.95 + rng.uniform(0, 0.4, n), 25.6 + rng.uniform(0, 0.4, n)

    n_lon, n_lat = near(needs)
    d_lon, d_lat = near(depots)
    v_lon, v_lat = near(vols)
    router = GreatCircleRouter()
    arc_need = np.repeat(np.arange(needs), 10)
    arc_depot = np.concatenate([rng.choice(depots, 10, replace=False) for _ in range(needs)])
    cost = router.travel_m(d_lon[arc_depot], d_lat[arc_depot], n_lon[arc_need], n_lat[arc_need])
    demand = rng.integers(0, 5, (needs, 3))
    stock = StockProblem(need_priority=rng.uniform(10, 60, needs), demand=demand,
                         supply=rng.integers(0, 120, (depots, 3)), arc_need=arc_need,
                         arc_depot=arc_depot, arc_cost_m=cost)  # fmt: skip
    nv_vol = np.concatenate([rng.choice(vols, 8, replace=False) for _ in range(needs)])
    none = np.zeros(0, _I)
    return SolveInput(
        stock=stock, need_lon=n_lon, need_lat=n_lat, need_priority=stock.need_priority,
        need_neighbours=np.zeros(needs, bool), need_pin=np.full(needs, -1, _I),
        depot_lon=d_lon, depot_lat=d_lat, vol_lon=v_lon, vol_lat=v_lat, vol_home_lon=v_lon,
        vol_home_lat=v_lat, vol_capacity=np.ones(vols, _I), nv_need=np.repeat(np.arange(needs), 8),
        nv_vol=nv_vol, old_need=none, old_depot=none, old_incumbent=none,
        visit_need=np.flatnonzero(demand.sum(axis=1) == 0), router=router,
    )  # fmt: skip


class Recording:
    """The solver pool, noting the name of every function it is handed."""

    def __init__(self, pool) -> None:  # type: ignore[no-untyped-def]
        self.pool, self.calls = pool, []

    def submit(self, fn, /, *args, **kwargs) -> Future:  # type: ignore[no-untyped-def]
        self.calls.append(fn.__name__)
        return self.pool.submit(fn, *args, **kwargs)


@pytest.fixture(scope="module")
def pool():  # type: ignore[no-untyped-def]
    pool = solver_pool(2)
    yield pool
    stop_pool(pool)


async def test_items_side_by_side_give_the_one_process_answer(pool) -> None:  # type: ignore[no-untyped-def]
    inp = _inp()
    assert inp.stock.arc_need.size >= PARALLEL_MIN_ARCS
    recording = Recording(pool)
    got = await solve_in(recording, inp, processes=2)  # type: ignore[arg-type]
    assert recording.calls == ["optimal_flows", "optimal_flows", "solve"]
    want = solve(inp)
    for name in ("need", "depot", "item", "quantity"):
        assert np.array_equal(getattr(got.plan, name), getattr(want.plan, name)), name
    assert np.array_equal(got.task_need, want.task_need)
    assert np.array_equal(got.task_vol, want.task_vol)
    assert (got.task_vol >= 0).sum() > 500  # a real batch: many tasks served


async def test_small_batches_and_one_process_solve_once(pool) -> None:  # type: ignore[no-untyped-def]
    small = _inp(needs=300)
    for inp, processes in ((small, 2), (_inp(), 1)):
        recording = Recording(pool)
        got = await solve_in(recording, inp, processes=processes)  # type: ignore[arg-type]
        assert recording.calls == ["solve"]
        assert np.array_equal(got.task_vol, solve(inp).task_vol)
