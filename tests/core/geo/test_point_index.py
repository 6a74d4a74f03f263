"""The in-process k-nearest search is exact: checked against brute force, no database."""

from __future__ import annotations

import numpy as np
import pytest

from core.geo import point_index
from core.geo.distance import haversine_m, haversine_m_array
from core.geo.point_index import (
    PointIndex,
    _sorted_rows,
    _top_k,
    chord_of_m,
    k_nearest,
    unit_xyz,
)


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


def test_k_nearest_with_fewer_points_than_k() -> None:
    """Eight points, k = 20: rows end in infs (beyond reach or range), kept as they are."""
    lon, lat, rng = _county(2, 8)
    rank = rng.permutation(8)
    limit = rng.choice([3000.0, 8000.0, 60000.0], 8)
    q_lon, q_lat = 99.95 + rng.uniform(-0.25, 0.25, 300), 25.67 + rng.uniform(-0.25, 0.25, 300)
    for max_m in (10000.0, 25000.0, 1e6):
        point, j, metres = k_nearest(
            PointIndex(lon, lat), q_lon, q_lat, k=20, max_m=max_m, rank=rank, limit_m=limit
        )
        want = _brute(lon, lat, q_lon, q_lat, k=20, max_m=max_m, rank=rank, limit=limit)
        for p, (wj, wd) in enumerate(want):
            at = point == p
            assert j[at].tolist() == wj.tolist(), (max_m, p)
            np.testing.assert_allclose(metres[at], wd, atol=1e-6)


