"""``huzhu volunteer --token …``: a volunteer's offers in the terminal.

It prints offers and status changes (Rich) and reads one command a line from stdin:
``a`` accepts the current offer, ``d [reason]`` declines it, ``s <status>`` reports
``picked_up``/``en_route``/``arrived``/``done``/``failed``, ``p <lon> <lat>`` shares a
position, ``q`` quits. After a drop it reconnects with backoff and resumes from its last
seq, so nothing is missed and nothing shown twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from core.sync import run
from realtime.client import Disconnected, Refused, SocketClient

FINAL = {"done", "declined", "expired", "withdrawn", "failed", "cancelled"}
HELP = "a accept · d [reason] decline · s <status> report · p <lon> <lat> position · q quit"


class Terminal:
    """The state the commands act on: the current assignment, shown as it changes."""

    def __init__(self, client: SocketClient, console: Console) -> None:
        self.client, self.console = client, console
        self.current: dict[str, Any] | None = None

    def say(self, text: str) -> None:
        self.console.print(text, soft_wrap=True, highlight=False)

    def show(self, ev: dict[str, Any]) -> None:
        kind, data = ev.get("type", ""), ev.get("data") or {}
        if kind == "state":
            live = data.get("assignments", [])
            self.current = live[-1] if live else None
            self.say(f"[bold]state[/]: {len(live)} live assignment(s)")
            for a in live:
                self.say(f"  assignment {a['id']} {a['status']}")
        elif kind == "resume.reload":
            self.say("[yellow]reload[/]: history changed; fetching the current state")
        elif kind == "assignment.offered":
            self.current = {**data, "status": "offered"}
            self._offer(data)
        elif kind.startswith("assignment."):
            status = data.get("status", kind.split(".", 1)[1])
            self.say(f"assignment {data.get('id')} [bold]{status}[/]")
            if self.current and self.current.get("id") == data.get("id"):
                self.current = None if status in FINAL else {**self.current, "status": status}
        elif kind == "token.revoked":
            self.say("[red]token revoked[/]")
        else:
            self.say(f"event {escape(kind)} #{ev.get('seq')}")

    def _offer(self, d: dict[str, Any]) -> None:
        need = d.get("need") or {}
        self.say(f"[bold green]offer[/] {d['id']}: {escape(str(need.get('kind')))} "
                 f"priority {need.get('priority')} · {d.get('distance_m', 0):.0f} m · "
                 f"answer by {d.get('deadline')}")  # fmt: skip
        if need.get("summary"):
            self.say(f"  {escape(need['summary'])}")
        depot = d.get("depot")
        for item in d.get("items") or []:
            where = f" from {escape(depot['name'])}" if depot else ""
            self.say(f"  pick up {item['quantity']} {item['unit']} {escape(item['name'])}{where}")
        self.say(f"  {HELP}")

    async def command(self, line: str) -> bool:
        """Act on one input line; False to quit."""
        word, _, rest = line.strip().partition(" ")
        if word in ("q", "quit"):
            return False
        if not word:
            return True
        aid = (self.current or {}).get("id")
        if word == "p":
            lon, _, lat = rest.partition(" ")
            return await self._send("position", {"lon": _num(lon), "lat": _num(lat)})
        if aid is None:
            self.say("no current assignment")
            return True
        if word == "a":
            return await self._send("offer.accept", {"assignment_id": aid})
        if word == "d":
            return await self._send("offer.decline", {"assignment_id": aid, "reason": rest or None})
        if word == "s" and rest:
            return await self._send("assignment.status", {"assignment_id": aid, "status": rest})
        self.say(HELP)
        return True

    async def _send(self, kind: str, data: dict[str, Any]) -> bool:
        try:
            answer = await self.client.request(kind, data)
        except (Disconnected, TimeoutError):
            self.say("[red]not sent[/]: not connected; try again")
            return True
        if answer.get("ok"):
            self.say(f"ok {kind} {escape(str(answer.get('data', '')))}")
        else:
            err = answer["error"]
            self.say(f"[red]error {err['status']}[/] {escape(err['detail'])}")
        return True


def _num(text: str) -> Any:
    try:
        return float(text)
    except ValueError:
        return text  # the server names the field


async def _stdin() -> tuple[asyncio.Queue[str | None], asyncio.Task[None]]:
    """stdin lines on a queue (None at the end of input), and the task filling it."""
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    async def pump() -> None:
        while line := await reader.readline():
            queue.put_nowait(line.decode(errors="replace"))
        queue.put_nowait(None)

    return queue, asyncio.create_task(pump())


async def _events(term: Terminal) -> None:
    """Show events forever, reconnecting (and resuming) after each drop."""
    while True:
        try:
            term.show(await term.client.next_event())
        except Refused:
            raise
        except Disconnected as exc:
            term.say(f"[yellow]disconnected[/] ({exc.code}); reconnecting")
            await term.client.reconnect()
            term.say(f"connected again; resumed after #{term.client.last_seq}")


async def main(url: str, token: str, console: Console) -> int:
    client = SocketClient(url, token)
    term = Terminal(client, console)
    try:
        await client.reconnect()
    except Refused as exc:
        term.say(f"[red]refused[/]: {escape(exc.reason)}")
        return 2
    term.say(f"connected to {escape(url)} · {HELP}")
    lines, pump = await _stdin()
    shown = asyncio.create_task(_events(term))
    try:
        while True:
            line = asyncio.create_task(lines.get())
            await asyncio.wait({line, shown}, return_when=asyncio.FIRST_COMPLETED)
            if shown.done():
                line.cancel()
                term.say(f"[red]closed[/]: {escape(str(shown.exception()))}")
                return 2
            text = line.result()
            if text is None or not await term.command(text):
                return 0
    finally:
        for task in (shown, pump):
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        await client.close()


def volunteer(
    token: Annotated[str, typer.Option(help="The volunteer's bearer token")],
    url: Annotated[str, typer.Option(help="The server's ws:// base URL")] = "ws://127.0.0.1:8000",
) -> None:
    """Receive offers and answer them: a accept, d decline, s <status>, q quit."""
    code = run(main(url, token, Console(highlight=False)))
    raise typer.Exit(code=code)
