"""k nearest points on the sphere: a cKDTree over unit-sphere xyz, exact metres out.

Points are WGS-84 degrees. On the unit sphere the straight-line (chord) distance grows
monotonically with the great-circle angle, so the tree's nearest are the great-circle
nearest, and a radius of ``m`` metres is the chord ``2 sin(m / 2R)``. Distances handed
out are great-circle metres on the sphere of :data:`~core.geo.distance.EARTH_RADIUS_M`,
ties broken by a rank.
scipy is imported when the first index is built (DESIGN.md: heavy imports are lazy).
"""

from __future__ import annotations

import uuid

import numpy as np

from core.geo.distance import EARTH_RADIUS_M

TIE_M = 1e-6  # distances closer than this may be ordered apart by rounding: fetch past them


def unit_xyz(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """(n, 3) unit-sphere coordinates of lon/lat degrees."""
    lo, la = np.radians(lon), np.radians(lat)
    c = np.cos(la)
    return np.column_stack([c * np.cos(lo), c * np.sin(lo), np.sin(la)])


def id_rank(ids: list[uuid.UUID]) -> np.ndarray:
    """Each id's place in id order: the tie-break rank :func:`k_nearest` takes."""
    keys = [u.int for u in ids]  # uuid order is the order of its integer
    order = sorted(range(len(keys)), key=keys.__getitem__)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank


def chord_of_m(metres: float) -> float:
    """Unit-sphere chord of a great-circle arc of ``metres``."""
    return float(2.0 * np.sin(min(metres / EARTH_RADIUS_M, np.pi) / 2.0))


class PointIndex:
    """An immutable kd-tree over points (lon/lat degrees, arrays of equal length)."""

    def __init__(self, lon: np.ndarray, lat: np.ndarray) -> None:
        from scipy.spatial import cKDTree

        self.lon = np.asarray(lon, dtype=float)
        self.lat = np.asarray(lat, dtype=float)
        self.tree = cKDTree(unit_xyz(self.lon, self.lat)) if len(self.lon) else None

    def __len__(self) -> int:
        return len(self.lon)

    def query(self, xyz: np.ndarray, k: int, max_m: float) -> tuple[np.ndarray, np.ndarray]:
        """(m, k) metres and positions of the ``k`` nearest within ``max_m``, nearest first.

        Positions past the last found are ``len(self)``, their metres ``inf``. Metres are
        the great-circle arcs of the tree's chords, ``2R asin(c / 2)``: the same as
        :func:`~core.geo.distance.haversine_m` to about a nanometre.
        """
        assert self.tree is not None
        bound = chord_of_m(max_m) * (1 + 1e-9) + 1e-15  # the exact test is in metres
        chord, j = self.tree.query(xyz, k=k, distance_upper_bound=bound)
        chord, j = chord.reshape(len(xyz), k), j.reshape(len(xyz), k)
        found = j < len(self)
        metres = 2.0 * EARTH_RADIUS_M * np.arcsin(np.minimum(chord, 2.0) / 2.0)
        return np.where(found, metres, np.inf), j


def k_nearest(
    index: PointIndex,
    lon: np.ndarray,
    lat: np.ndarray,
    *,
    k: int,
    max_m: float,
    rank: np.ndarray,
    limit_m: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each query point, up to ``k`` index points nearest first, ties by ``rank``.

    Kept: distance ≤ ``max_m`` and ≤ ``limit_m[j]`` (each index point's own reach).
    Returns flat arrays ``(point, j, metres)`` grouped by query point in order. A point
    is fetched again with twice as many neighbours while its k-th answer is uncertain
    (too many neighbours beyond their reach, or a tie at the cut), so the answer is
    exact, not an approximation.
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    n, empty = len(index), np.empty(0, dtype=np.int64)
    if n == 0 or len(lon) == 0 or k <= 0:
        return empty, empty, np.empty(0)
    xyz, todo = unit_xyz(lon, lat), np.arange(len(lon))
    kf, pieces = min(n, k + 1), []
    while todo.size:
        raw, j = index.query(xyz[todo], kf, max_m)
        found = j < n
        jj = np.where(found, j, 0)
        ok = raw <= max_m
        if limit_m is not None:
            ok &= raw <= limit_m[jj]
        d = np.where(ok, raw, np.inf)
        if kf < n:  # a row with all kf found may hide answers past its last neighbour
            sure = (d < raw[:, -1:] - TIE_M).sum(axis=1) >= k
            again = found[:, -1] & ~sure
        else:
            again = np.zeros(len(todo), dtype=bool)
        done = ~again
        pieces.append(_top_k(todo[done], jj[done], d[done], rank, k))
        todo, kf = todo[again], min(n, kf * 2)
    point, j, metres = (np.concatenate(parts) for parts in zip(*pieces, strict=True))
    if len(pieces) > 1:
        order = np.argsort(point, kind="stable")
        point, j, metres = point[order], j[order], metres[order]
    return point, j, metres


def _top_k(
    points: np.ndarray, j: np.ndarray, d: np.ndarray, rank: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flatten each row's first ``k`` finite ``d`` in (distance, rank) order.

    ``d`` is nearest first but for ``inf`` (not kept, or not found). A row whose answers
    are its first columns, ties in rank order and none tied across the cut, is taken as it
    stands, however few; only rows with a gap (an answer beyond its reach before a kept
    one) or a tie out of rank order are sorted.
    """
    kk = min(k, d.shape[1])
    head, jh = d[:, :kk], j[:, :kk]
    d0, d1 = head[:, :-1], head[:, 1:]
    bad = d1 < d0  # out of order, or an answer after a gap: the answers are not a prefix
    tie = (d1 == d0) & (d0 < np.inf)  # two infs are no tie
    if tie.any():
        tr, tc = np.nonzero(tie)
        bad[tr, tc] |= rank[jh[tr, tc + 1]] < rank[jh[tr, tc]]
    clean, last = ~bad.any(axis=1), head[:, -1]
    if kk < d.shape[1]:  # the first answer past the cut: none, or no tie with the last
        after = d[:, kk:].min(axis=1)  # (a tie would put a lower rank after the cut)
        clean &= (after > last) | (after == np.inf)
    if (clean & (last < np.inf)).all():
        return np.repeat(points, kk), j[:, :kk].ravel(), d[:, :kk].ravel()
    counts = np.minimum(k, np.isfinite(d).sum(axis=1))  # a clean row's are its first
    out_j, out_d = jh.astype(np.int64), head.astype(float)  # copies: rows to fill in
    u = np.flatnonzero(~clean)
    if u.size:
        rows, place, ju, du = _sorted_rows(j[u], d[u], rank, k)
        out_j[u[rows], place], out_d[u[rows], place] = ju, du
    keep = np.arange(kk) < counts[:, None]  # each row's first counts, row by row
    return np.repeat(points, counts), out_j[keep], out_d[keep]


def _sorted_rows(
    j: np.ndarray, d: np.ndarray, rank: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each row's first ``k`` finite entries by (distance, rank): (row, place, j, d).

    A row's finite entries in column order are nearest first already (the tree's order
    with infs punched in), so only rows with a tie out of rank order (or, not from the
    tree, out of order) are sorted, each within its own span; the rest stand as they are.
    """
    fin = np.isfinite(d)
    jf, df = j[fin], d[fin]  # row by row, in column order
    counts = fin.sum(axis=1)
    rows = np.repeat(np.arange(len(d)), counts)
    at = np.flatnonzero(df[1:] <= df[:-1])  # a tie or worse with the next entry: rare
    at = at[rows[at] == rows[at + 1]]
    at = at[(df[at + 1] != df[at]) | ~(rank[jf[at]] <= rank[jf[at + 1]])]  # worse, or by rank
    if at.size:
        flag = np.zeros(len(d), dtype=bool)
        flag[rows[at]] = True
        span = np.flatnonzero(flag[rows])  # all entries of those rows, row by row
        order = span[np.lexsort((rank[jf[span]], df[span], rows[span]))]
        jf[span], df[span] = jf[order], df[order]
    place = np.arange(len(rows)) - (np.cumsum(counts) - counts)[rows]
    keep = place < k
    return rows[keep], place[keep], jf[keep], df[keep]
