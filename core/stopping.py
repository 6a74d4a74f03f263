"""Background loops that stop between rounds, not in the middle of one.

A loop cancelled inside a write transaction can leave its connection holding the write
lock until the connection is collected (seen on SQLite: the next writer's ``BEGIN
IMMEDIATE`` waited out its busy timeout). So the app's loops take a ``stop`` event: they
finish the round in hand, then return; the app cancels only a loop still running after
:data:`GRACE_SECONDS`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

GRACE_SECONDS = 10.0
"""How long the app waits for its loops to finish their round before cancelling them."""


async def pause(stop: asyncio.Event | None, seconds: float) -> None:
    """Sleep ``seconds``, or less if ``stop`` is set meanwhile."""
    if stop is None:
        await asyncio.sleep(seconds)
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def stop_loops(
    stop: asyncio.Event, tasks: Sequence[asyncio.Task[None]], grace: float = GRACE_SECONDS
) -> None:
    """Ask the loops to stop, wait up to ``grace`` seconds, then cancel what still runs."""
    stop.set()
    if not tasks:
        return
    _, pending = await asyncio.wait(tasks, timeout=grace)
    for task in pending:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
