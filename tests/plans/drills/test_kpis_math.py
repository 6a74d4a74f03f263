"""The KPI helpers: nearest-rank percentiles (never-happened values as inf), shares and
bucketed series."""

from __future__ import annotations

from plans.drills.kpi_math import INF, active, cumulative, edges, nearest_rank, share_within, spread


def test_nearest_rank_is_an_observed_value() -> None:
    values = [20.0, 45.0, 75.0]
    assert [nearest_rank(values, p) for p in (1, 33, 34, 50, 67, 90, 100)] == [
        20.0, 20.0, 45.0, 45.0, 75.0, 75.0, 75.0
    ]  # fmt: skip
    assert nearest_rank([], 50) is None


def test_values_that_never_happened_count_as_infinite() -> None:
    values = [10.0, INF, 30.0, INF]
    assert spread(values) == {"p50": 30.0, "p90": None, "max": None}
    assert share_within(values, 30) == 0.5 and share_within([], 30) is None


def test_edges_and_series() -> None:
    assert edges(25, 10) == [0, 10, 20, 30] and edges(30, 10) == [0, 10, 20, 30]
    assert edges(0, 10) == [0]
    at = [0, 10, 20, 30]
    assert cumulative([10.0, 10.5, INF, 0.0], at) == [1, 2, 3, 3]
    # [start, end): held at 10 and 20, gone at 30; one never ends.
    assert active([(5.0, 30.0), (20.0, INF)], at) == [0, 1, 2, 1]
