"""One solve across the solver pool's processes (DESIGN.md Decisions: the solver runs off
the event loop).

The stock flows of different items are independent problems
(:func:`core.matching.stock.optimal_flows`), so a large batch solves groups of items side
by side, one group a process, and then the rest of :func:`~core.incidents.match_solve.solve`
(consolidation and the volunteers) in one of them. The answer is the same as one
``solve(inp)``; only the wall time differs (``bench/matching.py``). Small batches, one
item, one process or a thread pool: one ``solve(inp)``.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Executor

from core.incidents.match_solve import SolveInput, SolveOutput, solve
from core.matching.stock import item_groups, merge_plans, optimal_flows

PARALLEL_MIN_ARCS = 20_000
"""Below this many need–depot arcs the flows take milliseconds: not worth a process hop."""


async def solve_in(executor: Executor | None, inp: SolveInput, *, processes: int) -> SolveOutput:
    """The optimal solve of ``inp`` in ``executor``, stock items spread over ``processes``."""
    loop = asyncio.get_running_loop()
    groups = item_groups(inp.stock, processes) if processes > 1 else []
    if len(groups) < 2 or inp.stock.arc_need.size < PARALLEL_MIN_ARCS:
        return await loop.run_in_executor(executor, solve, inp)
    parts = await asyncio.gather(
        *(loop.run_in_executor(executor, optimal_flows, inp.stock, group) for group in groups)
    )
    return await loop.run_in_executor(executor, solve, inp, False, merge_plans(parts))