def _top_k_reference(
    points: np.ndarray, j: np.ndarray, d: np.ndarray, rank: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row by row: the finite entries sorted by (distance, rank), the first ``k``."""
    out_p, out_j, out_d = [], [], []
    for p, jr, dr in zip(points.tolist(), j.tolist(), d.tolist(), strict=True):
        kept = sorted((x, int(rank[i]), i) for x, i in zip(dr, jr, strict=True) if x < np.inf)
        for x, _, i in kept[:k]:
            out_p.append(p)
            out_j.append(i)
            out_d.append(x)
    return np.array(out_p, dtype=np.int64), np.array(out_j, dtype=np.int64), np.array(out_d)


def _tree_rows(
    rng: np.random.Generator, m: int, kf: int, rank: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(j, d) as ``k_nearest`` hands them over: nearest first, ties in any order, then infs
    for answers beyond reach (gaps) and not found (the end, position 0)."""
    n = len(rank)
    j = np.array([rng.choice(n, kf, replace=False) for _ in range(m)], dtype=np.int64)
    j = j.reshape(m, kf)
    scale = rng.choice([1.0, 3.0, 1000.0])  # small scales: many ties
    d = np.sort(np.round(rng.uniform(0.0, scale, (m, kf)), 1), axis=1)
    by_rank = rng.random(m) < 0.5  # half the rows with their ties in rank order already
    for r in np.flatnonzero(by_rank):
        order = np.lexsort((rank[j[r]], d[r]))
        j[r], d[r] = j[r, order], d[r, order]
    found = np.arange(kf) < rng.integers(0, kf + 1, m)[:, None]
    found[rng.random(m) < 0.6] = True  # most rows: all found
    gap = (rng.random((m, kf)) < rng.choice([0.0, 0.1, 0.4])) & (rng.random(m) < 0.5)[:, None]
    d[~found | gap] = np.inf
    j[~found] = 0
    d[rng.random(m) < 0.05] = np.inf  # rows with nothing kept
    return j, d


def _sizes(rng: np.random.Generator) -> tuple[int, int, int, int]:
    """A random case's ids, tree answers per row, k (either side of them) and rows."""
    n = int(rng.integers(1, 40))
    kf = int(rng.integers(1, n + 1))
    k = int(rng.choice([1, max(1, kf - 1), kf, kf + 1, int(rng.integers(1, 2 * kf + 2))]))
    return n, kf, k, int(rng.integers(0, 60))


def test_top_k_equals_a_plain_sort() -> None:
    rng = np.random.default_rng(7)
    for case in range(600):
        n, kf, k, m = _sizes(rng)
        rank = rng.permutation(n)
        j, d = _tree_rows(rng, m, kf, rank)
        points = np.sort(rng.choice(1000, m, replace=False))
        got, want = _top_k(points, j, d, rank, k), _top_k_reference(points, j, d, rank, k)
        for g, w in zip(got, want, strict=True):
            assert g.shape == w.shape and np.array_equal(g, w), (case, n, kf, k, m)
        assert got[1].dtype == np.int64 and got[2].dtype == np.float64


def _sorted_rows_reference(
    j: np.ndarray, d: np.ndarray, rank: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Row by row: the finite entries in column order, stably sorted by (distance, rank)."""
    out: list[list[object]] = [[], [], [], []]
    for r, (jr, dr) in enumerate(zip(j.tolist(), d.tolist(), strict=True)):
        kept = [(x, rank[i], i) for x, i in zip(dr, jr, strict=True) if np.isfinite(x)]
        kept.sort(key=lambda e: e[:2])  # stable: equal (distance, rank) keep column order
        for place, (x, _, i) in enumerate(kept[:k]):
            for column, value in zip(out, (r, place, i, x), strict=True):
                column.append(value)
    rows, place, j_out = (np.array(c, dtype=np.int64) for c in out[:3])
    return rows, place, j_out, np.array(out[3], dtype=np.float64)


def test_sorted_rows_equals_a_plain_sort() -> None:
    """Gaps, all-inf rows, ties in any rank order (ranks shared too), k either side of the
    width; and rows not nearest first at all (not from the tree), which are sorted whole."""
    rng = np.random.default_rng(11)
    for case in range(600):
        n, kf, k, m = _sizes(rng)
        rank = rng.permutation(n) if case % 3 else rng.integers(0, max(1, n // 3), n)
        j, d = _tree_rows(rng, m, kf, rank)
        if case % 5 == 0 and m:  # a few rows shuffled, a few odd non-finite values
            for r in rng.choice(m, int(rng.integers(1, m + 1)), replace=False):
                order = rng.permutation(kf)
                j[r], d[r] = j[r, order], d[r, order]
            d[rng.random((m, kf)) < 0.05] = rng.choice([np.nan, -np.inf])
        got, want = _sorted_rows(j, d, rank, k), _sorted_rows_reference(j, d, rank, k)
        for g, w in zip(got, want, strict=True):
            assert g.dtype == w.dtype and np.array_equal(g, w), (case, n, kf, k, m)


def test_sorted_rows_sorts_only_rows_with_a_tie_out_of_rank_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Gaps alone need no sort; a tie out of rank order sorts its own row, no other."""
    rank = np.arange(12)[::-1].copy()  # j = 11 ranks first
    j = np.tile(np.arange(6), (3, 1))
    d = np.tile(np.array([1.0, 2.0, 3.0, 3.5, 4.0, 5.0]), (3, 1))
    d[0, [1, 4]], d[1, :3], d[2, :] = np.inf, np.inf, np.inf  # gaps, and a row with none
    sizes: list[int] = []
    lexsort = np.lexsort

    def counted(keys: tuple[np.ndarray, ...]) -> np.ndarray:
        sizes.append(len(keys[0]))
        return lexsort(keys)

    monkeypatch.setattr(np, "lexsort", counted)
    for k in (2, 6):
        want = _sorted_rows_reference(j, d, rank, k)
        for g, w in zip(_sorted_rows(j, d, rank, k), want, strict=True):
            assert np.array_equal(g, w)
    assert sizes == []
    d[1, 4] = 3.5  # tied with j = 3, which ranks after j = 4
    want = _sorted_rows_reference(j, d, rank, 2)
    for g, w in zip(_sorted_rows(j, d, rank, 2), want, strict=True):
        assert np.array_equal(g, w)
    assert want[2].tolist() == [0, 2, 4, 3]
    assert sizes == [3]  # row 1's three answers, row 0 left as it was


def test_top_k_keeps_rows_that_end_in_infs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows whose answers come first, in order, are never sorted, whatever their count."""
    rank = np.arange(10)
    j = np.tile(np.arange(8), (4, 1))
    d = np.tile(np.array([1.0, 2.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]), (4, 1))
    d[0, 3:], d[1, 5:], d[2, :] = np.inf, np.inf, np.inf  # 3, 5, 0 and 8 answers
    want = _top_k_reference(np.arange(4), j, d, rank, 20)

    def no_sort(*args: object) -> None:
        raise AssertionError("sorted a clean row")

    monkeypatch.setattr(point_index, "_sorted_rows", no_sort)
    for g, w in zip(_top_k(np.arange(4), j, d, rank, 20), want, strict=True):
        assert np.array_equal(g, w)
    point, _, _ = _top_k(np.arange(4), j, d, rank, 4)
    assert point.tolist() == [0, 0, 0, 1, 1, 1, 1, 3, 3, 3, 3]


def test_a_gap_at_the_cut_hides_no_tie() -> None:
    """Three at one spot, the tree's second beyond its reach: k = 1 is still the lowest rank."""
    lon, lat = np.array([99.95, 99.95, 99.95, 99.99]), np.array([25.67, 25.67, 25.67, 25.70])
    index = PointIndex(lon, lat)
    _, order = index.query(unit_xyz(np.array([99.95]), np.array([25.68])), 4, 5e4)
    first, second, third = order[0, :3]  # the tree's order of the tie
    rank, limit = np.zeros(4, dtype=np.int64), np.full(4, 1e5)
    rank[[first, second, third, 3]] = [2, 1, 0, 3]
    limit[second] = 10.0
    _, j, _ = k_nearest(index, [99.95], [25.68], k=1, max_m=5e4, rank=rank, limit_m=limit)
    assert j.tolist() == [third]


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
