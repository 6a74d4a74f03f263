"""A small asyncio client of the Huzhu sockets (the volunteer CLI, tests and bench use it).

It authenticates with its first message, keeps ``last_seq``/``epoch`` so a reconnect
resumes exactly after the last event it saw, drops events it already has (by seq),
answers heartbeats with a ``ping`` and matches answers to requests by message id.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import uuid
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

CLOSED = object()


class Disconnected(Exception):
    """The socket closed; ``code`` is the close code (4401: the token was refused)."""

    def __init__(self, code: int | None, reason: str = "") -> None:
        super().__init__(f"socket closed ({code}) {reason}".strip())
        self.code = code
        self.reason = reason


class Refused(Disconnected):
    """Authentication refused (close 4401); reconnecting will not help."""


class SocketClient:
    """One logical connection to ``<url><path>`` that may be reconnected (and resumed)."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        path: str = "/ws/volunteer",
        last_seq: int | None = None,
        epoch: str | None = None,
    ) -> None:
        self.url, self.token, self.path = url.rstrip("/"), token, path
        self.last_seq, self.epoch = last_seq, epoch
        self.state: dict[str, Any] | None = None  # the last ``state`` message's data
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._events: asyncio.Queue[Any] = asyncio.Queue()
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.closed: Disconnected | None = None

    async def connect(self, url: str | None = None, *, timeout: float = 10.0) -> dict[str, Any]:
        """Open, authenticate and resume; the auth answer's data. :class:`Refused` on 4401."""
        await self.close()
        self.url = (url or self.url).rstrip("/")
        self._events, self.closed = asyncio.Queue(), None
        self._ws = await connect(self.url + self.path, compression=None, open_timeout=timeout)
        auth = {"token": self.token, "last_seq": self.last_seq, "epoch": self.epoch}
        mid = str(uuid.uuid4())
        await self._ws.send(json.dumps({"id": mid, "type": "auth", "data": auth}))
        try:
            answer = json.loads(await asyncio.wait_for(self._ws.recv(), timeout))
        except ConnectionClosed as exc:
            raise _closed(exc) from None
        if not answer.get("ok"):
            await self._ws.close()
            raise Refused(4401, answer.get("error", {}).get("detail", ""))
        self.epoch = answer["data"]["epoch"]
        self._reader = asyncio.create_task(self._read())
        return answer["data"]

    async def reconnect(
        self, url: str | None = None, *, first: float = 0.2, most: float = 10.0,
        attempts: int | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """:meth:`connect` with exponential backoff (jittered) until it works."""
        delay, tried = first, 0
        while True:
            try:
                return await self.connect(url)
            except Refused:
                raise
            except (OSError, TimeoutError, Disconnected, ConnectionClosed):
                tried += 1
                if attempts is not None and tried >= attempts:
                    raise
            await asyncio.sleep(delay * (0.5 + random.random()))
            delay = min(most, delay * 2)

    async def next_event(self, timeout: float | None = None) -> dict[str, Any]:
        """The next event (or ``resume.reload`` / ``state``); :class:`Disconnected` on close,
        :class:`TimeoutError` after ``timeout``."""
        item = await asyncio.wait_for(self._events.get(), timeout)
        if item is CLOSED:
            self._events.put_nowait(CLOSED)
            assert self.closed is not None
            raise self.closed
        return item

    async def request(
        self, type: str, data: dict[str, Any] | None = None, *, id: str | None = None,
        timeout: float = 10.0,
    ) -> dict[str, Any]:  # fmt: skip
        """Send a message and wait for its answer (``{"re", "ok", "data"|"error"}``)."""
        mid = id or str(uuid.uuid4())
        future = self._waiting.setdefault(mid, asyncio.get_running_loop().create_future())
        await self.send({"id": mid, "type": type, "data": data or {}})
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        finally:
            if future.done():
                self._waiting.pop(mid, None)

    async def send(self, message: dict[str, Any]) -> None:
        if self._ws is None or self.closed is not None:
            raise self.closed or Disconnected(None, "not connected")
        await self._ws.send(json.dumps(message, default=str))

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        self._ws = self._reader = None

    async def _read(self) -> None:
        assert self._ws is not None
        try:
            async for text in self._ws:
                if self._dispatch(json.loads(text)):  # a heartbeat: show we are here
                    await self._quiet_send({"id": str(uuid.uuid4()), "type": "ping", "data": {}})
            self._end(_gone(self._ws.close_code, self._ws.close_reason or ""))
        except ConnectionClosed as exc:
            self._end(_closed(exc))

    def _dispatch(self, msg: dict[str, Any]) -> bool:
        """Route one server message; True for a heartbeat."""
        if "re" in msg:
            future = self._waiting.get(msg["re"])
            if future is not None and not future.done():
                future.set_result(msg)
            return False
        kind, seq = msg.get("type"), msg.get("seq")
        if kind == "heartbeat":
            return True
        if seq is not None:
            fresh = kind in ("state", "resume.reload")
            if not fresh and self.last_seq is not None and seq <= self.last_seq:
                return False  # already seen (consumers deduplicate by seq)
            self.last_seq = seq
        if msg.get("epoch"):
            self.epoch = msg["epoch"]
        if kind == "state":
            self.state = msg.get("data")
        self._events.put_nowait(msg)
        return False

    async def _quiet_send(self, message: dict[str, Any]) -> None:
        with contextlib.suppress(Exception):
            await self.send(message)

    def _end(self, closed: Disconnected) -> None:
        self.closed = closed
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(closed)
        self._waiting.clear()
        self._events.put_nowait(CLOSED)


def _closed(exc: ConnectionClosed) -> Disconnected:
    if exc.rcvd is None:
        return Disconnected(None, "connection lost")
    return _gone(exc.rcvd.code, exc.rcvd.reason)


def _gone(code: int | None, reason: str) -> Disconnected:
    return (Refused if code == 4401 else Disconnected)(code, reason)
