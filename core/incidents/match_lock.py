"""One matching batch per incident at a time (DESIGN.md Decisions: Processes).

PostgreSQL: ``pg_try_advisory_lock`` on a dedicated autocommit connection held for the
batch (so no transaction stays open while the solver runs), released with
``pg_advisory_unlock``. The key is the first 8 bytes of BLAKE2b("huzhu-match:" +
incident id), apart from the keys other services derive from the raw incident id.
SQLite: one worker (checked at start-up), so an ``asyncio.Lock`` per database and
incident does.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import uuid
from collections.abc import AsyncIterator

from sqlalchemy import text

from core.db import Database

_LOCKS: dict[tuple[str, uuid.UUID], asyncio.Lock] = {}


def lock_key(incident_id: uuid.UUID) -> int:
    """The signed 64-bit advisory-lock key of an incident's matching."""
    digest = hashlib.blake2b(b"huzhu-match:" + incident_id.bytes, digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextlib.asynccontextmanager
async def batch_lock(database: Database, incident_id: uuid.UUID) -> AsyncIterator[bool]:
    """Yield True while holding the incident's batch lock, False if another holds it."""
    if database.is_sqlite:
        key = (database.url.render_as_string(hide_password=True), incident_id)
        lock = _LOCKS.setdefault(key, asyncio.Lock())
        if lock.locked():
            yield False
            return
        async with lock:
            yield True
        return
    k = lock_key(incident_id)
    async with database.engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        got = bool(await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": k}))
        try:
            yield got
        finally:
            if got:
                try:
                    await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": k})
                except BaseException:
                    await conn.invalidate()  # never hand a locked connection back to the pool
                    raise
