"""The isolated drill runner: a scenario through the real services on a simulated clock.

:func:`run_drill` migrates a fresh database (a temporary SQLite file unless given; never
the configured live database nor the source; a scratch one, whose commits do not wait for
the disk: a rerun rebuilds it), fills it (:mod:`plans.drills.population`
or :mod:`plans.drills.copy`), declares the incident as a ``drill`` through
:func:`core.incidents.service.declare_incident` (plans activated, chain opened by the
registered hooks), then runs tick by tick (:mod:`plans.drills.ticks`) under a
:class:`core.clock.ManualClock`, and ends with the report (``build_report`` of
:mod:`plans.drills.report`). Randomness: one numpy Generator per concern, spawned from
the scenario's seed; choices follow codes and coordinates. Ids come from
:class:`core.ids.SequentialIds` (the simulated time and a counter), so where the engine
breaks a tie by id it breaks it the same way every run: the same seed writes the same rows.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.engine import make_url

from core.clock import ManualClock, use_clock
from core.config import get_settings
from core.db import Database
from core.ids import SequentialIds, use_ids
from core.incidents.schemas import IncidentCreate
from core.incidents.service import declare_incident
from core.migrate import current_revision, upgrade
from plans import hooks as plan_hooks
from plans.drills.counts import row_counts
from plans.drills.kpis import incident_kpis
from plans.drills.population import populate, prepare
from plans.drills.scenario import Scenario
from plans.drills.ticks import Simulation
from plans.models import IncidentPlan, Plan, PlanVersion


@dataclass
class DrillResult:
    incident_id: uuid.UUID
    database_url: str
    phases: dict[str, float] = field(default_factory=dict)  # wall seconds per phase
    parts: dict[str, float] = field(default_factory=dict)  # simulate's seconds per tick part
    rows: dict[str, int] = field(default_factory=dict)  # rows written by the drill, per table
    counts: dict[str, int] = field(default_factory=dict)  # what the simulation did
    meta: dict[str, Any] = field(default_factory=dict)
    kpis: dict[str, Any] = field(default_factory=dict)  # plans.drills.kpis at the end
    reports: tuple[Path, Path] | None = None


def declaration(scenario: Scenario, *, mode: str = "drill", speedup: float | None = None
                ) -> IncidentCreate:  # fmt: skip
    """The scenario's incident, as a declaration."""
    w = scenario.where
    shape: dict[str, Any] = {"area": w.polygon}
    if w.polygon is None:
        assert w.centre is not None and w.radius_km is not None
        shape = {"centre": w.centre.model_dump(), "radius_m": w.radius_km * 1000}
    return IncidentCreate(title=f"演练 {scenario.name}"[:200], hazard=scenario.hazard,
                          level=scenario.level, mode=mode, speedup=speedup, **shape)  # fmt: skip


def _guard(url: str, source_db: str | None) -> None:
    """Refuse the configured (live) database and the source as the drill's database."""
    target = make_url(url).render_as_string(hide_password=False)
    for other, what in ((get_settings().database_url, "the configured live database"),
                        (source_db, "the source database")):  # fmt: skip
        if other and make_url(other).render_as_string(hide_password=False) == target:
            raise ValueError(f"--database must not be {what}: a drill runs isolated")


async def plan_versions(db: Database, incident_id: uuid.UUID) -> list[dict[str, Any]]:
    """The plan versions the incident activated, with how many communities run each."""
    async with db.reader() as session:
        rows = await session.execute(
            select(PlanVersion.id, Plan.title, Plan.area_path, PlanVersion.version,
                   IncidentPlan.community_id)
            .join(PlanVersion, PlanVersion.id == IncidentPlan.plan_version_id)
            .join(Plan, Plan.id == PlanVersion.plan_id)
            .where(IncidentPlan.incident_id == incident_id)
        )  # fmt: skip
        out: dict[uuid.UUID, dict[str, Any]] = {}
        for vid, title, path, version, _ in rows:
            entry = out.setdefault(vid, {"id": str(vid), "plan": title, "area_path": path,
                                         "version": version, "communities": 0})  # fmt: skip
            entry["communities"] += 1
    return sorted(out.values(), key=lambda e: (e["area_path"], e["version"]))


