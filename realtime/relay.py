"""The relay: publishes committed outbox rows to the broker, one relay at a time.

Every worker runs a :class:`Relay`; on PostgreSQL only the holder of a session-level
advisory lock (held on its own autocommit connection, like the matching batch lock)
publishes, the others retry every ``retry_s``. SQLite runs one worker, so no lock.

The holder reads rows after its in-memory cursor in seq order (``read_after``; the
outbox lock makes the visible rows a prefix, so a late commit can never be skipped and
a rolled-back number is a hole, not something to wait for) and publishes them with
``prev_seq`` = the last seq it published.

Start rule: on start or takeover the cursor is the newest committed seq in the
database, or the broker's head (the last seq published in this database's epoch) when
that is later, e.g. after the outbox was emptied. Rows committed before the start and
never published are not republished: subscribers see the first batch's ``prev_seq``
past their own position and read the gap from the database, so nothing is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.db import Database
from core.events.outbox import current_epoch, newest_seq, read_after
from realtime.broker import Broker

log = logging.getLogger("huzhu.realtime.relay")
RELAY_LOCK_KEY = 0x68757A68755F726C  # "huzhu_rl"


class Relay:
    """One worker's relay loop; ``start()`` it in the app lifespan, ``stop()`` at exit."""

    def __init__(
        self,
        database: Database,
        broker: Broker,
        *,
        poll_s: float = 0.05,
        batch: int = 500,
        retry_s: float = 1.0,
    ) -> None:
        self.database = database
        self.broker = broker
        self.poll_s = poll_s
        self.batch = batch
        self.retry_s = retry_s
        self.holding = False
        self.cursor = 0
        self.published = 0
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="huzhu-relay")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def run(self) -> None:
        """Forever: take the relay lock, then publish while holding it."""
        while True:
            try:
                async with self._lock() as conn:
                    if conn is not False:
                        await self._publish_while_holding(conn)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("relay")
            finally:
                self.holding = False
            await asyncio.sleep(self.retry_s)

    @contextlib.asynccontextmanager
    async def _lock(self) -> AsyncIterator[AsyncConnection | bool | None]:
        """Yield the lock connection (None on SQLite), or False when another holds it."""
        if self.database.is_sqlite:
            yield None
            return
        async with self.database.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            k = RELAY_LOCK_KEY
            got = bool(await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": k}))
            if not got:
                yield False
                return
            try:
                yield conn
            finally:
                try:
                    await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": k})
                except BaseException:
                    await conn.invalidate()  # never hand a locked connection back to the pool
                    raise

    async def _publish_while_holding(self, conn: AsyncConnection | None) -> None:
        async with self.database.reader() as s:
            start = await newest_seq(s)
            epoch = await current_epoch(s)
        self.cursor = max(start, await self.broker.head(epoch=epoch))
        self.holding = True
        log.info("relay holds the lock; cursor %s", self.cursor)
        loop = asyncio.get_running_loop()
        checked = loop.time()
        backoff = self.poll_s
        while True:
            if conn is not None and loop.time() - checked >= self.retry_s:
                await conn.execute(text("SELECT 1"))  # the lock lives as long as this session
                checked = loop.time()
            async with self.database.reader() as s:
                rows = await read_after(s, self.cursor, limit=self.batch)
            if not rows:
                await asyncio.sleep(self.poll_s)
                continue
            try:
                await self.broker.publish(rows, prev_seq=self.cursor)
            except Exception as exc:
                log.warning("relay: publish failed (%s); retrying", exc.__class__.__name__)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)
                continue
            backoff = self.poll_s
            self.cursor = rows[-1].seq
            self.published += len(rows)


async def run_relay(
    database: Database, broker: Broker, *, poll_s: float = 0.05, batch: int = 500
) -> None:
    """Run a relay in the current task until cancelled."""
    await Relay(database, broker, poll_s=poll_s, batch=batch).run()
