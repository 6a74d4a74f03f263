"""Registry bulk writes: households (with members) created per second.

Baseline: one household per transaction through the same service (what the one-item API
does). Measured: the set-based batch (``create_households`` with 1,000 rows per
transaction), which imports and the demo use. SQLite by default; also PostgreSQL when
HUZHU_BENCH_DATABASE_URL names a PostGIS database it may wipe.
"""

from __future__ import annotations

import time

import _engines as engines  # bench/ is on sys.path when run as a script

from core.db import Database
from core.demo.population import generate_households
from core.demo.world import county_sites
from core.migrate import upgrade, wipe_postgres
from core.registry.areas.demo import load_demo_areas
from core.registry.households.create import create_households
from core.registry.households.schemas import HouseholdCreate, PersonCreate

BATCH = 1000
SINGLES = 100


def _rows(specs) -> list[HouseholdCreate]:  # type: ignore[no-untyped-def]
    return [
        HouseholdCreate(
            address=h.address,
            lon=h.lon,
            lat=h.lat,
            community_code=h.community_code,
            grid_code=h.grid_code,
            members=[PersonCreate(**vars(m)) for m in h.members],
            contact_index=h.contact_index,
        )
        for h in specs
    ]


async def run(url: str, label: str) -> None:
    db = Database(url)
    try:
        if not db.is_sqlite:
            await wipe_postgres(db)
        await upgrade(db)
        async with db.transaction() as s:
            await load_demo_areas(session=s)
            _, sites = await county_sites(s)
        unbounded = [x for x in sites if not (x.urban and not x.has_boundary)]
        rows = _rows(generate_households(unbounded, seed=1, total=3 * BATCH + SINGLES))
        start = time.perf_counter()
        for row in rows[:SINGLES]:
            async with db.transaction() as s:
                await create_households(session=s, principal=None, rows=[row])
        baseline = SINGLES / (time.perf_counter() - start)
        start = time.perf_counter()
        for first in range(SINGLES, len(rows), BATCH):
            async with db.transaction() as s:
                await create_households(session=s, principal=None, rows=rows[first : first + BATCH])
        batched = (len(rows) - SINGLES) / (time.perf_counter() - start)
    finally:
        await db.dispose()
    print(f"[{label}] one household per transaction (baseline): {baseline:8.0f} households/s")
    print(f"[{label}] create_households, {BATCH} per transaction:  {batched:8.0f} households/s")
    print(f"[{label}] ratio batched / baseline:                  {batched / baseline:8.1f}x")


if __name__ == "__main__":
    engines.main(run)
