"""PostGIS candidate search: one search statement per call, whatever the number of points.

The eligible rows are first copied, with the one position each counts at (a volunteer's
live position when fresh, else home) and their reach (``max_m``, or less for a
volunteer's own travel limit), into a per-connection temporary table with its own GiST
index. Searching the whole table instead made the KNN scan walk past every ineligible
row near a point: with a rare skill the 20 nearest eligible volunteers may lie behind
thousands of others (78 s for one 10,000-need batch).

The points arrive as two ``float8[]`` arrays, unnested WITH ORDINALITY; a LATERAL
subquery answers each point from that index: ``ST_DWithin(…, false)`` (index-assisted,
then exact on the sphere) bounds the search and the KNN operator ``<->`` orders the
index scan, so only the first rows are read. ``<->`` on geography is the sphere
distance to within a few nanometres, not the exact ``ST_Distance(…, false)``: so the
scan fetches :data:`SLACK` rows beyond ``k`` ``WITH TIES`` (every row as near as the
last one, e.g. volunteers at one village centre), and the final order is the exact
distance, then id, LIMIT ``k``. JIT is turned off for the rest of the caller's
transaction (``SET LOCAL``): compiling a 10,000-point plan never paid for itself here.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.geo.candidates import ArraySearch, CandidateArrays

_NO_JIT = text("SET LOCAL jit = off")  # compiling a 10,000-point plan took 0.36 s of 3.4 s
SLACK = 2  # rows per branch beyond k, for near-ties in <-> order (nanometres apart)

_TABLE = "pg_temp.huzhu_candidates"
_PREPARE = (
    "CREATE TEMP TABLE IF NOT EXISTS huzhu_candidates (id uuid PRIMARY KEY, "
    "g geography(Point, 4326) NOT NULL, reach_m float8 NOT NULL) ON COMMIT DELETE ROWS",
    f"CREATE INDEX IF NOT EXISTS huzhu_candidates_g ON {_TABLE} USING gist (g)",
    f"TRUNCATE {_TABLE}",
)
_FILL_VOLUNTEERS = f"""
INSERT INTO {_TABLE} (id, g, reach_m)
SELECT t.id,
       CASE WHEN t.live_at >= :live_after AND t.live_geog IS NOT NULL THEN t.live_geog
            ELSE t.geog END,
       LEAST(CAST(:max_m AS float8), t.max_travel_km * 1000.0)
FROM volunteer t WHERE t.id = ANY(CAST(:eligible AS uuid[]))
"""
_FILL_DEPOTS = f"""
INSERT INTO {_TABLE} (id, g, reach_m)
SELECT t.id, t.geog, CAST(:max_m AS float8)
FROM depot t WHERE t.id = ANY(CAST(:eligible AS uuid[]))
"""
SEARCH_SQL = f"""
SELECT p.i, c.id, c.d
FROM (SELECT u.i, ST_SetSRID(ST_MakePoint(u.lon, u.lat), 4326)::geography AS g
      FROM unnest(CAST(:lons AS float8[]), CAST(:lats AS float8[]))
           WITH ORDINALITY AS u(lon, lat, i)) p
CROSS JOIN LATERAL (
  SELECT b.id, b.d FROM (
    SELECT t.id, ST_Distance(t.g, p.g, false) AS d FROM {_TABLE} t
    WHERE ST_DWithin(t.g, p.g, CAST(:max_m AS float8), false)
      AND ST_Distance(t.g, p.g, false) <= t.reach_m
    ORDER BY t.g <-> p.g FETCH FIRST CAST(:fetch AS integer) ROWS WITH TIES) b
  ORDER BY b.d, b.id LIMIT CAST(:k AS integer)) c
ORDER BY p.i, c.d, c.id
"""


class PostgisCandidateSearch(ArraySearch):
    """:class:`~core.geo.candidates.CandidateSearch` by PostGIS (one statement a call)."""

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
        return await _run(session, _FILL_VOLUNTEERS, points, eligible, k, max_m, live_after)

    async def depot_arrays(
        self,
        session: AsyncSession,
        *,
        points: Sequence[tuple[float, float]],
        eligible: Sequence[uuid.UUID],
        k: int,
        max_m: float,
    ) -> CandidateArrays:
        return await _run(session, _FILL_DEPOTS, points, eligible, k, max_m, None)


async def _run(
    session: AsyncSession,
    fill: str,
    points: Sequence[tuple[float, float]],
    eligible: Sequence[uuid.UUID],
    k: int,
    max_m: float,
    live_after: datetime | None,
) -> CandidateArrays:
    n_points = len(points)
    if n_points == 0 or not eligible or k <= 0:
        return CandidateArrays(n_points, [], *(np.empty(0, dtype=t) for t in "iif"))
    await fill_candidates(session, fill, eligible, max_m, live_after)
    try:
        return await search_filled(session, points, k, max_m)
    finally:
        await session.execute(text(f"TRUNCATE {_TABLE}"))


async def fill_candidates(
    session: AsyncSession, fill: str, eligible: Sequence[uuid.UUID], max_m: float,
    live_after: datetime | None,
) -> None:  # fmt: skip
    """Copy the eligible rows, with the position and reach they count at, into the table."""
    await session.execute(_NO_JIT)
    for statement in _PREPARE:
        await session.execute(text(statement))
    params: dict[str, Any] = {"eligible": list(eligible), "max_m": float(max_m)}
    if live_after is not None:
        params["live_after"] = live_after
    await session.execute(text(fill), params)
    await session.execute(text(f"ANALYZE {_TABLE}"))


async def search_filled(
    session: AsyncSession, points: Sequence[tuple[float, float]], k: int, max_m: float
) -> CandidateArrays:
    """The search statement over the filled table, for every point at once."""
    params = {"lons": [float(p[0]) for p in points], "lats": [float(p[1]) for p in points],
              "max_m": float(max_m), "k": k, "fetch": k + SLACK}  # fmt: skip
    # A few hundred rows look cheap to scan whole, but not 10,000 times: keep the KNN index.
    await session.execute(text("SET LOCAL enable_seqscan = off"))
    rows = (await session.execute(text(SEARCH_SQL), params)).all()
    await session.execute(text("SET LOCAL enable_seqscan = on"))
    ids: dict[uuid.UUID, int] = {}
    index = [ids.setdefault(r[1], len(ids)) for r in rows]
    return CandidateArrays(
        len(points),
        list(ids),
        np.fromiter((r[0] - 1 for r in rows), dtype=np.int64, count=len(rows)),
        np.asarray(index, dtype=np.int64),
        np.fromiter((r[2] for r in rows), dtype=float, count=len(rows)),
    )
