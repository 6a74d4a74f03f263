"""Outbox write throughput: events committed per second.

Baseline: one event per transaction (what a naive service does). Measured: the
batch path (``emit_many``, one transaction per 100 events), which drills and large
incidents use. Runs on SQLite by default; set HUZHU_BENCH_DATABASE_URL to a
PostgreSQL + PostGIS database it may wipe to measure there too.
"""

from __future__ import annotations

import time

import _engines as engines  # bench/ is on sys.path when run as a script

from core.db import Database
from core.events.outbox import EventIn, emit, emit_many, read_after
from core.migrate import upgrade, wipe_postgres

EVENTS = 2000
BATCH = 100


async def _one_per_transaction(db: Database, n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        async with db.transaction() as s:
            await emit(s, type="need.created", data={"i": i}, streams=["incident:bench"])
    return n / (time.perf_counter() - start)


async def _batched(db: Database, n: int) -> float:
    start = time.perf_counter()
    for first in range(0, n, BATCH):
        async with db.transaction() as s:
            await emit_many(
                s,
                [
                    EventIn("need.created", {"i": i}, ["incident:bench"])
                    for i in range(first, first + BATCH)
                ],
            )
    return n / (time.perf_counter() - start)


async def _read_rate(db: Database) -> float:
    start, seen, after = time.perf_counter(), 0, 0
    async with db.reader() as s:
        while batch := await read_after(s, after, limit=500):
            seen += len(batch)
            after = batch[-1].seq
    return seen / (time.perf_counter() - start)


async def run(url: str, label: str) -> None:
    db = Database(url)
    try:
        if not db.is_sqlite:
            await wipe_postgres(db)
        await upgrade(db)
        baseline = await _one_per_transaction(db, EVENTS // 4)
        batched = await _batched(db, EVENTS)
        reads = await _read_rate(db)
    finally:
        await db.dispose()
    print(f"[{label}] one event per transaction (baseline): {baseline:10.0f} events/s")
    print(f"[{label}] emit_many, {BATCH} per transaction:     {batched:10.0f} events/s")
    print(f"[{label}] ratio batched / baseline:              {batched / baseline:10.1f}x")
    print(f"[{label}] read_after, 500 per page:              {reads:10.0f} events/s")


if __name__ == "__main__":
    engines.main(run)
