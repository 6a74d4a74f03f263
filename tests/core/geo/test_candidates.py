"""Candidate search: each engine's backend gives the hand-computed answer, and the
in-process backend agrees with it on the same rows (the cross-backend contract)."""

from __future__ import annotations

import math
import uuid
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.geo.candidates import BySize, Candidate, candidate_search
from core.geo.candidates_local import LocalCandidateSearch
from core.geo.distance import EARTH_RADIUS_M, haversine_m
from core.geo.local_rows import RowCache
from core.registry.depots.models import Depot
from core.registry.volunteers.models import Volunteer
from tests.factories import two_counties

LON, LAT = 99.955, 25.670  # 漾濞 county seat
FAR = (101.5, 24.0)  # nobody within reach


def north(metres: float) -> tuple[float, float]:
    """The point ``metres`` north of the seat: exactly that far on the sphere."""
    return LON, LAT + math.degrees(metres / EARTH_RADIUS_M)


async def _volunteer(session, area, home_m, *, km=50.0, live_m=None, live_age=None):
    now = clock.now()
    lon, lat = north(home_m)
    v = Volunteer(
        name=f"v{home_m}",
        area_id=area.id,
        area_path=area.area_path,
        availability={},
        max_travel_km=km,
        lon=lon,
        lat=lat,
        created_at=now,
        updated_at=now,
    )
    if live_m is not None:
        v.live_lon, v.live_lat = north(live_m)
        v.live_at = now - live_age
    session.add(v)
    await session.flush()
    return v


FRESH, STALE = timedelta(minutes=1), timedelta(hours=1)


@pytest.fixture
async def roster(session):
    """Volunteers on the meridian of the seat (metres north): see each test's sums."""
    area = (await two_counties(session)).county_a
    v = {
        "A": await _volunteer(session, area, 1000),
        "B": await _volunteer(session, area, -2000),
        "C": await _volunteer(session, area, 3000, km=2.0),  # reaches 2 km only
        "D": await _volunteer(session, area, 9000, live_m=-1500, live_age=FRESH),
        "E": await _volunteer(session, area, -500, live_m=8000, live_age=STALE),
        "F": await _volunteer(session, area, -2500),
        "G": await _volunteer(session, area, -2500),  # F and G tie
        "H": await _volunteer(session, area, 700),  # never eligible
        "I": await _volunteer(session, area, 14000),
    }
    return area, v


def _pairs(found: list[Candidate], names: dict[uuid.UUID, str]) -> list[tuple[str, float]]:
    return [(names[c.id], c.distance_m) for c in found]


def _assert_same(got, want) -> None:
    assert [n for n, _ in got] == [n for n, _ in want]
    for (_, d), (_, w) in zip(got, want, strict=True):
        assert d == pytest.approx(w, abs=0.01)


async def _both(database, session, kind, **kwargs):
    """The engine's backend, the cached in-process one and the engine's large-call search
    on the same rows; they must agree."""
    engine = await getattr(candidate_search(database.dialect), kind)(session, **kwargs)
    large = candidate_search(database.dialect, postgis_max_points=0)
    for other in (LocalCandidateSearch(), large):
        found = await getattr(other, kind)(session, **kwargs)
        assert [[c.id for c in p] for p in engine] == [[c.id for c in p] for p in found]
        for e, loc in zip(engine, found, strict=True):
            for a, b in zip(e, loc, strict=True):
                assert a.distance_m == pytest.approx(b.distance_m, abs=0.01)
    return engine


