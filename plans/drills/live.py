"""A live drill: the scenario against the running app's database, on wall time.

The incident is declared ``live_drill`` with the speed-up (its check-in deadlines and
offer windows are divided by it; the shadow-stock hook copies the area's real lots as
this drill's shadow lots, so real lots are only read). Every ``tick_seconds / speed``
wall seconds the simulation (:class:`plans.drills.ticks.Simulation`) sends its families'
reports and plays the volunteers without an account (those with one play themselves on
their phones); a share ``1 - on_duty_share`` of them never answers. The app's own
matching loop matches and offers (``match=True`` runs the batches here too, for a
database no app is serving). Every row it writes carries the drill mark (``is_drill``).
"""

from __future__ import annotations

import asyncio
import time
import uuid

import numpy as np
from rich.progress import Progress
from sqlalchemy import select

from core import clock
from core.config import get_settings
from core.db import Database
from core.incidents.hooks import on_activation
from core.incidents.service import declare_incident
from core.registry.volunteers.models import Volunteer
from core.stock.shadow import shadow_for_live_drill
from plans import hooks as plan_hooks
from plans.drills.runner import declaration
from plans.drills.scenario import Scenario
from plans.drills.ticks import Simulation


async def _off_duty(db: Database, scenario: Scenario, rng: np.random.Generator) -> frozenset:
    async with db.reader() as session:
        ids = list(await session.scalars(
            select(Volunteer.id).where(Volunteer.user_id.is_(None))
            .order_by(Volunteer.lon, Volunteer.lat, Volunteer.name)
        ))  # fmt: skip
    on = rng.random(len(ids)) < scenario.volunteers.on_duty_share
    return frozenset(v for v, keep in zip(ids, on, strict=True) if not keep)


async def run_live(
    scenario: Scenario,
    *,
    speed: float,
    database: Database | None = None,
    match: bool = False,
    progress: bool = False,
) -> uuid.UUID:
    """Play ``scenario`` live at ``speed``× on ``database`` (default: the configured one);
    the incident's id."""
    own = database is None
    db = database or Database.configured(get_settings())
    plan_hooks.register()
    on_activation(shadow_for_live_drill)
    try:
        seeds = np.random.SeedSequence(scenario.seed).spawn(4)
        duty, families, crew, injects = (np.random.default_rng(s) for s in seeds)
        async with db.transaction() as session:
            data = declaration(scenario, mode="live_drill", speedup=speed)
            incident_id = (await declare_incident(session=session, principal=None, data=data)).id
        off = await _off_duty(db, scenario, duty)
        sim = await Simulation.start(db, scenario, incident_id, families, crew, injects,
                                     live=True, speedup=speed, off_duty=off)  # fmt: skip
        sim.match = match
        await _play(sim, scenario, speed, progress)
    finally:
        if own:
            await db.dispose()
    return incident_id


async def _play(sim: Simulation, scenario: Scenario, speed: float, progress: bool) -> None:
    """Tick on wall time: tick ``k`` at ``k × tick_seconds / speed`` seconds from the start."""
    step = scenario.tick_seconds / speed
    start = time.monotonic()
    with Progress(disable=not progress) as bar:
        task = bar.add_task(f"live drill {scenario.name} ×{speed:g}", total=scenario.ticks)
        for k in range(1, scenario.ticks + 1):
            await asyncio.sleep(max(0.0, start + k * step - time.monotonic()))
            await sim.tick(k, clock.now())
            bar.update(task, advance=1)
