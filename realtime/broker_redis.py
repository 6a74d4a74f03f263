"""The Redis Streams broker (not pub/sub): every worker reads every batch with XREAD.

Publish: ``XADD <key> MAXLEN ~ <maxlen> <last seq>-0 b <batch JSON>``; ids are the
batches' last seqs, so a republish of an id at or below the top is refused by Redis and
ignored here. Redis keeps nothing on disk, so ``<key>:instance`` holds a random value,
set once (``SET NX``) by whoever connects first: a different value on reconnect means
Redis lost its data. A subscriber answers ``Delivery(lost=True)`` when the instance
changed, or when a batch's ``prev_seq`` is past its position and the stream's oldest
entry is too (trimmed past it). It never raises for an outage: it reconnects with
backoff, and ``next(timeout)`` answers None meanwhile (``connected`` is False).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import deque
from collections.abc import AsyncIterator, Sequence
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError, ResponseError

from core.events.outbox import Event
from realtime.broker import Delivery, decode_batch, encode_batch, trim

log = logging.getLogger("huzhu.realtime.redis")
_BLOCK_S = 5.0


def _seq_of(entry_id: bytes | str) -> int:
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    return int(text.split("-", 1)[0])


class RedisBroker:
    """Publishes to and reads from one stream ``key`` of the Redis at ``url``."""

    def __init__(self, url: str, *, key: str = "huzhu:events", maxlen: int = 100_000) -> None:
        self.url = url
        self.key = key
        self.marker_key = f"{key}:instance"
        self.maxlen = maxlen
        self._client: Redis | None = None
        self._subs: set[RedisSubscription] = set()

    @property
    def subscriptions(self) -> list[RedisSubscription]:
        return list(self._subs)

    def new_client(self) -> Redis:
        """A client without redis-py's own retries (reconnects are handled here)."""
        return Redis.from_url(
            self.url,
            socket_connect_timeout=1,
            socket_timeout=_BLOCK_S + 5,
            retry=Retry(NoBackoff(), 0),
        )

    async def connect(self) -> None:
        if self._client is None:
            self._client = self.new_client()

    async def close(self) -> None:
        for sub in list(self._subs):
            await sub.close()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def head(self, *, epoch: str) -> int:
        await self.connect()
        assert self._client is not None
        try:
            entries = await self._client.xrevrange(self.key, "+", "-", count=1)
        except RedisError:
            return 0
        if not entries:
            return 0
        events, _ = decode_batch(entries[0][1][b"b"])
        return _seq_of(entries[0][0]) if events and events[-1].epoch == epoch else 0

    async def publish(self, batch: Sequence[Event], *, prev_seq: int) -> None:
        """XADD the batch (raises ``RedisError`` when Redis is unreachable)."""
        if not batch:
            return
        await self.connect()
        assert self._client is not None
        pipe = self._client.pipeline(transaction=False)
        pipe.set(self.marker_key, uuid.uuid4().hex, nx=True)
        pipe.xadd(
            self.key,
            {"b": encode_batch(batch, prev_seq)},
            id=f"{batch[-1].seq}-0",
            maxlen=self.maxlen,
            approximate=True,
        )
        _, added = await pipe.execute(raise_on_error=False)
        if isinstance(added, ResponseError) and "equal or smaller" in str(added):
            log.debug("batch up to %s already published", batch[-1].seq)
            return
        if isinstance(added, Exception):
            raise added

    @contextlib.asynccontextmanager
    async def subscribe(self, *, after_seq: int) -> AsyncIterator[RedisSubscription]:
        sub = RedisSubscription(self, after_seq=after_seq)
        self._subs.add(sub)
        try:
            yield sub
        finally:
            self._subs.discard(sub)
            await sub.close()


class RedisSubscription:
    """A plain XREAD reader from its last id; reconnects by itself."""

    def __init__(self, broker: RedisBroker, *, after_seq: int) -> None:
        self._broker = broker
        self._pos = after_seq
        self._client: Redis | None = None
        self._instance: bytes | None = None
        self._pending: deque[Delivery] = deque()
        self._backoff = 0.05
        self._closed = False
        self.reconnects = 0

    @property
    def connected(self) -> bool:
        return self._client is not None

    async def close(self) -> None:
        self._closed = True
        await self._drop()

    async def next(self, timeout: float | None = None) -> Delivery | None:
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while not self._closed:
            if self._pending:
                return self._pending.popleft()
            left = _BLOCK_S if deadline is None else deadline - loop.time()
            if left <= 0:
                return None
            try:
                if self._client is None:
                    await self._connect()
                    continue
                block_ms = max(1, int(1000 * min(left, _BLOCK_S)))
                key = self._broker.key
                read = self._client.xread({key: f"{self._pos}-0"}, count=100, block=block_ms)
                found = await asyncio.wait_for(read, block_ms / 1000 + 1)  # a silent Redis too
                await self._take(found)
                self._backoff = 0.05
            except (RedisError, OSError) as exc:
                log.info("redis subscription: %s; reconnecting", exc.__class__.__name__)
                await self._drop()
                await asyncio.sleep(min(self._backoff, max(left, 0.001)))
                self._backoff = min(self._backoff * 2, 1.0)
        return None

    async def _connect(self) -> None:
        client = self._broker.new_client()
        try:
            await client.set(self._broker.marker_key, uuid.uuid4().hex, nx=True)
            instance = await client.get(self._broker.marker_key)
        except BaseException:
            await client.aclose()
            raise
        if self._instance is not None and instance != self._instance:
            log.warning("redis lost its data (new instance); subscribers refill from the outbox")
            self._pending.append(Delivery(events=(), prev_seq=self._pos, lost=True))
        if self._instance is not None:
            self.reconnects += 1
        self._instance = instance
        self._client = client

    async def _take(self, found: Any) -> None:
        for entry_id, fields in found[0][1] if found else []:  # RESP2: [[key, entries]]
            seq = _seq_of(entry_id)
            try:
                events, prev_seq = decode_batch(fields[b"b"])
            except (ValueError, KeyError, TypeError):
                log.error("redis: unreadable batch %s skipped; refilling from the outbox", seq)
                self._pending.append(Delivery(events=(), prev_seq=self._pos, lost=True))
                self._pos = max(self._pos, seq)
                continue
            if prev_seq > self._pos and await self._trimmed_past():
                self._pending.append(Delivery(events=(), prev_seq=self._pos, lost=True))
            delivery = trim(events, prev_seq, self._pos)
            self._pos = max(self._pos, seq)
            if delivery is not None:
                self._pending.append(delivery)

    async def _trimmed_past(self) -> bool:
        """True when the stream's oldest entry is past this subscriber's position."""
        assert self._client is not None
        oldest = await self._client.xrange(self._broker.key, "-", "+", count=1)
        return bool(oldest) and _seq_of(oldest[0][0]) > self._pos

    async def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                await client.aclose()