async def test_volunteers_nearest_with_reach_live_positions_and_ties(database, session, roster):
    _, v = roster
    names = {x.id: n for n, x in v.items()}
    eligible = [x.id for n, x in v.items() if n != "H"]
    f_g = sorted(["F", "G"], key=lambda n: v[n].id)
    live_after = clock.now() - timedelta(minutes=10)
    points = [north(0), FAR, north(10_000)]
    args = {"eligible": eligible, "live_after": live_after}
    p0, far, p2 = await _both(
        database, session, "volunteers", points=points, k=5, max_m=10_000, **args
    )
    # At the seat: E at home (its live point is stale), A, D live (-1500), B, then the
    # lower id of F/G (2500 each). C is 3 km away but reaches 2; H is not eligible.
    want = [("E", 500), ("A", 1000), ("D", 1500), ("B", 2000), (f_g[0], 2500)]
    _assert_same(_pairs(p0, names), want)
    assert far == []
    # 10 km north, within 10 km: A 9000; D is live at -1500 (11.5 km) not home (1 km);
    # E is home (10.5 km) not live (2 km); C reaches 2 km only; I 4000.
    _assert_same(_pairs(p2, names), [("I", 4000), ("A", 9000)])

    (six,) = await _both(
        database, session, "volunteers", points=[north(0)], k=6, max_m=10_000, **args
    )
    assert [names[c.id] for c in six][4:] == f_g  # ties by id
    (two,) = await _both(
        database, session, "volunteers", points=[north(0)], k=2, max_m=10_000, **args
    )
    _assert_same(_pairs(two, names), [("E", 500), ("A", 1000)])
    (near,) = await _both(
        database, session, "volunteers", points=[north(0)], k=9, max_m=1200, **args
    )
    _assert_same(_pairs(near, names), [("E", 500), ("A", 1000)])
    (some,) = await _both(
        database,
        session,
        "volunteers",
        points=[north(0)],
        k=9,
        max_m=10_000,
        eligible=[v["B"].id, v["C"].id, v["H"].id],
        live_after=live_after,
    )
    _assert_same(_pairs(some, names), [("H", 700), ("B", 2000)])
    (older,) = await _both(
        database,
        session,
        "volunteers",
        points=[north(7000)],
        k=1,
        max_m=5000,
        eligible=eligible,
        live_after=clock.now() - STALE * 2,
    )
    _assert_same(_pairs(older, names), [("E", 1000)])  # E's live point counts when recent enough


async def test_a_moved_volunteer_is_found_where_it_is_now(database, session, roster):
    area, v = roster
    names = {x.id: n for n, x in v.items()}
    args = {"points": [north(0)], "k": 2, "max_m": 10_000, "eligible": [x.id for x in v.values()]}
    live_after = clock.now() - timedelta(minutes=10)
    (before,) = await _both(database, session, "volunteers", live_after=live_after, **args)
    _assert_same(_pairs(before, names), [("E", 500), ("H", 700)])

    a = v["A"]
    a.live_lon, a.live_lat = north(-100)
    a.live_at = a.updated_at = clock.now()
    v["E"].max_travel_km, v["E"].updated_at = 0.4, clock.now()  # reaches 400 m now
    await session.flush()
    (after,) = await _both(database, session, "volunteers", live_after=live_after, **args)
    _assert_same(_pairs(after, names), [("A", 100), ("H", 700)])

    newcomer = await _volunteer(session, area, 50)
    names[newcomer.id] = "N"
    args["eligible"] = [*args["eligible"], newcomer.id]
    (now,) = await _both(database, session, "volunteers", live_after=live_after, **args)
    _assert_same(_pairs(now, names), [("N", 50), ("A", 100)])


async def test_depots_nearest_eligible(database, session):
    area = (await two_counties(session)).county_a
    now = clock.now()
    depots = {}
    for name, metres in (("d300", 300), ("d800", -800), ("d5000", 5000)):
        lon, lat = north(metres)
        depots[name] = Depot(
            name=name,
            kind="warehouse",
            area_id=area.id,
            area_path=area.area_path,
            lon=lon,
            lat=lat,
            address="",
            opening_hours={},
            created_at=now,
            updated_at=now,
        )
    session.add_all(depots.values())
    await session.flush()
    names = {d.id: n for n, d in depots.items()}
    every = [d.id for d in depots.values()]
    p0, far = await _both(
        database, session, "depots", points=[north(0), FAR], eligible=every, k=2, max_m=6000
    )
    _assert_same(_pairs(p0, names), [("d300", 300), ("d800", 800)])
    assert far == []
    (p,) = await _both(
        database, session, "depots", points=[north(0)], eligible=every[1:], k=5, max_m=1000
    )
    _assert_same(_pairs(p, names), [("d800", 800)])
    assert await _both(database, session, "depots", points=[], eligible=every, k=5, max_m=1e4) == []


