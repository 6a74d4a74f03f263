"""In-process candidate search (SQLite, or any engine): cached rows and a cKDTree.

Each call refreshes the :class:`~core.geo.local_rows.RowCache` of the database (one
cheap query for rows changed since the last call), picks each eligible row's position
(a volunteer's live point when ``live_at`` ≥ ``live_after``, else home), takes the
:class:`~core.geo.point_index.PointIndex` over those positions — built once and kept
while neither the rows nor the selection change — and asks it for the exact ``k``
nearest (:func:`~core.geo.point_index.k_nearest`). So a query costs little more than
the raw cKDTree query.

Call it in a transaction that reads committed rows (a read transaction, or one that
commits): rows it saw are cached for every later call on the same database. In a
read-only transaction the cache is refreshed once (a matching batch asks several times).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from core.geo.candidates import ArraySearch, CandidateArrays
from core.geo.local_rows import RowCache, cache_for, micros
from core.geo.point_index import PointIndex, k_nearest

TREES_KEPT = 4  # selections whose trees stay cached per database and kind


class LocalCandidateSearch(ArraySearch):
    """:class:`~core.geo.candidates.CandidateSearch` over an in-process index."""

    async def _rows(
        self, session: AsyncSession, kind: str, eligible: Sequence[uuid.UUID]
    ) -> tuple[RowCache, np.ndarray]:
        cache = cache_for(session, kind)
        await cache.refresh(session)  # once per read-only transaction
        return cache, await cache.rows_for(session, eligible)

    async def volunteer_arrays(
        self,
        session: AsyncSession,
        *,
        points: Sequence[tuple[float, float]],
        eligible: Sequence[uuid.UUID],
        k: int,
        max_m: float,
        live_after: datetime,
    ) -> CandidateArrays:
        cache, rows = await self._rows(session, "volunteer", eligible)
        return _search(cache, points, rows, k, max_m, micros(live_after))

    async def depot_arrays(
        self,
        session: AsyncSession,
        *,
        points: Sequence[tuple[float, float]],
        eligible: Sequence[uuid.UUID],
        k: int,
        max_m: float,
    ) -> CandidateArrays:
        cache, rows = await self._rows(session, "depot", eligible)
        return _search(cache, points, rows, k, max_m, None)


def _search(
    cache: RowCache,
    points: Sequence[tuple[float, float]],
    rows: np.ndarray,
    k: int,
    max_m: float,
    live_after: int | None,
) -> CandidateArrays:
    at = np.asarray(points, dtype=float).reshape(-1, 2)
    index = _index(cache, rows, live_after)
    limit = cache.limit_m[rows] if cache.kind == "volunteer" else None
    point, j, metres = k_nearest(
        index, at[:, 0], at[:, 1], k=k, max_m=max_m, rank=cache.rank[rows], limit_m=limit
    )
    return CandidateArrays(len(at), cache.ids, point, rows[j], metres)


def _index(cache: RowCache, rows: np.ndarray, live_after: int | None) -> PointIndex:
    """The tree over ``rows`` at their current positions, cached for this selection."""
    live = None
    if live_after is not None:
        live = (cache.live_at[rows] >= live_after) & ~np.isnan(cache.live_lon[rows])
    key = (cache.version, rows.tobytes(), b"" if live is None else np.packbits(live).tobytes())
    index = cache.trees.get(key)
    if index is None:
        lon, lat = cache.lon[rows], cache.lat[rows]
        if live is not None:
            lon = np.where(live, cache.live_lon[rows], lon)
            lat = np.where(live, cache.live_lat[rows], lat)
        index = PointIndex(lon, lat)
        while len(cache.trees) >= TREES_KEPT:
            cache.trees.pop(next(iter(cache.trees)))
        cache.trees[key] = index
    return index
