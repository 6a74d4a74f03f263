"""Candidate search: the nearest eligible volunteers and depots of many points at once.

One interface, two backends with the same answers (tests/core/geo/test_candidates.py):

* PostgreSQL — :mod:`core.geo.candidates_postgis`: one SQL statement per call, a LATERAL
  join over the points using the GiST indexes (KNN ``<->`` and ``ST_DWithin``);
* SQLite, and PostgreSQL calls of many points (``HUZHU_MATCH_POSTGIS_MAX_POINTS``: PostGIS
  pays ~200 µs a point, the tree ~4 µs) — :mod:`core.geo.candidates_local`: a cKDTree on
  unit-sphere xyz over rows cached per database and kept current incrementally (on
  PostgreSQL by transaction ids, so a late commit is never missed: :mod:`.local_rows`).

For each point (lon, lat, WGS-84 degrees): up to ``k`` rows among ``eligible``, nearest
first, ties by id, with great-circle distance (the sphere of
:data:`core.geo.distance.EARTH_RADIUS_M`, no terrain factor) ≤ ``max_m`` and, for
volunteers, ≤ their ``max_travel_km`` × 1000. A volunteer stands at the live position
(``live_lon``/``live_lat``) when ``live_at`` ≥ ``live_after``, else at home. Rows not
in ``eligible`` (or deleted) are never answered.

Besides the protocol's lists, both backends answer :class:`CandidateArrays`
(``volunteer_arrays``/``depot_arrays``, same arguments): the same candidates without
one Python object per candidate, for the matching path.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True, slots=True)
class Candidate:
    id: uuid.UUID
    distance_m: float  # great-circle metres (no terrain factor)


class CandidateSearch(Protocol):
    async def volunteers(
        self,
        session: AsyncSession,
        *,
        points: Sequence[tuple[float, float]],
        eligible: Sequence[uuid.UUID],
        k: int,
        max_m: float,
        live_after: datetime,
    ) -> list[list[Candidate]]: ...

    async def depots(
        self,
        session: AsyncSession,
        *,
        points: Sequence[tuple[float, float]],
        eligible: Sequence[uuid.UUID],
        k: int,
        max_m: float,
    ) -> list[list[Candidate]]: ...


@dataclass(frozen=True)
class CandidateArrays:
    """Every candidate of one call, flat and grouped by point, nearest first (ties by id).

    Candidate ``r`` is ``ids[index[r]]`` at ``distance_m[r]`` metres of point ``point[r]``.
    """

    n_points: int
    ids: Sequence[uuid.UUID]  # look-up table (may hold ids that are no candidate)
    point: np.ndarray  # int (n,)
    index: np.ndarray  # int (n,)
    distance_m: np.ndarray  # float (n,)

    def lists(self) -> list[list[Candidate]]:
        """The protocol's answer: one list of :class:`Candidate` per point."""
        import numpy as np

        ids = self.ids
        made = [
            Candidate(ids[i], d)
            for i, d in zip(self.index.tolist(), self.distance_m.tolist(), strict=True)
        ]
        ends = np.searchsorted(self.point, np.arange(self.n_points), side="right").tolist()
        return [made[a:b] for a, b in zip([0, *ends][:-1], ends, strict=True)]


class ArraySearch:
    """The protocol's list answers, built from a backend's ``*_arrays`` methods."""

    async def volunteer_arrays(
        self, session: AsyncSession, *, points: Sequence[tuple[float, float]],
        eligible: Sequence[uuid.UUID], k: int, max_m: float, live_after: datetime,
    ) -> CandidateArrays:  # fmt: skip
        raise NotImplementedError

    async def depot_arrays(
        self, session: AsyncSession, *, points: Sequence[tuple[float, float]],
        eligible: Sequence[uuid.UUID], k: int, max_m: float,
    ) -> CandidateArrays:  # fmt: skip
        raise NotImplementedError

    async def volunteers(
        self, session: AsyncSession, *, points: Sequence[tuple[float, float]],
        eligible: Sequence[uuid.UUID], k: int, max_m: float, live_after: datetime,
    ) -> list[list[Candidate]]:  # fmt: skip
        found = await self.volunteer_arrays(
            session, points=points, eligible=eligible, k=k, max_m=max_m, live_after=live_after
        )
        return found.lists()

    async def depots(
        self, session: AsyncSession, *, points: Sequence[tuple[float, float]],
        eligible: Sequence[uuid.UUID], k: int, max_m: float,
    ) -> list[list[Candidate]]:  # fmt: skip
        found = await self.depot_arrays(session, points=points, eligible=eligible, k=k, max_m=max_m)
        return found.lists()


class BySize(ArraySearch):
    """``small`` for calls of at most ``max_points`` points, ``large`` for the others."""

    def __init__(self, small: ArraySearch, large: ArraySearch, max_points: int) -> None:
        self.small, self.large, self.max_points = small, large, max_points

    def _for(self, points: Sequence[tuple[float, float]]) -> ArraySearch:
        return self.small if len(points) <= self.max_points else self.large

    async def volunteer_arrays(
        self, session: AsyncSession, *, points: Sequence[tuple[float, float]],
        eligible: Sequence[uuid.UUID], k: int, max_m: float, live_after: datetime,
    ) -> CandidateArrays:  # fmt: skip
        return await self._for(points).volunteer_arrays(
            session, points=points, eligible=eligible, k=k, max_m=max_m, live_after=live_after
        )

    async def depot_arrays(
        self, session: AsyncSession, *, points: Sequence[tuple[float, float]],
        eligible: Sequence[uuid.UUID], k: int, max_m: float,
    ) -> CandidateArrays:  # fmt: skip
        return await self._for(points).depot_arrays(
            session, points=points, eligible=eligible, k=k, max_m=max_m
        )


def candidate_search(dialect: str, *, postgis_max_points: int | None = None) -> ArraySearch:
    """The backend for a SQLAlchemy dialect name: "postgresql" → PostGIS (for calls of at
    most ``postgis_max_points`` points when given; larger calls go to the cached
    in-process index), else the cached in-process index."""
    from core.geo.candidates_local import LocalCandidateSearch

    if dialect == "postgresql":
        from core.geo.candidates_postgis import PostgisCandidateSearch

        if postgis_max_points is None:
            return PostgisCandidateSearch()
        return BySize(PostgisCandidateSearch(), LocalCandidateSearch(), postgis_max_points)
    return LocalCandidateSearch()
