"""One socket's connection and its sender (see :mod:`realtime.ws_session`).

The sender task reads the socket's hub Listener and writes events, a heartbeat after
``HUZHU_WS_HEARTBEAT_SECONDS`` of silence, and closes the socket once the client has
said nothing for ``HUZHU_WS_IDLE_SECONDS`` (4408), its token is revoked (4401) or the
worker shuts down (1012). Answers are written by the receiving task under the same lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from typing import Any

import orjson
from fastapi import WebSocket
from pydantic_core import to_jsonable_python
from starlette.websockets import WebSocketState

from core.auth.roles import Principal, Role
from core.config import Settings
from core.db import Database
from core.events.outbox import Event
from realtime.hub import Listener
from realtime.protocol import CLOSE_IDLE, CLOSE_RESTART, CLOSE_UNAUTHORIZED

REVOKED = "token.revoked"


@dataclass
class Socket:
    """One authenticated connection: who, where events go, and its live filter."""

    ws: WebSocket
    database: Database
    settings: Settings
    principal: Principal
    only: Callable[[Event], bool] | None = None  # a narrowing filter (coordinator subscribe)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last_heard: float = 0.0
    last_sent: float = 0.0

    async def send(self, message: dict[str, Any]) -> None:
        await self.send_text(json.dumps(to_jsonable_python(message), ensure_ascii=False))

    async def send_text(self, text: str) -> None:
        async with self.lock:
            await self.ws.send_text(text)
        self.last_sent = now()

    async def close(self, code: int, reason: str = "") -> None:
        with contextlib.suppress(Exception):
            if self.ws.application_state is WebSocketState.CONNECTED:
                async with self.lock:
                    await self.ws.close(code=code, reason=reason)


Handler = Callable[[Socket, dict[str, Any]], Awaitable[Any]]


@dataclass(frozen=True)
class Endpoint:
    """What differs between the volunteer and the coordinator socket."""

    roles: frozenset[Role]
    subscription: Callable[[Principal], tuple[Collection[str], Collection[str]]]
    handlers: dict[str, Handler]
    state: Callable[[Socket], Awaitable[dict[str, Any]]] | None = None

    @property
    def known(self) -> frozenset[str]:
        return frozenset({*self.handlers, "ping", "auth"})


def now() -> float:
    return asyncio.get_running_loop().time()


_TEXTS: OrderedDict[tuple[str, int], str] = OrderedDict()
_TEXTS_KEPT = 4096


def wire_text(ev: Event) -> str:
    """The event's JSON text, made once for every socket it goes to (event data is JSON
    already: it came from the outbox)."""
    key = (ev.epoch, ev.seq)
    text = _TEXTS.get(key)
    if text is None:
        text = _TEXTS[key] = orjson.dumps(ev.wire()).decode()
        if len(_TEXTS) > _TEXTS_KEPT:
            _TEXTS.popitem(last=False)
    return text


async def deliver(sock: Socket, events: list[Event]) -> bool:
    """Send ``events``; False once the socket has been closed for a revoked token."""
    for ev in events:
        if ev.type == REVOKED and f"token:{sock.principal.token_id}" in ev.streams:
            await sock.send(ev.wire())
            await sock.close(CLOSE_UNAUTHORIZED, "token revoked")
            return False
        if sock.only is None or sock.only(ev):
            await sock.send_text(wire_text(ev))
    return True


async def pump(sock: Socket, listener: Listener) -> None:
    """The sender: live events, a heartbeat after silence, a close after client silence."""
    beat, idle = sock.settings.ws_heartbeat_seconds, sock.settings.ws_idle_seconds
    while True:
        t = now()
        if t - sock.last_heard >= idle:
            await sock.close(CLOSE_IDLE, f"nothing heard for {idle:g} s")
            return
        if t - sock.last_sent >= beat:
            await sock.send({"type": "heartbeat"})
        wake = max(0.01, min(sock.last_sent + beat, sock.last_heard + idle) - now())
        asked = now()
        events = await listener.next(timeout=wake)
        if events is None and now() - asked < wake / 2:  # the hub closed it: shutting down
            await sock.close(CLOSE_RESTART, "server shutting down; reconnect")
            return
        if events and not await deliver(sock, events):
            return
