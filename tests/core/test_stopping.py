"""Background loops stop between rounds: a round in hand is finished, not cut short."""

from __future__ import annotations

import asyncio
import time

from core.stopping import pause, stop_loops


async def test_a_pause_ends_early_when_stop_is_set() -> None:
    stop = asyncio.Event()
    sleeper = asyncio.create_task(pause(stop, 30))
    await asyncio.sleep(0.05)
    t0 = time.perf_counter()
    stop.set()
    await asyncio.wait_for(sleeper, timeout=5)
    assert time.perf_counter() - t0 < 1
    t0 = time.perf_counter()
    await pause(None, 0.05)  # no event: a plain sleep
    assert time.perf_counter() - t0 >= 0.04


async def test_a_loop_finishes_its_round_and_a_deaf_one_is_cancelled() -> None:
    stop = asyncio.Event()
    rounds: list[str] = []

    async def polite() -> None:
        while not stop.is_set():
            rounds.append("begun")
            await asyncio.sleep(0.3)  # a round's work, e.g. a write transaction
            rounds.append("finished")
            await pause(stop, 0.01)

    async def deaf() -> None:
        await asyncio.sleep(60)

    tasks = [asyncio.create_task(polite()), asyncio.create_task(deaf())]
    await asyncio.sleep(0.1)  # polite is inside its first round
    await stop_loops(stop, tasks, grace=2.0)
    assert rounds == ["begun", "finished"]
    assert tasks[0].done() and not tasks[0].cancelled()
    assert tasks[1].cancelled()
