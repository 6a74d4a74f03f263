"""``huzhu volunteer`` as a real process against a real server, fed through stdin."""

from __future__ import annotations

import asyncio
import os
import queue
import subprocess
import threading

from core.incidents.need_models import Need
from tests.realtime.servers import HUZHU
from tests.realtime.sockets import Served, marker, served_fixture  # noqa: F401
from tests.realtime.ws_world import create_need, place, status_of, volunteer


class Cli:
    """The CLI in a subprocess; its stdout read line by line on a thread."""

    def __init__(self, url: str, token: str) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
        self.process = subprocess.Popen(
            [HUZHU, "volunteer", "--token", token, "--url", url], env=env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    async def expect(self, text: str, timeout: float = 20.0) -> str:
        """The next output line containing ``text`` (the lines before it are kept)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                await asyncio.sleep(0.05)
                continue
            self.output.append(line)
            if text in line:
                return line
        raise AssertionError(f"no line with {text!r} within {timeout:g} s: {self.output}")

    def type(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()


async def test_the_cli_answers_offers_reports_and_resumes_after_a_drop(served: Served) -> None:
    p = await place(served.db, served.tc, served.n())
    vid, token = await volunteer(served.db, p, f"cli{p.community.code}")
    cli = Cli(served.server.ws, token)
    try:
        await cli.expect("connected to")
        await cli.expect("state")
        need_id = create_need(served.server.base, p)
        offer = await cli.expect("offer ")
        cli.type("a")
        await cli.expect("ok offer.accept")
        await cli.expect(" accepted")
        cli.type("s en_route")
        await cli.expect(" en_route")
        served.server.stop()  # the server goes away; an event happens meanwhile
        seq = await marker(served.db, f"volunteer:{vid}")
        await cli.expect("disconnected")
        served.server.start()
        await cli.expect("connected again")
        await cli.expect(f"event test.marker #{seq}")
        cli.type("s arrived")
        await cli.expect(" arrived")
        cli.type("s done")
        await cli.expect(" done")
        cli.type("s done")
        await cli.expect("no current assignment")
        cli.type("q")
        assert await asyncio.to_thread(cli.process.wait, 15) == 0
    finally:
        if cli.process.poll() is None:
            cli.process.kill()
    assert await status_of(served.db, Need, need_id) == "fulfilled"
    assert sum("test.marker" in line for line in cli.output) == 1
    assert offer.split()[1].rstrip(":")  # the offer line names the assignment


async def test_a_refused_token_ends_the_cli(served: Served) -> None:
    cli = Cli(served.server.ws, "hz_wrong")
    await cli.expect("refused")
    assert await asyncio.to_thread(cli.process.wait, 15) == 2
