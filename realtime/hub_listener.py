"""One socket's view of the hub: its events, filtered, in seq order, each once.

A listener buffers live events from the moment it is created; ``resume()`` and the
overflow refill read the database while that buffer keeps filling, then drop buffered
events at or below the last seq handed out, so the switch from database to live has no
gap and no duplicate (every buffered event is committed, and committed rows are a
prefix in seq order).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from core.events.outbox import Event, current_epoch, newest_seq, read_after

if TYPE_CHECKING:
    from realtime.hub import Hub


@dataclass(frozen=True)
class Resume:
    """What a reconnecting socket missed; ``reload``: fetch state again instead."""

    events: list[Event]
    reload: bool
    epoch: str


class Listener:
    """Events for one socket, filtered, in seq order, each once."""

    def __init__(self, hub: Hub, *, streams: Collection[str], prefixes: Collection[str]) -> None:
        self._hub = hub
        self.streams = frozenset(streams)
        self.prefixes = tuple(prefixes)
        self.last_seq = hub.last_seq
        self.overflows = 0
        self._buffer: deque[Event] = deque()
        self._wake = asyncio.Event()
        self._overflowed = False
        self._catching_up = False
        self._closed = False

    def matches(self, event: Event) -> bool:
        """On one of the streams, or on a stream under one of the prefixes."""
        return any(s in self.streams or s.startswith(self.prefixes) for s in event.streams)

    def offer(self, mine: Sequence[Event]) -> None:
        """Called by the hub with events that match; never blocks: a full queue marks the
        listener overflowed."""
        if self._closed or self._overflowed or not mine:
            return
        if len(self._buffer) + len(mine) > self._hub.queue_size:
            self._buffer.clear()
            self._overflowed = True
            self.overflows += 1
        else:
            self._buffer.extend(mine)
        self._wake.set()

    async def resume(self, after_seq: int, *, epoch: str | None, max_events: int) -> Resume:
        """The events after ``after_seq``, or ``reload`` when the epoch differs (a given
        ``epoch`` only) or more than ``max_events`` were missed; ``next()`` goes on from
        there."""
        async with self._hub.database.reader() as s:
            current = await current_epoch(s)
            events: list[Event] = []
            reload = epoch is not None and epoch != current
            if not reload:
                events = await self._read(s, after_seq, max_events + 1)
                reload = len(events) > max_events
            if reload:
                self._advance(await newest_seq(s))
                return Resume(events=[], reload=True, epoch=current)
        self._advance(events[-1].seq if events else after_seq)
        return Resume(events=events, reload=False, epoch=current)

    async def next(self, timeout: float | None = None) -> list[Event] | None:
        """The next matching events, or None after ``timeout`` seconds (or once closed)."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while not self._closed:
            if self._overflowed or self._catching_up:
                self._overflowed = False  # buffer live events again before reading
                page = self._hub.queue_size
                async with self._hub.database.reader() as s:
                    events = await self._read(s, self.last_seq, page)
                self._catching_up = len(events) >= page
                if events:
                    self._advance(events[-1].seq)
                    return events
                continue
            fresh = [e for e in self._buffer if e.seq > self.last_seq]
            self._buffer.clear()
            if fresh:
                self.last_seq = fresh[-1].seq
                return fresh
            self._wake.clear()
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                return None
            try:
                async with asyncio.timeout(left):  # no task per wait, unlike wait_for
                    await self._wake.wait()
            except TimeoutError:
                return None
        return None

    def close(self) -> None:
        self._closed = True
        self._buffer.clear()
        self._hub.forget(self)
        self._wake.set()

    async def _read(self, session: AsyncSession, after: int, limit: int) -> list[Event]:
        return await read_after(
            session, after, limit=limit, streams=list(self.streams), prefixes=list(self.prefixes)
        )

    def _advance(self, seq: int) -> None:
        """Hand-out position moves to ``seq``; buffered events at or below it are dropped."""
        self.last_seq = seq
        while self._buffer and self._buffer[0].seq <= seq:
            self._buffer.popleft()
