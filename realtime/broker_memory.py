"""The in-process broker: one worker (SQLite, tests). Publish never blocks.

Each subscriber has a bounded queue (``capacity`` batches). A subscriber whose queue is
full is marked overflowed: its queue is dropped, its next ``next()`` answers
``Delivery(lost=True)`` and it then continues with new batches. The broker keeps the last
``history`` batches so ``subscribe(after_seq=…)`` can replay what is still retained.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Sequence

from core.events.outbox import Event
from realtime.broker import Delivery, trim


class MemorySubscription:
    """One subscriber's queue."""

    connected = True

    def __init__(self, *, after_seq: int, capacity: int) -> None:
        self._after = after_seq
        self._capacity = capacity
        self._queue: deque[Delivery] = deque()
        self._wake = asyncio.Event()
        self._lost = False
        self._closed = False
        self._delivered = after_seq
        self.overflows = 0

    def offer(self, events: Sequence[Event], prev_seq: int) -> bool:
        """Queue a batch; False when the queue was full (the subscriber is marked lost)."""
        delivery = trim(events, prev_seq, self._after)
        if delivery is None:
            return True
        if len(self._queue) >= self._capacity:
            self._queue.clear()
            self._lost = True
            self.overflows += 1
            self._wake.set()
            return False
        self._queue.append(delivery)
        self._wake.set()
        return True

    def mark_lost(self) -> None:
        self._lost = True
        self._wake.set()

    def close(self) -> None:
        self._closed = True
        self._wake.set()

    async def next(self, timeout: float | None = None) -> Delivery | None:
        while not self._closed:
            if self._lost:
                self._lost = False
                return Delivery(events=(), prev_seq=self._delivered, lost=True)
            if self._queue:
                delivery = self._queue.popleft()
                self._delivered = delivery.last_seq
                return delivery
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except TimeoutError:
                return None
        return None


class MemoryBroker:
    """In-process fan-out with bounded queues; ``overflows`` counts full-queue drops."""

    def __init__(self, *, capacity: int = 10_000, history: int = 100) -> None:
        self.capacity = capacity
        self._history: deque[Delivery] = deque(maxlen=history)
        self._subs: set[MemorySubscription] = set()
        self._head = 0
        self.overflows = 0

    async def connect(self) -> None:
        return None

    async def close(self) -> None:
        for sub in list(self._subs):
            sub.close()
        self._subs.clear()

    async def head(self, *, epoch: str) -> int:
        last = self._history[-1].events[-1] if self._history else None
        return self._head if last is not None and last.epoch == epoch else 0

    async def publish(self, batch: Sequence[Event], *, prev_seq: int) -> None:
        if not batch or batch[-1].seq <= self._head:
            return  # a republish (as Redis refuses an id at or below the top)
        events = tuple(batch)
        self._history.append(Delivery(events=events, prev_seq=prev_seq))
        self._head = events[-1].seq
        for sub in list(self._subs):
            if not sub.offer(events, prev_seq):
                self.overflows += 1

    @contextlib.asynccontextmanager
    async def subscribe(self, *, after_seq: int) -> AsyncIterator[MemorySubscription]:
        sub = MemorySubscription(after_seq=after_seq, capacity=self.capacity)
        oldest = self._history[0] if self._history else None
        if oldest is not None and oldest.last_seq > after_seq and oldest.prev_seq > after_seq:
            sub.mark_lost()  # what came between after_seq and the oldest retained is gone
        for d in self._history:
            sub.offer(d.events, d.prev_seq)
        self._subs.add(sub)
        try:
            yield sub
        finally:
            self._subs.discard(sub)
            sub.close()
