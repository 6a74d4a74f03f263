"""The per-worker hub: one broker subscription fanned out to this worker's sockets.

The hub keeps the global last seq it has seen. A ``Delivery(lost=True)`` or a batch whose
``prev_seq`` is past that seq makes it read the missing range from the database once
and fan it out; batches at or below it are dropped, so every event is handed on once,
in seq order. While the broker is unreachable it polls the database every 0.25 s (and
every ``idle_poll_s`` when nothing arrives), so sockets keep receiving.

Each :class:`Listener` (one socket) gets the events on its streams or under its stream
prefixes. Its queue holds ``queue_size`` events; a listener that falls that far behind is
marked overflowed and refills itself from the database in its own ``next()``, so a slow
client never blocks the hub or another listener, and never loses an event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Collection, Sequence

from core.db import Database
from core.events.outbox import Event, newest_seq, read_after
from realtime.broker import Broker, Delivery, Subscription
from realtime.hub_listener import Listener, Resume

__all__ = ["Hub", "Listener", "Resume"]

log = logging.getLogger("huzhu.realtime.hub")
DOWN_POLL_S = 0.25
PAGE = 500


class Hub:
    """Bridges the broker and this worker's listeners."""

    def __init__(
        self,
        database: Database,
        broker: Broker,
        *,
        queue_size: int = 1000,
        idle_poll_s: float = 2.0,
    ) -> None:
        self.database = database
        self.broker = broker
        self.queue_size = queue_size
        self.idle_poll_s = idle_poll_s
        self.last_seq = 0
        self.fills = 0
        self._listeners: set[Listener] = set()
        self._exact: dict[str, set[Listener]] = {}
        self._prefix: dict[str, set[Listener]] = {}
        self._longest_prefix = 0
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def start(self) -> None:
        """Subscribe once (from the newest committed seq) and start fanning out."""
        async with self.database.reader() as s:
            self.last_seq = await newest_seq(s)
        await self.broker.connect()
        self._task = asyncio.create_task(self._run(), name="huzhu-hub")
        await self._ready.wait()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for listener in list(self._listeners):
            listener.close()

    def listen(self, *, streams: Collection[str] = (), prefixes: Collection[str] = ()) -> Listener:
        """A listener for one socket, starting after the hub's current position."""
        listener = Listener(self, streams=streams, prefixes=prefixes)
        self._listeners.add(listener)
        for key in listener.streams:
            self._exact.setdefault(key, set()).add(listener)
        for key in listener.prefixes:
            self._prefix.setdefault(key, set()).add(listener)
        self._longest_prefix = max(self._longest_prefix, *map(len, listener.prefixes), 0)
        return listener

    def forget(self, listener: Listener) -> None:
        self._listeners.discard(listener)
        for index, keys in ((self._exact, listener.streams), (self._prefix, listener.prefixes)):
            for key in keys:
                group = index.get(key)
                if group is not None:
                    group.discard(listener)
                    if not group:
                        del index[key]

    async def _run(self) -> None:
        while True:
            try:
                async with self.broker.subscribe(after_seq=self.last_seq) as sub:
                    self._ready.set()
                    await self._pump(sub)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("hub")
                self._ready.set()
                await asyncio.sleep(DOWN_POLL_S)

    async def _pump(self, sub: Subscription) -> None:
        loop = asyncio.get_running_loop()
        quiet_since = loop.time()
        while True:
            asked = loop.time()
            delivery = await sub.next(timeout=DOWN_POLL_S)
            if delivery is None:
                early = DOWN_POLL_S - (loop.time() - asked)
                if early > 0:  # a closed or failing subscription: never spin
                    await asyncio.sleep(early)
                if not sub.connected or loop.time() - quiet_since >= self.idle_poll_s:
                    await self._fill()
                    quiet_since = loop.time()
                continue
            quiet_since = loop.time()
            await self._take(delivery)

    async def _take(self, delivery: Delivery) -> None:
        if delivery.lost or delivery.prev_seq > self.last_seq:
            await self._fill()
        fresh = [e for e in delivery.events if e.seq > self.last_seq]
        if fresh:
            self._fan_out(fresh)

    async def _fill(self) -> None:
        """Read everything committed after the hub's position, once for all listeners."""
        self.fills += 1
        while True:
            async with self.database.reader() as s:
                events = await read_after(s, self.last_seq, limit=PAGE)
            if events:
                self._fan_out(events)
            if len(events) < PAGE:
                return

    def _fan_out(self, events: Sequence[Event]) -> None:
        """Hand each listener its matching events (indexed by stream and by prefix)."""
        self.last_seq = events[-1].seq
        mine: dict[Listener, list[Event]] = {}
        for event in events:
            targets: set[Listener] = set()
            for stream in event.streams:
                targets.update(self._exact.get(stream, ()))
                if self._prefix:
                    for end in range(min(len(stream), self._longest_prefix) + 1):
                        targets.update(self._prefix.get(stream[:end], ()))
            for listener in targets:
                mine.setdefault(listener, []).append(event)
        for listener, matched in mine.items():
            listener.offer(matched)
