"""Candidate search over positions pulled in the caller's transaction, then a cKDTree.

One query reads every eligible row's position (a volunteer's live point when fresh,
else home) and reach, exactly as the PostGIS backend copies them into its temporary
table; the k nearest then come from a :class:`~core.geo.point_index.PointIndex` built on
the spot (:func:`~core.geo.point_index.k_nearest`: exact, ties by id). Nothing is
cached, so the answer is the transaction's own snapshot, on any engine.

Why it exists next to PostGIS: a PostGIS KNN index scan costs about 200 µs a point here
(a bare GiST KNN on PostgreSQL's own ``box`` type, 48 µs), so a surge batch of 10,000
needs takes 2 s in the database, against 40 ms here (``bench/matching.py``). On
PostgreSQL :func:`core.geo.candidates.candidate_search` hands the large calls to this.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Uuid, and_, any_, bindparam, case, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import chunks
from core.geo.candidates import ArraySearch, CandidateArrays
from core.geo.point_index import PointIndex, id_rank, k_nearest
from core.registry.depots.models import Depot
from core.registry.volunteers.models import Volunteer


class PulledCandidateSearch(ArraySearch):
    """:class:`~core.geo.candidates.CandidateSearch` by a tree over pulled positions."""

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
        v = Volunteer
        live = and_(v.live_at >= live_after, v.live_lon.is_not(None), v.live_lat.is_not(None))
        rows = await _rows(
            session,
            [v.id, case((live, v.live_lon), else_=v.lon), case((live, v.live_lat), else_=v.lat),
             v.max_travel_km],
            eligible,
        )  # fmt: skip
        reach = np.fromiter((r[3] * 1000.0 for r in rows), dtype=float, count=len(rows))
        return _search(points, rows, reach, k, max_m)

    async def depot_arrays(
        self,
        session: AsyncSession,
        *,
        points: Sequence[tuple[float, float]],
        eligible: Sequence[uuid.UUID],
        k: int,
        max_m: float,
    ) -> CandidateArrays:
        rows = await _rows(session, [Depot.id, Depot.lon, Depot.lat], eligible)
        return _search(points, rows, None, k, max_m)


async def _rows(session: AsyncSession, columns: list[Any], eligible: Sequence[uuid.UUID]) -> list:
    """The ``columns`` (id, lon, lat, …) of the eligible rows that exist, any order; Core
    rows (the ORM's row handling cost more than the query)."""
    ids, rows, conn = list(dict.fromkeys(eligible)), [], await session.connection()
    if conn.dialect.name == "postgresql":  # one array parameter: 3× faster than IN
        wanted = bindparam("eligible", ids, type_=postgresql.ARRAY(Uuid()))
        return list((await conn.execute(select(*columns).where(columns[0] == any_(wanted)))).all())
    for part in chunks(ids):
        rows += (await conn.execute(select(*columns).where(columns[0].in_(part)))).all()
    return rows


def _search(
    points: Sequence[tuple[float, float]],
    rows: list,
    reach_m: np.ndarray | None,
    k: int,
    max_m: float,
) -> CandidateArrays:
    """The k nearest of each point among ``rows`` (id, lon, lat, …)."""
    at = np.asarray(points, dtype=float).reshape(-1, 2)
    ids = [r[0] for r in rows]
    lon = np.fromiter((r[1] for r in rows), dtype=float, count=len(rows))
    lat = np.fromiter((r[2] for r in rows), dtype=float, count=len(rows))
    index = PointIndex(lon, lat)
    point, j, metres = k_nearest(
        index, at[:, 0], at[:, 1], k=k, max_m=max_m, rank=id_rank(ids), limit_m=reach_m
    )
    return CandidateArrays(len(at), ids, point, j, metres)
