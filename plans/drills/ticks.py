"""One simulated tick, in order:

1. the injects due (:mod:`plans.drills.injects`);
2. the volunteers' answers and reports that fell due since the last tick, each at its own
   moment (:class:`plans.drills.volunteers.Crew`);
3. the timers due (:func:`core.events.timers.fire_due`: offer expiries, check-in
   deadlines, escalations, reservation holds);
4. this tick's family reports, in one :func:`plans.reports.report_households` transaction;
5. a matching batch and its offers (:func:`core.incidents.matching.match_incident`,
   :func:`core.incidents.dispatch_loop.after_batches`) when :mod:`plans.drills.pacing`
   says one is due (never in a live drill: the app's loop matches).
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta

import numpy as np
from rich.progress import Progress

from core.clock import ManualClock
from core.db import Database
from core.events.timers import fire_due
from core.incidents import dispatch_timers  # noqa: F401  (the offer-expiry handler)
from core.incidents.dispatch_loop import after_batches
from core.incidents.match_loop import incidents_due
from plans.chain_schemas import HouseholdReport, MemberReport, ReportedNeed
from plans.drills.behaviour import Answers, FamilyPlan, plan_families
from plans.drills.injects import Closure, Closures, aftershock, inside, lose_depot
from plans.drills.pacing import Pacer
from plans.drills.population import People, people_of
from plans.drills.scenario import Scenario
from plans.drills.scenario_parts import Inject
from plans.drills.volunteers import Crew
from plans.reports import report_households

REPORTS_PER_CALL = 500
SOLVE_BUDGET_S = 120.0  # never the greedy fallback on a slow machine: same seed, same plan


class Simulation:
    """The state a drill carries from tick to tick."""

    def __init__(self, db: Database, scenario: Scenario, incident_id: uuid.UUID,
                 people: People, plan: FamilyPlan, crew: Crew, closures: Closures,
                 injects_rng: np.random.Generator, *, live: bool = False) -> None:  # fmt: skip
        self.db, self.s, self.incident_id = db, scenario, incident_id
        self.people, self.plan, self.crew, self.closures = people, plan, crew, closures
        self.rng, self.live = injects_rng, live
        self.match = not live  # a live drill's batches are the app's matching loop's
        self.pacer = Pacer()
        self.members = people.members()
        self.pending = sorted(scenario.injects, key=lambda i: i.at_minutes)
        self.counts: Counter[str] = Counter()
        self.seconds: Counter[str] = Counter()  # wall seconds per part of a tick (benches)

    @classmethod
    async def start(cls, db: Database, scenario: Scenario, incident_id: uuid.UUID,
                    families: np.random.Generator, crew: np.random.Generator,
                    injects: np.random.Generator, *, live: bool = False, speedup: float = 1.0,
                    off_duty: frozenset[uuid.UUID] = frozenset()) -> Simulation:  # fmt: skip
        """Read the incident's people and draw the families' plan. ``live``: a live drill
        (the app matches; people with accounts play themselves; durations ÷ ``speedup``)."""
        people = await people_of(db, incident_id)
        plan = plan_families(people, scenario.families, scenario.needs, families,
                             scenario.tick_seconds)  # fmt: skip
        closures = Closures()
        answers = Answers(scenario.volunteers, crew, speedup=speedup)
        team = Crew(answers, closures, only_unlinked=live, off_duty=off_duty)
        return cls(db, scenario, incident_id, people, plan, team, closures, injects, live=live)

    async def run(self, clock: ManualClock, *, progress: bool = False) -> None:
        """Every tick of the scenario on ``clock`` (moved ``tick_seconds`` each time)."""
        with Progress(disable=not progress, transient=False) as bar:
            task = bar.add_task(f"drill {self.s.name}", total=self.s.ticks)
            for k in range(1, self.s.ticks + 1):
                now = clock.advance(self.s.tick_seconds)
                await self.tick(k, now)
                bar.update(task, advance=1)

    async def tick(self, k: int, now: datetime) -> None:
        """Tick ``k`` (from 1) at ``now``; see the module doc."""
        elapsed = timedelta(seconds=k * self.s.tick_seconds)
        with self._timed("injects"):
            while self.pending and timedelta(minutes=self.pending[0].at_minutes) <= elapsed:
                await self._inject(self.pending.pop(0))
        with self._timed("volunteers"):
            for status, n in (await self.crew.act(self.db, self.incident_id, now)).items():
                self.counts[f"assignments_{status}"] += n
        with self._timed("timers"):
            while (fired := await fire_due(self.db, worker="drill", limit=1000)) > 0:
                self.counts["timers_fired"] += fired
        with self._timed("reports"):
            await self._reports(self.plan.due(k))
        with self._timed("pacing"):
            due = self.match and await self._match_due(now)
        if due:
            await self._match()

    @contextlib.contextmanager
    def _timed(self, part: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[part] += time.perf_counter() - t0

    async def _match_due(self, now: datetime) -> bool:
        if self.incident_id not in await incidents_due(self.db):
            return False
        return await self.pacer.due(self.db, now)

    async def _match(self) -> None:
        from core.incidents.matching import match_incident  # numpy, OR-Tools: when solving

        with self._timed("matching"):
            summary = await match_incident(database=self.db, incident_id=self.incident_id,
                                           budget_s=SOLVE_BUDGET_S)  # fmt: skip
        for part in ("load", "solve", "write"):  # load: reading and building the arrays
            self.seconds[f"matching.{part}"] += getattr(summary, f"{part}_ms") / 1000
        self.counts["match_batches"] += int(not summary.skipped)
        with self._timed("offers"):
            offered = await after_batches(self.db, [self.incident_id])
        self.counts["offers"] += len(offered)

    async def _reports(self, households: list[int]) -> None:
        reports = [self._report(h) for h in households]
        if not reports:
            return
        async with self.db.transaction() as session:
            for i in range(0, len(reports), REPORTS_PER_CALL):
                part = reports[i : i + REPORTS_PER_CALL]
                result = await report_households(
                    session=session, principal=None, incident_id=self.incident_id, reports=part
                )
                self.counts["needs_reported"] += sum(len(o.need_ids) for o in result.households)
                self.counts["persons_reported"] += result.persons
        self.counts["households_reported"] += len(reports)

    def _report(self, h: int) -> HouseholdReport:
        members = []
        for p in self.members[h]:
            needs = [
                ReportedNeed(
                    kind=r.kind,
                    severity=r.severity,
                    skills=list(r.skills),
                    items=[i.model_dump() for i in r.items],
                )
                for r in self.plan.needs.get(p, [])
            ]
            members.append(MemberReport(person_id=self.people.person_ids[p],
                                        status=self.plan.status[p], needs=needs))  # fmt: skip
        return HouseholdReport(household_id=self.people.household_ids[h], members=members)

    async def _inject(self, inject: Inject) -> None:
        self.counts[f"inject_{inject.kind}"] += 1
        self.pacer.force = True
        if inject.kind == "aftershock":
            n = await aftershock(self.db, self.incident_id, inject, self.people, self.rng)
            self.counts["needs_aftershock"] += n
        elif inject.kind == "road_closed":
            assert inject.where is not None
            self.closures.active.append(
                Closure(inside(inject.where), inject.slowdown, inject.unreachable)
            )
        else:
            centre = self._centre()
            await lose_depot(self.db, self.incident_id, inject, centre, live=self.live)

    def _centre(self) -> tuple[float, float]:
        w = self.s.where
        if w.centre is not None:
            return (w.centre.lon, w.centre.lat)
        from shapely.geometry import shape

        p = shape(w.polygon).representative_point()
        return (p.x, p.y)
