"""Scripted injects, applied through the real services when their minute comes.

* ``aftershock`` — new needs drawn per person of the incident (or of ``where``) with the
  inject's rules, raised in one :func:`core.incidents.needs.create_needs` batch (source
  ``coordinator``: field teams report them).
* ``road_closed`` — a :class:`Closure`: simulated travel to needs inside ``where`` takes
  ``slowdown`` times longer, or volunteers decline such offers when ``unreachable``.
* ``depot_lost`` — the depot's live assignments not yet picked up are cancelled (their
  needs go back to matching), its active reservations released and all its lots (for a
  live drill: this drill's shadow lots only) written off as ``lost``, so it holds nothing
  a batch could use.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from shapely.geometry import Point, shape
from sqlalchemy import select

from core.db import Database
from core.geo.distance import haversine_m
from core.incidents.dispatch import cancel
from core.incidents.match_models import Assignment, Task
from core.incidents.need_models import NeedSource
from core.incidents.needs import create_needs
from core.registry.depots.models import Depot
from core.stock.ledger import write_off
from core.stock.models import Lot, Reservation
from core.stock.release import release
from plans.drills.behaviour import draw_needs
from plans.drills.population import People, need_create
from plans.drills.scenario_parts import Inject, Where

NOT_PICKED = ("proposed", "offered", "accepted")


def inside(where: Where) -> Any:
    """A predicate (lon, lat) → bool for a circle (great-circle distance) or polygon."""
    if where.polygon is not None:
        poly = shape(where.polygon)
        return lambda lon, lat: bool(poly.covers(Point(lon, lat)))
    assert where.centre is not None and where.radius_km is not None
    c, r = where.centre, where.radius_km * 1000
    return lambda lon, lat: haversine_m(c.lon, c.lat, lon, lat) <= r


@dataclass
class Closure:
    test: Any
    slowdown: float
    unreachable: bool


@dataclass
class Closures:
    active: list[Closure] = field(default_factory=list)

    def at(self, lon: float, lat: float) -> Closure | None:
        """The closure covering a point (the last declared wins), or None."""
        for c in reversed(self.active):
            if c.test(lon, lat):
                return c
        return None


async def aftershock(
    db: Database, incident_id: uuid.UUID, inject: Inject, people: People,
    rng: np.random.Generator,
) -> int:  # fmt: skip
    """Raise the aftershock's needs; how many."""
    fired = draw_needs(people, inject.needs, rng)
    if inject.where is not None:
        test = inside(inject.where)
        fired = {p: r for p, r in fired.items() if test(*people.lonlat[people.household_of[p]])}
    rows = [
        need_create(rule, people.household_ids[people.household_of[p]], people.person_ids[p])
        for p in sorted(fired)
        for rule in fired[p]
    ]
    if rows:
        async with db.transaction() as session:
            await create_needs(session=session, principal=None, incident_id=incident_id,
                               rows=rows, source=NeedSource.coordinator)  # fmt: skip
    return len(rows)


async def lose_depot(
    db: Database, incident_id: uuid.UUID, inject: Inject, centre: tuple[float, float],
    *, live: bool = False,
) -> str | None:  # fmt: skip
    """Take a depot out (see the module doc); its name, or None when none matched."""
    async with db.transaction() as session:
        stmt = select(Depot.id, Depot.name, Depot.lon, Depot.lat).order_by(Depot.name)
        if inject.depot is not None:
            stmt = stmt.where(Depot.name == inject.depot)
        else:
            stmt = stmt.where(Depot.kind == inject.depot_kind)
        rows = list(await session.execute(stmt))
        if not rows:
            return None
        depot = min(rows, key=lambda d: (haversine_m(*centre, d.lon, d.lat), d.name))
        live_ids = list(await session.scalars(
            select(Assignment.id).join(Task, Task.id == Assignment.task_id)
            .where(Task.depot_id == depot.id, Assignment.incident_id == incident_id,
                   Assignment.status.in_(NOT_PICKED)).order_by(Assignment.id)
        ))  # fmt: skip
        if live_ids:
            await cancel(session=session, principal=None, assignment_ids=live_ids,
                         reason="depot lost")  # fmt: skip
        held = await session.scalars(
            select(Reservation.id).where(Reservation.depot_id == depot.id,
                                         Reservation.status == "active").order_by(Reservation.id)
        )  # fmt: skip
        for rid in list(held):
            await release(session=session, actor_id=None, reservation_id=rid, reason="depot lost")
        lots = select(Lot.id, Lot.on_hand - Lot.reserved).where(Lot.depot_id == depot.id)
        lots = lots.where(Lot.drill_incident_id == incident_id) if live else lots
        for lot_id, free in list(await session.execute(lots.order_by(Lot.id))):
            if free > 0:
                await write_off(session=session, actor_id=None, lot_id=lot_id, quantity=free,
                                reason="lost")  # fmt: skip
        return str(depot.name)
