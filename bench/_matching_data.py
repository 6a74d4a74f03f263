"""A clustered Yunnan county for the matching benchmarks, and the candidate-search timings.

:func:`county` generates (deterministic by ``seed``, numpy arrays, WGS-84 degrees) a
county the size of 漾濞彝族自治县: a disc about 50 km across centred on 99.95 E,
25.67 N. ``villages`` village centres are spread over the disc (uniform by area);
each village has a weight (Zipf-like, s = 1: a few big villages, many small), and

* needs fall in Gaussian clusters around villages (σ 1.5 km) by village weight, with
  priority 1–5 (more low than high) and demand of ``items`` kinds (0–5 units each);
* volunteers live near villages (σ 2 km; 80 %) or anywhere in the county (20 %); a
  third share a live position within 3 km of home, half of which are stale
  (``live_fresh``); travel limits are 5 km (on foot, 25 %), 15 km (40 %), 30 km (25 %)
  or 60 km (10 %);
* depots sit near villages (σ 0.5 km), each holding 0–200 units of each item.

:func:`measure` times candidate search through ``core.geo.candidates`` against a raw
cKDTree query on the same points (k nearest within ``max_m``), and on PostgreSQL one
batched statement against one naive statement per need (:data:`PER_NEED_SQL`). Run
``python bench/_matching_data.py`` for the figures (SQLite, then PostgreSQL when
``HUZHU_BENCH_DATABASE_URL`` is set).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from core.geo.distance import EARTH_RADIUS_M

CENTRE = (99.95, 25.67)  # 漾濞县
RADIUS_M = 25_000.0
TRAVEL_KM = np.array([5.0, 15.0, 30.0, 60.0])
TRAVEL_SHARE = np.array([0.25, 0.40, 0.25, 0.10])


@dataclass(frozen=True)
class County:
    village_lon: np.ndarray
    village_lat: np.ndarray
    need_lon: np.ndarray
    need_lat: np.ndarray
    need_priority: np.ndarray  # float 1..5
    need_demand: np.ndarray  # int (n_needs, items)
    vol_lon: np.ndarray  # home
    vol_lat: np.ndarray
    vol_live_lon: np.ndarray  # nan: no live position
    vol_live_lat: np.ndarray
    vol_live_fresh: np.ndarray  # bool: the live position is recent
    vol_max_travel_km: np.ndarray
    depot_lon: np.ndarray
    depot_lat: np.ndarray
    depot_supply: np.ndarray  # int (n_depots, items)


def _offset(rng: np.random.Generator, lon, lat, sigma_m: float) -> tuple[np.ndarray, ...]:
    """Points displaced from (lon, lat) by a 2-D Gaussian of ``sigma_m`` metres."""
    north, east = rng.normal(0.0, sigma_m, (2, np.size(lon)))
    d_lat = np.degrees(north / EARTH_RADIUS_M)
    d_lon = np.degrees(east / (EARTH_RADIUS_M * np.cos(np.radians(lat))))
    return lon + d_lon, lat + d_lat


def _in_disc(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    r = RADIUS_M * np.sqrt(rng.uniform(0, 1, n))
    theta = rng.uniform(0, 2 * np.pi, n)
    lat = CENTRE[1] + np.degrees(r * np.sin(theta) / EARTH_RADIUS_M)
    lon = CENTRE[0] + np.degrees(r * np.cos(theta) / (EARTH_RADIUS_M * np.cos(np.radians(lat))))
    return lon, lat


def county(
    seed: int = 6,
    *,
    needs: int = 10_000,
    volunteers: int = 5_000,
    depots: int = 500,
    villages: int = 30,
    items: int = 4,
) -> County:
    """The generated county (see the module docstring); the same arrays for the same seed."""
    rng = np.random.default_rng(seed)
    v_lon, v_lat = _in_disc(rng, villages)
    weight = 1.0 / np.arange(1, villages + 1)
    weight = rng.permutation(weight / weight.sum())
    home = rng.choice(villages, needs, p=weight)
    n_lon, n_lat = _offset(rng, v_lon[home], v_lat[home], 1500.0)
    priority = rng.choice([1.0, 2.0, 3.0, 4.0, 5.0], needs, p=[0.35, 0.25, 0.2, 0.12, 0.08])
    demand = rng.integers(0, 6, (needs, items))
    near = rng.uniform(0, 1, volunteers) < 0.8
    vill = rng.choice(villages, volunteers, p=weight)
    h_lon, h_lat = _offset(rng, v_lon[vill], v_lat[vill], 2000.0)
    s_lon, s_lat = _in_disc(rng, volunteers)
    h_lon, h_lat = np.where(near, h_lon, s_lon), np.where(near, h_lat, s_lat)
    has_live = rng.uniform(0, 1, volunteers) < 1 / 3
    l_lon, l_lat = _offset(rng, h_lon, h_lat, 1500.0)
    l_lon, l_lat = np.where(has_live, l_lon, np.nan), np.where(has_live, l_lat, np.nan)
    fresh = has_live & (rng.uniform(0, 1, volunteers) < 0.5)
    travel = rng.choice(TRAVEL_KM, volunteers, p=TRAVEL_SHARE)
    at = rng.integers(0, villages, depots)
    d_lon, d_lat = _offset(rng, v_lon[at], v_lat[at], 500.0)
    supply = rng.integers(0, 201, (depots, items))
    return County(v_lon, v_lat, n_lon, n_lat, priority, demand, h_lon, h_lat, l_lon, l_lat,
                  fresh, travel, d_lon, d_lat, supply)  # fmt: skip


def raw_ckdtree_s(c: County, *, k: int, max_m: float, repeat: int = 5) -> float:
    """Best-of seconds of a bare cKDTree k-nearest query of every need among volunteers."""
    from scipy.spatial import cKDTree

    from core.geo.point_index import chord_of_m, unit_xyz

    tree = cKDTree(unit_xyz(c.vol_lon, c.vol_lat))
    xyz, bound = unit_xyz(c.need_lon, c.need_lat), chord_of_m(max_m)
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        tree.query(xyz, k=k, distance_upper_bound=bound)
        best = min(best, time.perf_counter() - t)
    return best


async def load(
    db, c: County, area: tuple[uuid.UUID, str] | None = None
) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """Write the county's volunteers and depots under ``area`` (id, area_path; default: a
    new county area row); their ids in array order. Volunteers are active, available
    always, insured for a year, one task at a time, no skills."""
    from sqlalchemy import insert

    from core import clock
    from core.ids import uuid7
    from core.registry.areas.models import Area, AreaLevel
    from core.registry.depots.models import Depot
    from core.registry.volunteers.models import Volunteer

    now = clock.now() - timedelta(hours=1)  # a steady state: no row changed in the last hour
    vol_ids = [uuid7() for _ in range(len(c.vol_lon))]
    depot_ids = [uuid7() for _ in range(len(c.depot_lon))]
    async with db.transaction() as s:
        if area is None:
            row = Area(code="532922000000", name="漾濞彝族自治县", level=int(AreaLevel.county),
                       area_path="532922000000/", created_at=now, updated_at=now)  # fmt: skip
            s.add(row)
            await s.flush()
            area = (row.id, row.area_path)
        base = {"area_id": area[0], "area_path": area[1], "created_at": now}
        insured = clock.local_today() + timedelta(days=365)
        live_at = {True: now + timedelta(minutes=50), False: now - timedelta(hours=6)}
        await s.execute(insert(Volunteer), [
            {**base, "id": vid, "name": f"v{i}", "availability": {"always": True},
             "insurance_valid_until": insured, "lon": float(c.vol_lon[i]),
             "lat": float(c.vol_lat[i]), "max_travel_km": float(c.vol_max_travel_km[i]),
             "live_lon": None if np.isnan(c.vol_live_lon[i]) else float(c.vol_live_lon[i]),
             "live_lat": None if np.isnan(c.vol_live_lat[i]) else float(c.vol_live_lat[i]),
             "live_at": None if np.isnan(c.vol_live_lon[i]) else live_at[bool(c.vol_live_fresh[i])],
             "updated_at": now}
            for i, vid in enumerate(vol_ids)])  # fmt: skip
        await s.execute(insert(Depot), [
            {**base, "id": did, "name": f"d{i}", "kind": "warehouse", "opening_hours": {},
             "lon": float(c.depot_lon[i]), "lat": float(c.depot_lat[i]), "updated_at": now}
            for i, did in enumerate(depot_ids)])  # fmt: skip
    return vol_ids, depot_ids


async def _timed(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = await fn()
        best = min(best, time.perf_counter() - t)
    return best, out


PER_NEED_SQL = """
SELECT t.id, ST_Distance(t.geog, q.p, false) AS d
FROM volunteer t,
     (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography AS p) q
