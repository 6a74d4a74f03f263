"""The matching loop every app worker runs (DESIGN.md Decisions: Processes).

Every ``HUZHU_MATCH_INTERVAL_SECONDS`` it solves one batch
(:func:`core.incidents.matching.match_incident`) for each active incident that has an open
need or an open task — new needs, declines, expiries and volunteers coming on duty all
show up there. One batch per incident runs at a time across workers (the batch lock of
:mod:`core.incidents.match_lock`: another worker's running batch makes this one skip).
The solver runs in a process pool (:func:`solver_pool`, ``HUZHU_MATCH_SOLVER_PROCESSES``)
so a one-second solve never stalls the event loop; a failed batch is logged and the loop
goes on.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import uuid
from concurrent.futures import Executor, ProcessPoolExecutor

from sqlalchemy import exists, or_, select

from core.config import Settings
from core.db import Database
from core.incidents.dispatch_loop import after_batches
from core.incidents.match_models import Task
from core.incidents.models import Incident, IncidentStatus
from core.incidents.need_models import Need, NeedStatus
from core.stopping import pause

log = logging.getLogger("huzhu.matching")


def _warm() -> None:
    """Import the solver in the pool's process before the first batch needs it."""
    import core.incidents.match_solve  # noqa: F401


def solver_pool(processes: int = 1) -> ProcessPoolExecutor:
    """The app worker's solver processes (spawned: no fork of a running event loop)."""
    pool = ProcessPoolExecutor(
        max_workers=processes, mp_context=multiprocessing.get_context("spawn")
    )
    for _ in range(processes):
        pool.submit(_warm)
    return pool


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """Shut the pool down and end its processes now, a solve in flight included: a plain
    ``shutdown(wait=False)`` left the spawned process running after ``huzhu serve`` had
    stopped (seen on SIGTERM). Python 3.11 has no public handle on the processes."""
    processes = list((pool._processes or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=5)
        if process.is_alive():  # still starting up, or deaf to SIGTERM: SIGKILL
            process.kill()
            process.join(timeout=5)


async def incidents_due(database: Database) -> list[uuid.UUID]:
    """Active incidents with an open need or an open task, oldest first."""
    open_need = exists().where(
        Need.incident_id == Incident.id, Need.status == NeedStatus.open.value
    )
    open_task = exists().where(Task.incident_id == Incident.id, Task.status == "open")
    stmt = (
        select(Incident.id)
        .where(Incident.status == IncidentStatus.active.value, or_(open_need, open_task))
        .order_by(Incident.id)
    )
    async with database.reader() as session:
        return list(await session.scalars(stmt))


async def run_once(
    database: Database, settings: Settings, executor: Executor | None = None
) -> list[uuid.UUID]:
    """One round: a batch for every incident due; the incidents actually solved."""
    from core.incidents.matching import match_incident  # numpy, OR-Tools: only when solving

    solved = []
    for incident_id in await incidents_due(database):
        try:
            summary = await match_incident(
                database=database,
                incident_id=incident_id,
                executor=executor,
                budget_s=settings.match_budget_seconds,
            )
        except Exception:  # one incident's failure must not starve the others
            log.exception("matching incident %s", incident_id)
            continue
        if not summary.skipped:
            solved.append(incident_id)
    await after_batches(database, solved)  # offers and escalations (core/incidents/dispatch_loop)
    return solved


async def match_loop(database: Database, settings: Settings, stop: asyncio.Event) -> None:
    """Run :func:`run_once` every ``match_interval_seconds`` until ``stop`` is set (after
    the round in hand: :mod:`core.stopping`) or cancelled."""
    pool = solver_pool(settings.match_solver_processes)
    try:
        while not stop.is_set():
            try:
                await run_once(database, settings, pool)
            except Exception:  # keep the loop alive; each failure is logged
                log.exception("matching loop")
            await pause(stop, settings.match_interval_seconds)
    finally:
        stop_pool(pool)