async def test_backends_agree_on_a_random_county(database, session):
    """300 volunteers (a fifth share village centres), random reach and live positions:
    both backends equal a brute-force answer computed here with haversine_m."""
    area = (await two_counties(session)).county_a
    rng = np.random.default_rng(6)
    now = clock.now()
    lon = LON + rng.uniform(-0.15, 0.15, 300)
    lat = LAT + rng.uniform(-0.15, 0.15, 300)
    shared = rng.choice(300, 60, replace=False)
    lon[shared], lat[shared] = lon[shared % 8], lat[shared % 8]
    km = rng.choice([1.0, 3.0, 8.0, 50.0], 300)
    live = rng.uniform(0, 1, 300) < 0.4
    fresh = rng.uniform(0, 1, 300) < 0.5
    vols = []
    for i in range(300):
        x = Volunteer(
            name=f"r{i}",
            area_id=area.id,
            area_path=area.area_path,
            availability={},
            max_travel_km=float(km[i]),
            lon=float(lon[i]),
            lat=float(lat[i]),
            created_at=now,
            updated_at=now,
        )
        if live[i]:
            x.live_lon, x.live_lat = float(lon[i] + 0.01), float(lat[i] - 0.01)
            x.live_at = now - (FRESH if fresh[i] else STALE)
        vols.append(x)
    session.add_all(vols)
    await session.flush()
    eligible = [x.id for i, x in enumerate(vols) if i % 7 != 3]
    chosen = set(eligible)
    p_lon, p_lat = LON + rng.uniform(-0.2, 0.2, 40), LAT + rng.uniform(-0.2, 0.2, 40)
    points = list(zip(p_lon.tolist(), p_lat.tolist(), strict=True))
    points += [(float(lon[0]), float(lat[0]))]  # on a shared village centre
    live_after = now - timedelta(minutes=10)
    found = await _both(
        database,
        session,
        "volunteers",
        points=points,
        eligible=eligible,
        k=6,
        max_m=6000,
        live_after=live_after,
    )
    assert sum(map(len, found)) > 100
    for (px, py), got in zip(points, found, strict=True):
        want = []
        for x in vols:
            if x.id not in chosen:
                continue
            fresh_live = x.live_at is not None and x.live_at >= live_after
            here = (x.live_lon, x.live_lat) if fresh_live else (x.lon, x.lat)
            d = haversine_m(px, py, *here)
            if d <= 6000 and d <= x.max_travel_km * 1000:
                want.append((d, x.id))
        want.sort()
        assert [c.id for c in got] == [i for _, i in want[:6]]
        assert [c.distance_m for c in got] == pytest.approx([d for d, _ in want[:6]], abs=0.01)


async def test_postgresql_hands_large_calls_to_the_cached_index(database, session, roster):
    """On PostgreSQL calls of more than ``postgis_max_points`` points go to the cached
    in-process index, smaller ones to PostGIS; the answers are the same either way."""
    _, v = roster
    search = candidate_search("postgresql", postgis_max_points=2)
    assert isinstance(search, BySize)
    assert type(search._for([north(0)] * 2)).__name__ == "PostgisCandidateSearch"
    assert type(search._for([north(0)] * 3)) is LocalCandidateSearch
    assert type(candidate_search("postgresql")).__name__ == "PostgisCandidateSearch"
    assert type(candidate_search("sqlite", postgis_max_points=2)) is LocalCandidateSearch
    if database.dialect != "postgresql":
        return
    eligible = [x.id for n, x in v.items() if n != "H"]
    kwargs = {"eligible": eligible, "k": 3, "max_m": 20_000, "live_after": clock.now()}
    points = [north(0), north(500), north(-3000)]  # no exact ties or reach bounds
    large = await search.volunteers(session, points=points, **kwargs)
    small = [(await search.volunteers(session, points=[p], **kwargs))[0] for p in points]
    assert [[c.id for c in p] for p in large] == [[c.id for c in p] for p in small]
    assert all(len(p) == 3 for p in large)


