"""Real servers for socket tests: ``huzhu serve`` and ``redis-server`` in subprocesses.

:class:`Server` starts ``huzhu serve`` on a free port with the environment pointing at a
test database (and optionally Redis), waits for ``/healthz`` and stops (or kills) it.
:class:`RedisServer` runs a private ``redis-server`` that a test may kill and restart on
the same port.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

HUZHU = str(Path(sys.executable).parent / "huzhu")
FAST = {
    "HUZHU_MATCH_INTERVAL_SECONDS": "0.2",
    "HUZHU_TIMER_POLL_SECONDS": "0.1",
    "HUZHU_WS_HEARTBEAT_SECONDS": "1.0",
    "HUZHU_WS_IDLE_SECONDS": "4.0",
    "HUZHU_POSITION_MIN_SECONDS": "5",
    "HUZHU_OFFER_SECONDS": "600",
    "HUZHU_RESUME_MAX_EVENTS": "50",
    "HUZHU_MATCH_SOLVER_PROCESSES": "1",  # socket tests: one solver process starting, not two
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check: Any, *, timeout: float = 20.0, what: str = "condition") -> Any:
    """Poll ``check()`` until it returns something truthy (a deadline, not a timing)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout:g} s")
        time.sleep(0.05)


class Server:
    """One ``huzhu serve`` process (one worker) on a free port."""

    def __init__(
        self, database_url: str, log_dir: Path, *, redis_url: str | None = None, **env: str
    ) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.ws = f"ws://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"server-{self.port}.log"
        self.env = {**os.environ, **FAST, **env}
        self.env.update(HUZHU_DATABASE_URL=database_url, HUZHU_PORT=str(self.port))
        self.env.update(HUZHU_WORKERS="1", HUZHU_LOG_LEVEL="WARNING")
        self.env.pop("HUZHU_REDIS_URL", None)
        if redis_url:
            self.env["HUZHU_REDIS_URL"] = redis_url
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [HUZHU, "serve"], env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill() takes the solver too
        )  # fmt: skip
        wait_until(self._healthy, timeout=60, what=f"server on port {self.port}")
        return self

    def _healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"server exited:\n{self.log()}")
        try:
            return httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def restart(self) -> None:
        """Stop, then start again on the same port."""
        self.stop()
        self.start()

    def kill(self) -> None:
        """SIGKILL: the worker dies with whatever it had in flight."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)


class RedisServer:
    """A private ``redis-server`` keeping nothing on disk, restartable on its port."""

    def __init__(self, work_dir: Path) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            pytest.skip("redis-server is not installed")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.work_dir = work_dir
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> RedisServer:
        assert self.binary is not None
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.work_dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until(self._up, timeout=15, what=f"redis on port {self.port}")
        return self

    def _up(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=5)

    def restart(self) -> None:
        """kill -9 and start again on the same port: the streams are gone."""
        self.kill()
        self.start()
