"""The in-process k-nearest search is exact: checked against brute force, no database."""

from __future__ import annotations

import numpy as np

from core.geo.distance import haversine_m, haversine_m_array
from core.geo.point_index import PointIndex, chord_of_m, k_nearest


def _brute(lon, lat, q_lon, q_lat, *, k, max_m, rank, limit):
    """Per query point, sorted (distance, rank) of the kept points, first k: (j, metres)."""
    out = []
    for x, y in zip(q_lon, q_lat, strict=True):
        d = haversine_m_array(x, y, lon, lat)
        keep = np.flatnonzero((d <= max_m) & (d <= limit))
        keep = keep[np.lexsort((rank[keep], d[keep]))][:k]
        out.append((keep, d[keep]))
    return out


def _county(seed: int, n: int):
    rng = np.random.default_rng(seed)
    lon = 99.95 + rng.uniform(-0.2, 0.2, n)
    lat = 25.67 + rng.uniform(-0.2, 0.2, n)
    same = rng.choice(n, n // 5, replace=False)  # a fifth share ten village centres
    lon[same], lat[same] = lon[same % 10], lat[same % 10]
    return lon, lat, rng


def test_k_nearest_equals_brute_force_with_ties_and_reach() -> None:
    lon, lat, rng = _county(1, 400)
    rank = rng.permutation(400)
    limit = rng.choice([500.0, 3000.0, 8000.0, 60000.0], 400)  # many beyond their reach
    q_lon = np.concatenate([99.95 + rng.uniform(-0.25, 0.25, 150), lon[:10], [101.5]])
    q_lat = np.concatenate([25.67 + rng.uniform(-0.25, 0.25, 150), lat[:10], [24.0]])
    for k, max_m in ((1, 5000.0), (7, 12000.0), (25, 40000.0), (500, 40000.0)):
        point, j, metres = k_nearest(
            PointIndex(lon, lat), q_lon, q_lat, k=k, max_m=max_m, rank=rank, limit_m=limit
        )
        assert (np.diff(point) >= 0).all()
        want = _brute(lon, lat, q_lon, q_lat, k=k, max_m=max_m, rank=rank, limit=limit)
        for p, (wj, wd) in enumerate(want):
            at = point == p
            assert j[at].tolist() == wj.tolist(), (k, max_m, p)
            np.testing.assert_allclose(metres[at], wd, atol=1e-6)
        assert point.max() < len(q_lon) - 1  # the far point has no one


def test_tied_points_come_by_rank() -> None:
    lon = np.full(6, 99.95)
    lat = np.full(6, 25.67)
    rank = np.array([5, 3, 1, 0, 4, 2])
    _, j, metres = k_nearest(PointIndex(lon, lat), [99.95], [25.68], k=4, max_m=5000.0, rank=rank)
    assert j.tolist() == [3, 2, 5, 1]
    np.testing.assert_allclose(metres, haversine_m(99.95, 25.67, 99.95, 25.68))


def test_empty_inputs() -> None:
    point, j, metres = k_nearest(
        PointIndex([], []), [99.9], [25.6], k=3, max_m=1e4, rank=np.empty(0)
    )
    assert len(point) == len(j) == len(metres) == 0
    index = PointIndex([99.9], [25.6])
    assert len(k_nearest(index, [], [], k=3, max_m=1e4, rank=np.zeros(1))[0]) == 0
    assert len(k_nearest(index, [99.9], [25.6], k=0, max_m=1e4, rank=np.zeros(1))[0]) == 0


def test_chord_of_m_matches_the_arc() -> None:
    for metres in (1.0, 1000.0, 30_000.0, 5_000_000.0):
        lat2 = 25.67 + np.degrees(metres / 6_371_008.8)
        a = np.radians([[99.95, 25.67], [99.95, lat2]])
        xyz = np.column_stack(
            [np.cos(a[:, 1]) * np.cos(a[:, 0]), np.cos(a[:, 1]) * np.sin(a[:, 0]), np.sin(a[:, 1])]
        )
        assert np.isclose(np.linalg.norm(xyz[0] - xyz[1]), chord_of_m(metres), rtol=1e-9)
