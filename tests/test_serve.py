"""What `make run` does, as a real process: migrate, load the demo, serve, answer /docs."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

HUZHU = str(Path(sys.executable).parent / "huzhu")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_is_served(tmp_path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "HUZHU_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/data/huzhu.db",
        "HUZHU_PORT": str(port),
        "HUZHU_WORKERS": "1",
    }
    env.pop("HUZHU_REDIS_URL", None)
    subprocess.run([HUZHU, "db", "upgrade"], env=env, check=True, cwd=tmp_path, timeout=60)
    demo = subprocess.run(
        [HUZHU, "demo", "--households", "300", "--volunteers", "30"],
        env=env,
        check=True,
        cwd=tmp_path,
        timeout=60,
        capture_output=True,
        text=True,
    )
    tokens = dict(re.findall(r"^\s+(\S+)\s.*Bearer (hz_\S+)$", demo.stdout, flags=re.M))
    assert set(tokens) == {
        "admin",
        "yunnan",
        "yangbi",
        "grid01",
        "volunteer",
        "family",
        "dali-audit",
    }, demo.stdout
    again = subprocess.run(
        [HUZHU, "demo", "--households", "300", "--volunteers", "30"],
        env=env,
        check=True,
        cwd=tmp_path,
        timeout=60,
        capture_output=True,
        text=True,
    )
    assert "loaded" not in again.stdout  # demo data is loaded once; tokens are fresh each time
    server = subprocess.Popen(
        [HUZHU, "serve"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server did not come up"
            assert server.poll() is None, server.stdout.read().decode()
            time.sleep(0.2)
        assert httpx.get(f"{base}/docs").status_code == 200
        headers = {"Authorization": f"Bearer {tokens['yangbi']}"}
        areas = httpx.get(f"{base}/api/v1/areas", params={"limit": 500}, headers=headers).json()
        codes = {a["code"] for a in areas["items"]}
        assert "532922000000" in codes and "530000000000" not in codes
        login = httpx.post(
            f"{base}/api/v1/auth/token",
            json={"username": "yangbi", "password": "huzhu-demo-2026"},
        )
        assert login.status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=15)
