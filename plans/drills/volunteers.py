"""Simulated volunteers answering offers and reporting their progress, a tick at a time.

Each tick lists the incident's live assignments of the simulated volunteers (ordered by
the volunteer's home point and name, never by id; a new one read whole), draws an answer
for each new offer (:class:`plans.drills.behaviour.Answers`), and on acceptance plans the
day: pick up at the depot (travel + ``pickup_minutes``), en route, arrive (travel, slowed
by a road closure), done (``service_minutes`` later). Whatever fell due is applied through the
dispatch state machine (:func:`core.incidents.dispatch.transition`), one call per status
for all volunteers at once, in one transaction per tick. An answer that would come after
the offer's deadline is never sent: the offer timer expires it. A volunteer moves: at
pickup they are at the depot, on arrival at the need, and their phone says so
(:func:`core.registry.volunteers.position.record_positions`, with the transitions), so
the next trip starts where the last one ended and matching sees them there while the
position is fresh; the first starts from home.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from core.db import Database, chunks
from core.events.outbox import deferred
from core.geo.distance import haversine_m
from core.incidents.dispatch import transition
from core.incidents.match_models import Assignment, Task
from core.incidents.need_models import Need
from core.registry.depots.models import Depot
from core.registry.volunteers.models import Volunteer
from core.registry.volunteers.position import record_positions
from plans.drills.behaviour import Answers
from plans.drills.injects import Closures

LIVE = ("offered", "accepted", "picked_up", "en_route", "arrived")
SLOT_S = 15
ORDER = ("declined", "accepted", "picked_up", "en_route", "arrived", "done")


Point = tuple[float, float]
_ROWS = (
    select(
        Assignment.id, Assignment.status, Assignment.updated_at, Assignment.volunteer_id,
        Assignment.offer_deadline, Volunteer.lon.label("v_lon"), Volunteer.lat.label("v_lat"),
        Depot.lon.label("d_lon"), Depot.lat.label("d_lat"), Need.lon.label("n_lon"),
        Need.lat.label("n_lat"),
    )
    .join(Volunteer, Volunteer.id == Assignment.volunteer_id)
    .join(Need, Need.id == Assignment.need_id)
    .join(Task, Task.id == Assignment.task_id)
    .outerjoin(Depot, Depot.id == Task.depot_id)
)  # fmt: skip


@dataclass
class Steps:
    """What a simulated volunteer will report for one assignment, and when; where the
    volunteer is after picking up (``depot``) and on arrival (``need``)."""

    plan: list[tuple[datetime, str]] = field(default_factory=list)
    volunteer_id: uuid.UUID | None = None
    depot: Point | None = None
    need: Point | None = None


class Crew:
    """The simulated volunteers of one drill (``only_unlinked``: those without an account,
    so people with the app on their phones play themselves in a live drill)."""

    def __init__(
        self, answers: Answers, closures: Closures, *, only_unlinked: bool = False,
        off_duty: frozenset[uuid.UUID] = frozenset(),
    ) -> None:  # fmt: skip
        """``off_duty``: simulated volunteers who never answer (a live drill cannot set
        real volunteers inactive; their offers expire)."""
        self.answers, self.closures, self.only_unlinked = answers, closures, only_unlinked
        self.off_duty = off_duty
        self.steps: dict[uuid.UUID, Steps] = {}
        self.at: dict[uuid.UUID, Point] = {}  # where a simulated volunteer last was seen

    def _slot(self, at: datetime) -> datetime:
        return slot(at, self.answers.scale)

    async def _rows(
        self, db: Database, incident_id: uuid.UUID
    ) -> tuple[list[uuid.UUID], dict[uuid.UUID, Any]]:
        """The live assignments' ids in order, and the rows of those not seen before (the
        only ones a tick plans: a known one's steps are planned already)."""
        live = (Assignment.incident_id == incident_id, Assignment.status.in_(LIVE))
        order = (Volunteer.lon, Volunteer.lat, Volunteer.name, Assignment.attempt)
        ids_stmt = (
            select(Assignment.id)
            .join(Volunteer, Volunteer.id == Assignment.volunteer_id)
            .where(*live)
            .order_by(*order)
        )
        if self.only_unlinked:
            ids_stmt = ids_stmt.where(Volunteer.user_id.is_(None))
        async with db.reader() as session:
            ids = list(await session.scalars(ids_stmt))
            new = [a for a in ids if a not in self.steps]
            rows: dict[uuid.UUID, Any] = {}
            for part in chunks(new):
                rows.update(
                    (r.id, r)
                    for r in await session.execute(_ROWS.where(*live, Assignment.id.in_(part)))
                )
        return ids, rows

    def _plan(self, row: Any) -> Steps:
        depot = None if row.d_lon is None else (row.d_lon, row.d_lat)
        steps = Steps(volunteer_id=row.volunteer_id, depot=depot, need=(row.n_lon, row.n_lat))
        if row.status != "offered":  # accepted by a human, or before a restart: go on from here
            steps.plan = self._day(row, row.updated_at, row.status)
            return steps
        if row.volunteer_id in self.off_duty:
            return steps
        cut = self.closures.at(row.n_lon, row.n_lat)
        declines, delay = self.answers.answer()
        declines = declines or (cut is not None and cut.unreachable)
        at = self._slot(row.updated_at + timedelta(seconds=delay))
        if row.offer_deadline is not None and at >= row.offer_deadline:
            return steps  # too slow: the offer timer expires it
        steps.plan = [(at, "declined")] if declines else [
            (at, "accepted"), *self._day(row, at, "accepted")]  # fmt: skip
        return steps

    def _day(self, row: Any, start: datetime, status: str) -> list[tuple[datetime, str]]:
        b, t = self.answers.b, start
        cut = self.closures.at(row.n_lon, row.n_lat)
        slow = cut.slowdown if cut is not None else 1.0
        out: list[tuple[datetime, str]] = []
        origin = self.at.get(row.volunteer_id, (row.v_lon, row.v_lat))
        if row.d_lon is not None and status == "accepted":
            t += timedelta(
                seconds=self.answers.travel_s(haversine_m(*origin, row.d_lon, row.d_lat))
            )
            t += self.answers.minutes(b.pickup_minutes)
            t = self._slot(t)
            out.append((t, "picked_up"))
        if row.d_lon is not None:
            origin = (row.d_lon, row.d_lat)
        if status in ("accepted", "picked_up"):
            out.append((t, "en_route"))
        if status in ("accepted", "picked_up", "en_route"):
            metres = haversine_m(*origin, row.n_lon, row.n_lat)
            t = self._slot(t + timedelta(seconds=self.answers.travel_s(metres, slow)))
            out.append((t, "arrived"))
        out.append((self._slot(t + self.answers.minutes(b.service_minutes)), "done"))
        return out

    async def act(self, db: Database, incident_id: uuid.UUID, now: datetime) -> dict[str, int]:
        """Plan new offers, apply what fell due by ``now``; counts per status applied."""
        due: dict[datetime, dict[uuid.UUID, list[str]]] = defaultdict(dict)
        ids, rows = await self._rows(db, incident_id)
        for aid in ids:
            steps = self.steps.get(aid)
            if steps is None:
                row = rows.get(aid)
                if row is None:  # live when listed, gone by the second read: next tick
                    continue
                steps = self.steps[aid] = self._plan(row)
            ready = [(at, s) for at, s in steps.plan if at <= now]
            steps.plan = steps.plan[len(ready) :]
            for at, status in ready:
                due[at].setdefault(aid, []).append(status)
        return await self._apply(db, due)

    def _moves(self, at: datetime, status: str, ids: list[uuid.UUID]) -> list[Any]:
        """Where the volunteers of ``ids`` are once ``status`` is applied (remembered)."""
        moves = []
        for aid in ids:
            steps = self.steps[aid]
            point = steps.depot if status == "picked_up" else steps.need
            if status in ("picked_up", "arrived") and point and steps.volunteer_id:
                self.at[steps.volunteer_id] = point
                moves.append((steps.volunteer_id, point[0], point[1], at))
        return moves

    async def _apply(
        self, db: Database, due: dict[datetime, dict[uuid.UUID, list[str]]]
    ) -> dict[str, int]:
        """Each slot in time order, each status in :data:`ORDER`: one call per pair, in one
        transaction whose events are written once, at its end, in the order emitted
        (:func:`~core.events.outbox.deferred`)."""
        counts: dict[str, int] = defaultdict(int)
        if not due:
            return counts
        async with db.transaction() as session, deferred(session):
            for at in sorted(due):
                for status in ORDER:
                    ids = [a for a, todo in due[at].items() if status in todo]
                    if ids:
                        await transition(session=session, principal=None, assignment_ids=ids,
                                         to=status, now=at)  # fmt: skip
                        await record_positions(session, self._moves(at, status, ids))
                        counts[status] += len(ids)
        return counts


def slot(at: datetime, scale: float = 1.0) -> datetime:
    """``at`` rounded up to the next :data:`SLOT_S` × ``scale`` seconds: the moments a drill
    acts at, so a tick's transitions are a few batches, not one statement per volunteer."""
    seconds, step = at.timestamp(), SLOT_S * scale
    return at + timedelta(seconds=math.ceil(seconds / step) * step - seconds)
