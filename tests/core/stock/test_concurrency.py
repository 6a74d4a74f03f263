"""Concurrency over real HTTP: 200 reservations of 1 unit race for 50 on hand.

The app runs under uvicorn in a thread with its OWN :class:`Database` (a pool of 20
connections), on committed data. Exactly 50 succeed, the rest get 409 with what is
available, nothing is promised twice and no request fails with a 500 ("database is locked"
on SQLite, where 20 concurrent writers queue on ``BEGIN IMMEDIATE`` and the busy timeout).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import uvicorn
from sqlalchemy import func, select

from core.app import create_app
from core.auth.roles import Role
from core.config import Settings
from core.db import Database
from core.stock.models import Reservation
from tests.conftest import bearer_for
from tests.core.stock.test_ledger import assert_ledger_matches, lot_counts, receive, stock_world

REQUESTS, ON_HAND, POOL = 200, 50, 20


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.asynccontextmanager
async def serving(url: str) -> AsyncIterator[str]:
    """The app on a free port, in its own thread and event loop, with a pool of POOL."""
    port, box = _free_port(), {}

    async def main() -> None:
        db = Database(url, pool_size=POOL)
        app = create_app(Settings(_env_file=None, database_url=url), database=db, background=False)
        box["server"] = uvicorn.Server(uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))  # fmt: skip
        try:
            await box["server"].serve()
        finally:
            await db.dispose()

    thread = threading.Thread(target=lambda: asyncio.run(main()), daemon=True)
    thread.start()
    for _ in range(300):
        if getattr(box.get("server"), "started", False):
            break
        await asyncio.sleep(0.05)
    else:
        raise RuntimeError("the server did not start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        box["server"].should_exit = True
        await asyncio.to_thread(thread.join, 15)


async def test_200_concurrent_reservations_against_50_on_hand(committed) -> None:
    async with committed.transaction() as s:
        w = await stock_world(s)
        lot = await receive(s, w, ON_HAND)
        headers = await bearer_for(s, role=Role.coordinator, area_code="532922000000",
                                   username="coord-a")  # fmt: skip
    line = {"item_code": "WATER-L", "depot_id": str(w.depot), "quantity": 1}
    body = {"need_id": str(w.need), "lines": [line]}
    in_flight = REQUESTS if not committed.is_sqlite else POOL  # SQLite: 20 concurrent writers
    gate = asyncio.Semaphore(in_flight)
    url = committed.url.render_as_string(hide_password=False)

    async with serving(url) as base:
        limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:

            async def one() -> httpx.Response:
                async with gate:
                    return await client.post("/api/v1/stock/reservations", json=body,
                                             headers=headers)  # fmt: skip

            responses = await asyncio.gather(*(one() for _ in range(REQUESTS)))

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: ON_HAND, 409: REQUESTS - ON_HAND}, [
        r.text for r in responses if r.status_code not in (201, 409)
    ][:3]
    assert all(r.json()["available"] == 0 for r in responses if r.status_code == 409)
    async with committed.reader() as s:
        assert await lot_counts(s, lot) == (ON_HAND, ON_HAND)
        await assert_ledger_matches(s, lot)
        assert await s.scalar(select(func.count()).select_from(Reservation)) == ON_HAND
        total = await s.scalar(select(func.sum(Reservation.quantity)))
        assert total == ON_HAND
