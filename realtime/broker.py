"""The broker interface: the relay publishes committed outbox batches, every worker reads all.

A broker only carries events; the outbox is the truth. Every batch names the seq
published just before it (``prev_seq``), so a subscriber that sees ``prev_seq`` differ
from the last seq it saw, or a ``Delivery(lost=True)``, fills the gap from the database.
Backends are chosen by URL and imported lazily: ``None``/``memory://`` is in-process,
``redis://…`` is Redis Streams.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import orjson

from core.events.outbox import Event


@dataclass(frozen=True)
class Delivery:
    """One published batch, or a notice that the subscriber lost some (then ``events=()``).

    ``prev_seq``: the seq published just before this batch; on a lost notice, the last
    seq this subscriber had received.
    """

    events: tuple[Event, ...]
    prev_seq: int
    lost: bool = False

    @property
    def last_seq(self) -> int:
        return self.events[-1].seq if self.events else self.prev_seq


class Subscription(Protocol):
    """One reader's view of the published batches, in order."""

    @property
    def connected(self) -> bool:
        """False while the backend is unreachable (the hub then polls the database)."""
        ...

    async def next(self, timeout: float | None = None) -> Delivery | None:
        """The next delivery, or None after ``timeout`` seconds (or once closed)."""
        ...


class Broker(Protocol):
    async def connect(self) -> None: ...

    async def close(self) -> None: ...

    async def publish(self, batch: Sequence[Event], *, prev_seq: int) -> None:
        """Publish ``batch`` (ascending seqs); ``prev_seq`` = the seq published before it."""
        ...

    async def head(self, *, epoch: str) -> int:
        """The last seq the broker knows was published in ``epoch`` (0 if none or unknown)."""
        ...

    def subscribe(self, *, after_seq: int) -> AbstractAsyncContextManager[Subscription]:
        """Batches with events after ``after_seq``: those still retained, then new ones."""
        ...


def broker_for(url: str | None, *, stream_maxlen: int = 100_000) -> Broker:
    """The broker for ``url``: None or ``memory://`` in-process, ``redis://…`` Redis Streams."""
    if url is None or url.startswith("memory://"):
        from realtime.broker_memory import MemoryBroker

        return MemoryBroker()
    if url.startswith(("redis://", "rediss://", "unix://")):
        from realtime.broker_redis import RedisBroker

        return RedisBroker(url, maxlen=stream_maxlen)
    raise ValueError(f"no broker for URL scheme of {url!r} (use memory:// or redis://)")


def trim(events: Sequence[Event], prev_seq: int, after_seq: int) -> Delivery | None:
    """The part of a batch after ``after_seq`` (None if nothing is left)."""
    if not events or events[-1].seq <= after_seq:
        return None
    kept = [e for e in events if e.seq > after_seq]
    if len(kept) < len(events):
        prev_seq = events[len(events) - len(kept) - 1].seq
    return Delivery(events=tuple(kept), prev_seq=prev_seq)


def encode_batch(batch: Sequence[Event], prev_seq: int) -> bytes:
    """A batch as JSON: seq list, prev_seq, wire events with their streams."""
    body = {
        "seqs": [e.seq for e in batch],
        "prev_seq": prev_seq,
        "events": [{**e.wire(), "streams": list(e.streams)} for e in batch],
    }
    return orjson.dumps(body)


def decode_batch(raw: bytes | str) -> tuple[list[Event], int]:
    """The inverse of :func:`encode_batch`: (events, prev_seq)."""
    body: dict[str, Any] = orjson.loads(raw)
    events = [
        Event(
            seq=e["seq"],
            epoch=e["epoch"],
            type=e["type"],
            at=datetime.fromisoformat(e["at"]),
            data=e["data"],
            streams=tuple(e["streams"]),
        )
        for e in body["events"]
    ]
    return events, body["prev_seq"]