WHERE t.id = ANY(CAST(:eligible AS uuid[]))
  AND ST_DWithin(t.geog, q.p, LEAST(CAST(:max_m AS float8), t.max_travel_km * 1000), false)
ORDER BY t.geog <-> q.p
LIMIT CAST(:k AS integer)
"""
"""The baseline of the batched search: one need, written the naive way straight on the
volunteer table (home ``geog``, no temporary table), one statement per need."""


async def measure(
    db,
    c: County,
    *,
    k: int = 20,
    max_m: float = 30_000.0,
    ids: tuple[list[uuid.UUID], list[uuid.UUID]] | None = None,
    sample: int = 1000,
) -> dict[str, float]:
    """Seconds of candidate search for every need (volunteers and depots), per method.

    ``ids``: the county already written (:func:`load`'s answer); else it is written here.
    ``api_*`` is the search as the matching service configures it (on PostgreSQL: PostGIS
    up to ``HUZHU_MATCH_POSTGIS_MAX_POINTS`` points a call, the cached index beyond);
    on PostgreSQL ``postgis_*`` is PostGIS for every call, and ``per_need_s`` is
    :data:`PER_NEED_SQL` run for the first ``sample`` needs, scaled to all of them."""
    from sqlalchemy import text

    from core import clock
    from core.config import get_settings
    from core.geo.candidates import candidate_search

    vol_ids, depot_ids = ids if ids is not None else await load(db, c)
    points = list(zip(c.need_lon.tolist(), c.need_lat.tolist(), strict=True))
    live_after = clock.now() - timedelta(minutes=30)
    search = candidate_search(
        db.dialect, postgis_max_points=get_settings().match_postgis_max_points
    )
    figures = {"raw_ckdtree_s": raw_ckdtree_s(c, k=k, max_m=max_m)}
    args = {"points": points, "eligible": vol_ids, "k": k, "max_m": max_m, "live_after": live_after}
    async with db.reader() as s:
        figures["first_call_s"], _ = await _timed(lambda: search.volunteer_arrays(s, **args), 1)
        figures["api_arrays_s"], found = await _timed(lambda: search.volunteer_arrays(s, **args), 5)
        figures["api_lists_s"], _ = await _timed(lambda: search.volunteers(s, **args), 3)
        figures["candidates"] = float(len(found.point))
        d_args = {"points": points, "eligible": depot_ids, "k": 10, "max_m": max_m}
        figures["depots_arrays_s"], _ = await _timed(lambda: search.depot_arrays(s, **d_args), 3)
        if db.dialect == "postgresql":
            postgis = candidate_search(db.dialect)
            figures["postgis_arrays_s"], _ = await _timed(
                lambda: postgis.volunteer_arrays(s, **args), 2
            )
            figures["postgis_depots_s"], _ = await _timed(
                lambda: postgis.depot_arrays(s, **d_args), 2
            )
            stmt, rows = text(PER_NEED_SQL), 0
            t = time.perf_counter()
            for lon, lat in points[:sample]:
                got = await s.execute(stmt, {"lon": lon, "lat": lat, "eligible": vol_ids,
                                             "max_m": max_m, "k": k})  # fmt: skip
                rows += len(got.all())
            figures["per_need_s"] = (time.perf_counter() - t) * len(points) / sample
            figures["per_need_rows"] = float(rows)
    return figures


async def _run(url: str, label: str) -> None:
    from core.db import Database
    from core.migrate import upgrade, wipe_postgres

    db = Database(url)
    if db.dialect == "postgresql":
        await wipe_postgres(db)
    await upgrade(db)
    try:
        f = await measure(db, county())
    finally:
        await db.dispose()
    raw = f["raw_ckdtree_s"]
    print(f"[{label}] 10,000 needs × 5,000 volunteers, k=20 within 30 km: "
          f"{f['candidates']:.0f} candidates")  # fmt: skip
    print(f"  raw cKDTree query      {raw * 1000:8.1f} ms")
    for name in ("first_call_s", "api_arrays_s", "api_lists_s", "depots_arrays_s",
                 "postgis_arrays_s", "postgis_depots_s"):  # fmt: skip
        if name in f:
            print(f"  {name:<22} {f[name] * 1000:8.1f} ms  ({raw / f[name]:.0%} of raw rate)")
    if "per_need_s" in f:
        x = f["per_need_s"] / f["postgis_arrays_s"]
        print(f"  one query per need     {f['per_need_s'] * 1000:8.1f} ms (from 1,000 needs)"
              f"  batched PostGIS is {x:.1f}× faster")  # fmt: skip


if __name__ == "__main__":
    import _engines as engines  # bench/ is on sys.path when run as a script

    engines.main(_run)
