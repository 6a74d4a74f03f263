"""Processes and data for ``bench/dispatch.py``: servers, the socket process, volunteers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert, select

from core import clock
from core.auth.models import Token, User
from core.auth.tokens import digest, new_secret
from core.db import Database
from core.ids import uuid7
from core.migrate import upgrade, wipe_postgres
from core.registry.areas.demo import load_demo_areas
from core.registry.areas.models import Area
from core.registry.volunteers.models import Volunteer

BENCH = Path(__file__).resolve().parent
HUZHU = Path(sys.executable).with_name("huzhu")
COUNTY_CODE = "532922000000"  # 漾濞彝族自治县


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def temp_sqlite() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite+aiosqlite:///{tmp}/dispatch.db"


@dataclass
class World:
    vol_ids: list[uuid.UUID]
    volunteer_tokens: list[str]
    coordinator_tokens: list[str]
    area_path: str


async def prepare(db: Database, n: int, redis_url: str | None) -> World:
    """A fresh database with ``n`` volunteers of 漾濞, each with a user and a token, and
    ``n`` coordinators of 漾濞 with a token each."""
    if db.dialect == "postgresql":
        await wipe_postgres(db)
    await upgrade(db)
    if redis_url:
        from redis.asyncio import Redis

        r = Redis.from_url(redis_url)
        await r.flushdb()
        await r.aclose()
    now = clock.now()
    vol_ids, user_ids = [uuid7() for _ in range(n)], [uuid7() for _ in range(2 * n)]
    secrets = [new_secret() for _ in range(2 * n)]
    async with db.transaction() as s:
        await load_demo_areas(session=s)
        area = (await s.execute(select(Area).where(Area.code == COUNTY_CODE))).scalar_one()
        base = {"area_id": area.id, "created_at": now}
        await s.execute(insert(Volunteer), [
            {**base, "id": v, "name": f"bench{i}", "area_path": area.area_path,
             "availability": {"always": True}, "max_travel_km": 30.0, "lon": 99.95,
             "lat": 25.67, "updated_at": now, "insurance_valid_until": now.date()}
            for i, v in enumerate(vol_ids)])  # fmt: skip
        roles = ["volunteer"] * n + ["coordinator"] * n
        await s.execute(insert(User), [
            {**base, "id": u, "username": f"bench{i}", "display_name": f"bench{i}",
             "role": role, "scope_path": area.area_path,
             "volunteer_id": vol_ids[i] if i < n else None}
            for i, (u, role) in enumerate(zip(user_ids, roles, strict=True))])  # fmt: skip
        await s.execute(insert(Token), [
            {"id": uuid7(), "user_id": u, "token_hash": digest(t), "role": role,
             "scope_path": area.area_path, "label": "bench", "created_at": now,
             "expires_at": now + timedelta(hours=6)}
            for u, t, role in zip(user_ids, secrets, roles, strict=True)])  # fmt: skip
    return World(vol_ids, secrets[:n], secrets[n:], area.area_path)


def _wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stdout.read() if proc.stdout else ''}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not come up")
        time.sleep(0.2)


@contextlib.contextmanager
def _procs(commands: list[tuple[list[str], dict, str, Path | None]]) -> Iterator[list[str]]:
    started: list[subprocess.Popen] = []
    try:
        for cmd, env, url, cwd in commands:
            proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)  # fmt: skip
            started.append(proc)
            _wait_healthy(url, proc)
        yield [url for _, _, url, _ in commands]
    finally:
        for proc in started:
            proc.terminate()
        for proc in started:
            proc.wait(timeout=30)


@contextlib.contextmanager
def servers(db_url: str, redis_url: str | None, workers: int) -> Iterator[list[str]]:
    """``workers`` ``huzhu serve`` processes on one database (and Redis): their URLs."""
    commands = []
    for _ in range(workers):
        port = free_port()
        env = {**os.environ, "HUZHU_DATABASE_URL": db_url, "HUZHU_PORT": str(port),
               "HUZHU_LOG_LEVEL": "WARNING", "HUZHU_MATCH_INTERVAL_SECONDS": "3600"}  # fmt: skip
        env.pop("HUZHU_REDIS_URL", None)
        if redis_url:
            env["HUZHU_REDIS_URL"] = redis_url
        commands.append(([str(HUZHU), "serve"], env, f"http://127.0.0.1:{port}", None))
    with _procs(commands) as urls:
        yield urls


@contextlib.contextmanager
def broadcast_server() -> Iterator[str]:
    port = free_port()
    cmd = [sys.executable, "-m", "uvicorn", "_broadcast_app:app", "--port", str(port),
           "--log-level", "warning", "--ws-per-message-deflate", "false"]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    with _procs([(cmd, dict(os.environ), url, BENCH)]):
        yield url


async def post_emit(url: str, rate: float, seconds: float, sockets: int, broadcast: bool) -> int:
    body = {"rate": rate, "seconds": seconds, "sockets": sockets, "broadcast": broadcast}
    async with httpx.AsyncClient(timeout=seconds + 60) as client:
        return int((await client.post(f"{url}/emit", json=body)).json()["sent"])


class Clients:
    """The socket process (``_dispatch_clients.py``): started, ready, asked, stopped."""

    def __init__(self, urls: list[str], tokens: list[str], mode: str) -> None:
        self.spec = Path(tempfile.mkstemp(suffix=".json")[1])
        self.spec.write_text(json.dumps({"urls": urls, "tokens": tokens, "mode": mode}))

    def __enter__(self) -> Clients:
        self.proc = subprocess.Popen(
            [sys.executable, str(BENCH / "_dispatch_clients.py"), str(self.spec)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line.startswith("ready"):
            raise RuntimeError(f"socket process failed: {line!r}")
        return self

    async def report_after(self, drain_s: float, *, expect: int) -> dict:
        """The counters once ``expect`` events arrived or ``drain_s`` passed."""
        deadline = time.monotonic() + drain_s
        while True:
            got = await asyncio.to_thread(self._ask, "report")
            if got["unique"] >= expect or time.monotonic() > deadline:
                await asyncio.to_thread(self._ask, "reset")
                return got
            await asyncio.sleep(0.25)

    def _ask(self, what: str) -> dict:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(what + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):
            assert self.proc.stdin
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.spec.unlink(missing_ok=True)
