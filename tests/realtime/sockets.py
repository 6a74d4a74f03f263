"""Fixtures and helpers shared by the socket test modules (a served world per module)."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from core.db import Database
from core.events.outbox import emit
from realtime.client import SocketClient
from tests.conftest import truncate_all
from tests.factories import TwoCounties
from tests.realtime.servers import Server
from tests.realtime.ws_world import counties

_numbers = itertools.count(1)


@dataclass
class Served:
    """A running server on the test database, and the areas every test builds in."""

    db: Database
    tc: TwoCounties
    server: Server
    clients: list[SocketClient] = field(default_factory=list)

    def n(self) -> int:
        """A community number no other test of this run uses."""
        return next(_numbers)

    async def client(self, token: str, *, path: str = "/ws/volunteer", **kw: Any) -> SocketClient:
        c = SocketClient(self.server.ws, token, path=path, **kw)
        self.clients.append(c)
        await c.connect()
        return c


def database_url(db: Database) -> str:
    return db.url.render_as_string(hide_password=False)


@pytest.fixture(scope="module", name="served")
async def served_fixture(
    database: Database, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Served]:
    """One server for the module: the tables are emptied once before and once after (the
    server's hub and relay follow the outbox numbering, so they are not emptied between
    tests; each test builds in its own community instead)."""
    await truncate_all(database)
    tc = await counties(database)
    server = Server(database_url(database), tmp_path_factory.mktemp("ws")).start()
    s = Served(database, tc, server)
    try:
        yield s
    finally:
        for c in s.clients:
            await c.close()
        server.stop()
        await truncate_all(database)


async def until(
    c: SocketClient, kind: str, *, seen: list[dict[str, Any]] | None = None, timeout: float = 20.0,
    where: Any = None,
) -> dict[str, Any]:  # fmt: skip
    """The next event of type ``kind`` (matching ``where``); every event read goes to ``seen``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        left = deadline - loop.time()
        if left <= 0:
            raise AssertionError(f"no {kind} event within {timeout:g} s; saw {seen}")
        ev = await c.next_event(left)
        if seen is not None:
            seen.append(ev)
        if ev.get("type") == kind and (where is None or where(ev)):
            return ev


async def marker(db: Database, stream: str) -> int:
    """A committed ``test.marker`` event on ``stream``; its seq. Events arrive in seq
    order, so once a socket has the marker it has everything before it that it will get."""
    async with db.transaction() as s:
        return await emit(s, type="test.marker", data={"id": str(uuid.uuid4())}, streams=[stream])


async def eventually(check: Any, *, timeout: float = 20.0, what: str = "condition") -> Any:
    """Await ``check()`` until truthy (a deadline, never a timing assertion)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await check()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"{what} not reached within {timeout:g} s")
        await asyncio.sleep(0.05)
