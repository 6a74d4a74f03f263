"""What every benchmark shares: run it on a temporary SQLite file, then on PostgreSQL
when ``HUZHU_BENCH_DATABASE_URL`` names a PostGIS database it may wipe."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable, Callable

from core.config import get_settings
from core.gc_tuning import tune_gc


def main(run: Callable[[str, str], Awaitable[None]]) -> None:
    """Call ``run(url, label)`` for each engine, in one event loop (the collector tuned
    as the app and the CLI tune it)."""
    tune_gc(get_settings())

    async def both() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            await run(f"sqlite+aiosqlite:///{tmp}/bench.db", "sqlite")
        if url := get_settings().bench_database_url:
            await run(url, "postgresql")

    asyncio.run(both())