@pytest.mark.only_engine("postgresql")
async def test_the_cached_index_sees_a_late_commit_of_an_old_stamp(committed):
    """A transaction that stamped its row long before it commits (a long write) is still
    seen by the next refresh on PostgreSQL: the cache goes by transaction ids, not clocks."""
    async with committed.transaction() as s:
        area = (await two_counties(s)).county_a
        far, near = await _volunteer(s, area, 5000), await _volunteer(s, area, 1000)
        near.updated_at = clock.now() + timedelta(seconds=1)  # the newest stamp stays newest
    search = LocalCandidateSearch()
    args = {"points": [north(0)], "eligible": [near.id, far.id], "k": 1, "max_m": 20_000,
            "live_after": clock.now()}  # fmt: skip

    async def nearest() -> list[tuple[uuid.UUID, float]]:
        async with committed.reader() as r:
            (found,) = await search.volunteers(r, **args)
        return [(c.id, round(c.distance_m)) for c in found]

    assert await nearest() == [(near.id, 1000)]
    async with committed.transaction() as w:
        moved = await w.get(Volunteer, far.id)
        moved.lon, moved.lat = north(100)
        moved.updated_at = clock.now() - timedelta(hours=1)  # stamped long ago
        await w.flush()
        assert await nearest() == [(near.id, 1000)]  # not committed yet: unseen
    assert await nearest() == [(far.id, 100)]


@pytest.mark.only_engine("postgresql")
async def test_the_cached_index_forgets_what_a_rolled_back_transaction_wrote(committed):
    """A search inside a transaction sees its own move; once that transaction rolls back,
    the next search sees the row as committed again."""
    async with committed.transaction() as s:
        area = (await two_counties(s)).county_a
        far, near = await _volunteer(s, area, 5000), await _volunteer(s, area, 1000)
    search = LocalCandidateSearch()
    args = {"points": [north(0)], "eligible": [near.id, far.id], "k": 1, "max_m": 20_000,
            "live_after": clock.now()}  # fmt: skip

    async def nearest(session) -> list[tuple[uuid.UUID, float]]:
        (found,) = await search.volunteers(session, **args)
        return [(c.id, round(c.distance_m)) for c in found]

    async with AsyncSession(committed.engine) as w:
        moved = await w.get(Volunteer, far.id)
        moved.lon, moved.lat = north(100)
        await w.flush()
        assert await nearest(w) == [(far.id, 100)]
        await w.rollback()
    async with committed.reader() as r:
        assert await nearest(r) == [(near.id, 1000)]


def _counting(refresh: Any, calls: list[str]) -> Any:
    async def counted(self: RowCache, session: AsyncSession) -> None:
        calls.append(self.kind)
        await refresh(self, session)

    return counted


async def test_a_search_refreshes_each_cache_once_per_read_transaction(committed, monkeypatch):
    """A matching batch asks several times in one read transaction: one refresh query per
    cache; the next transaction refreshes again and sees what was committed meanwhile."""
    async with committed.transaction() as s:
        area = (await two_counties(s)).county_a
        far, near = await _volunteer(s, area, 5000), await _volunteer(s, area, 1000)
    search = LocalCandidateSearch()
    args = {"points": [north(0)], "eligible": [near.id, far.id], "k": 1, "max_m": 20_000,
            "live_after": clock.now()}  # fmt: skip
    async with committed.reader() as r:  # the cache caught up with earlier tests' deletes
        await search.volunteers(r, **args)
    refreshes: list[str] = []  # refresh queries, by kind
    for engine_way in ("_refresh_by_stamp", "_refresh_by_xid"):
        monkeypatch.setattr(RowCache, engine_way, _counting(getattr(RowCache, engine_way),
                                                            refreshes))  # fmt: skip
    async with committed.reader() as r:
        for _ in range(3):
            (found,) = await search.volunteers(r, **args)
            assert [c.id for c in found] == [near.id]
    assert refreshes == ["volunteer"]
    async with committed.transaction() as w:
        moved = await w.get(Volunteer, far.id)
        moved.lon, moved.lat = north(100)
        moved.updated_at = clock.now()
    async with committed.reader() as r:
        (found,) = await search.volunteers(r, **args)
    assert [c.id for c in found] == [far.id] and refreshes == ["volunteer", "volunteer"]
