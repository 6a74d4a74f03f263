"""The matching service: one batch of an incident — load, solve off the event loop, write.

:func:`match_incident` takes the incident's batch lock (:mod:`.match_lock`; a batch already
running makes it answer ``skipped``), loads the batch in one read transaction
(:mod:`.match_load`, :mod:`.match_volunteers`; candidate search in :mod:`.match_build`),
solves it off the event loop and writes it in one write transaction (:mod:`.match_write`).

The solve (:func:`core.incidents.match_solve.solve`: ``allocate_stock`` then ``assign``,
arrays only, so it pickles) runs in ``executor`` (the app's process pool, a large batch's
stock items side by side in its processes — :mod:`.match_parallel`; None: the loop's
default thread pool) under ``budget_s`` seconds (default
``HUZHU_MATCH_BUDGET_SECONDS``). Past the budget the greedy plan is computed in a
thread instead, a warning is logged and the batch's ``solver`` is ``greedy``.

:func:`match_in_session` is the same batch inside a caller's transaction (the API's
``POST /incidents/{id}/match``, whose request already holds the write turn; and tests).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.config import get_settings
from core.db import Database
from core.geo.candidates import candidate_search
from core.geo.routing import GreatCircleRouter
from core.incidents.match_build import build
from core.incidents.match_load import load
from core.incidents.match_lock import batch_lock
from core.incidents.match_memo import MEMOS
from core.incidents.match_parallel import solve_in
from core.incidents.match_schemas import MatchBatchSummary
from core.incidents.match_solve import SolveInput, SolveOutput, solve
from core.incidents.match_write import write

log = logging.getLogger("huzhu.matching")
SessionCm = Callable[[], contextlib.AbstractAsyncContextManager[AsyncSession]]


async def match_incident(
    *,
    database: Database,
    incident_id: uuid.UUID,
    executor: Executor | None = None,
    budget_s: float | None = None,
) -> MatchBatchSummary:
    """Solve and write one batch of the incident (see the module docstring)."""
    return await _batch(
        database, incident_id, executor, budget_s, database.reader, database.transaction, True
    )


async def match_in_session(
    *,
    session: AsyncSession,
    database: Database,
    incident_id: uuid.UUID,
    executor: Executor | None = None,
    budget_s: float | None = None,
) -> MatchBatchSummary:
    """The same batch, loaded and written in ``session`` (flushed, not committed)."""

    @contextlib.asynccontextmanager
    async def same() -> AsyncIterator[AsyncSession]:
        yield session
        await session.flush()

    return await _batch(database, incident_id, executor, budget_s, same, same, False)


async def _batch(
    database: Database,
    incident_id: uuid.UUID,
    executor: Executor | None,
    budget_s: float | None,
    reader: SessionCm,
    writer: SessionCm,
    keep: bool,
) -> MatchBatchSummary:
    summary = MatchBatchSummary(incident_id=incident_id)
    async with batch_lock(database, incident_id) as got:
        if not got:
            summary.skipped = True
            return summary
        started, t0 = clock.now(), time.perf_counter()
        async with reader() as session:
            w = await load(session, incident_id, started, keep=keep)
            if w is None:
                return summary
            memo = MEMOS.of(session, incident_id) if keep else None
            w.priorities_due = memo is None or memo.priorities_due(started)
            search = candidate_search(
                session.bind.dialect.name,
                postgis_max_points=get_settings().match_postgis_max_points,
            )
            inp, ix = await build(session, w, search, GreatCircleRouter())
        if not ix.needs and not w.stale:
            return summary
        t1 = time.perf_counter()
        out = await _solve(inp, executor, budget_s, incident_id)
        t2 = time.perf_counter()
        figures: dict[str, Any] = {
            "solver": out.solver,
            "started_at": started,
            "load_ms": (t1 - t0) * 1000,
            "solve_ms": (t2 - t1) * 1000,
            "write_from": t2,
        }
        async with writer() as session:
            done = await write(session, w, ix, out, figures)
        if memo is not None and w.priorities_due:  # committed
            memo.priorities_at = started
    summary = MatchBatchSummary(
        incident_id=incident_id,
        batch_id=done.batch_id,
        solver=out.solver,
        needs=len(ix.needs),
        volunteers=len(ix.vols),
        tasks=done.tasks,
        assigned=done.assigned,
        withdrawn=done.withdrawn,
        matched=done.matched,
        load_ms=figures["load_ms"],
        solve_ms=figures["solve_ms"],
        write_ms=(time.perf_counter() - t2) * 1000,
    )
    return summary


async def _solve(
    inp: SolveInput, executor: Executor | None, budget_s: float | None, incident_id: uuid.UUID
) -> SolveOutput:
    """The optimal solve in ``executor`` within the budget, else greedy in a thread."""
    settings = get_settings()
    budget = settings.match_budget_seconds if budget_s is None else budget_s
    processes = settings.match_solver_processes if isinstance(executor, ProcessPoolExecutor) else 1
    try:
        return await asyncio.wait_for(solve_in(executor, inp, processes=processes), timeout=budget)
    except TimeoutError:
        log.warning(
            "matching incident %s: solve over its %.3f s budget, greedy used", incident_id, budget
        )
        return await asyncio.to_thread(solve, inp, True)