async def run_drill(
    scenario: Scenario,
    *,
    out_dir: Path | None = None,
    database_url: str | None = None,
    source_db: str | None = None,
    progress: bool = False,
) -> DrillResult:
    """Run ``scenario`` isolated (see the module doc); the result, report written when
    ``out_dir`` is given."""
    if scenario.population.source == "registry" and source_db is None:
        raise ValueError("population.source is registry: give the source database (--source-db)")
    tmp = None
    if database_url is None:
        tmp = tempfile.TemporaryDirectory(prefix="huzhu-drill-")
        database_url = f"sqlite+aiosqlite:///{tmp.name}/drill.sqlite"
    _guard(database_url, source_db)
    db = Database(database_url, in_loop=True, scratch=True)  # its own: rebuilt by a rerun
    try:
        if await current_revision(db) is not None:
            raise ValueError("the drill database must be empty (it is migrated fresh)")
        return await _run(db, scenario, out_dir, source_db, progress)
    finally:
        await db.dispose()
        if tmp is not None:
            tmp.cleanup()


async def _run(db: Database, scenario: Scenario, out_dir: Path | None, source_db: str | None,
               progress: bool) -> DrillResult:  # fmt: skip
    plan_hooks.register()
    seeds = np.random.SeedSequence(scenario.seed).spawn(4)
    duty, families, crew, injects = (np.random.default_rng(s) for s in seeds)
    phases: dict[str, float] = {}
    clock = ManualClock(scenario.starts_at)
    with use_clock(clock), use_ids(SequentialIds()):
        t0 = time.perf_counter()
        await upgrade(db)
        if source_db is not None:
            from plans.drills.copy import copy_registry

            loaded = await copy_registry(source_url=source_db, target=db)
        else:
            loaded = await populate(db, scenario)
        on_duty = await prepare(db, scenario, duty)
        before = await row_counts(db)
        phases["generate"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        async with db.transaction() as session:
            incident = await declare_incident(session=session, principal=None,
                                              data=declaration(scenario))  # fmt: skip
            incident_id = incident.id
        sim = await Simulation.start(db, scenario, incident_id, families, crew, injects)
        phases["declare"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        await sim.run(clock, progress=progress)
        phases["simulate"] = time.perf_counter() - t0
        after = await row_counts(db)
        result = DrillResult(incident_id=incident_id, database_url=str(db.url), phases=phases,
                             parts=dict(sim.seconds))  # fmt: skip
        result.rows = {t: n - before.get(t, 0) for t, n in after.items() if n != before.get(t, 0)}
        result.counts = {**{f"loaded_{k}": v for k, v in loaded.items()}, "on_duty": on_duty,
                         **sim.counts}  # fmt: skip
        result.meta = {
            "scenario": scenario.name, "hazard": scenario.hazard, "level": scenario.level,
            "seed": scenario.seed, "mode": "drill", "started_at": scenario.starts_at.isoformat(),
            "duration_minutes": scenario.duration_minutes, "tick_seconds": scenario.tick_seconds,
            "plan_versions": await plan_versions(db, incident_id),
            "simulated": result.counts,
            "wall_seconds": dict(phases),
            "speedup": scenario.duration_minutes * 60 / max(phases["simulate"], 1e-9),
        }  # fmt: skip
        async with db.reader() as session:
            result.kpis = await incident_kpis(session, incident_id=incident_id)
        if out_dir is not None:
            t0 = time.perf_counter()
            result.reports = await write_reports(db, incident_id, out_dir, result.meta)
            phases["report"] = time.perf_counter() - t0
    return result


async def write_reports(db: Database, incident_id: uuid.UUID, out_dir: Path,
                        meta: dict[str, Any]) -> tuple[Path, Path]:  # fmt: skip
    """report.html and report.json by :func:`plans.drills.report.build_report`."""
    from plans.drills.report import build_report  # matplotlib: only when reporting

    out_dir.mkdir(parents=True, exist_ok=True)
    async with db.reader() as session:
        return await build_report(session, incident_id=incident_id, out_dir=out_dir, meta=meta)
