"""The drill's people: generated into the isolated database, or copied from a registry;
then read back as plain arrays in a stable order (codes, never ids, decide the order).

``generate`` runs the demo county generator (:func:`core.demo.load.load_demo`, seeded:
same seed, same county) with the scenario's counts and the demo plans. ``registry``
copies the source database's registry read-only (:mod:`plans.drills.copy`).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
from sqlalchemy import select, update

from core.clock import local_today
from core.db import Database
from core.demo.load import load_demo
from core.incidents.need_schemas import NeedCreate
from core.registry.depots.models import Depot
from core.registry.households.models import Household, Person, PersonTag
from core.registry.items.models import Item
from core.registry.volunteers.models import Volunteer
from core.stock.ledger import receive
from core.stock.models import Lot
from plans.chain_models import HouseholdCheckin, PersonCheckin
from plans.demo import load_demo_plans
from plans.drills.scenario import Scenario
from plans.drills.scenario_parts import NeedRule


@dataclass
class People:
    """Persons of the incident's check-ins, ordered by household code, birth year, name."""

    person_ids: list[uuid.UUID] = field(default_factory=list)
    household_of: list[int] = field(default_factory=list)  # index into household_ids
    tags: list[frozenset[str]] = field(default_factory=list)
    household_ids: list[uuid.UUID] = field(default_factory=list)
    lonlat: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))  # per household

    def members(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = defaultdict(list)
        for p, h in enumerate(self.household_of):
            out[h].append(p)
        return out


async def populate(db: Database, scenario: Scenario) -> dict[str, int]:
    """Generate the demo county with the scenario's counts; the counts loaded."""
    pop = scenario.population
    report = await load_demo(
        db,
        seed=scenario.seed,
        households=pop.households,
        volunteers=pop.volunteers,
        token_ttl=timedelta(hours=1),
        extra_loaders={"plans": load_demo_plans},
    )
    return dict(report.counts)


async def prepare(db: Database, scenario: Scenario, rng: np.random.Generator) -> int:
    """Make the isolated database's lots drill lots and add the scenario's stock lines;
    set the on-duty share of volunteers (the others inactive); returns volunteers on duty."""
    async with db.transaction() as session:
        # a drill's needs draw on drill lots only (core.stock.take.serving): in this
        # isolated copy every lot is the drill's
        await session.execute(update(Lot).values(is_drill=True))
        for line in scenario.stock.add:
            item = await session.scalar(select(Item.id).where(Item.code == line.item_code))
            if item is None:
                raise ValueError(f"stock.add: unknown item {line.item_code}")
            depots = await session.scalars(
                select(Depot.id).where(Depot.kind == line.depot_kind).order_by(Depot.name)
            )
            for depot in depots:
                await receive(session=session, actor_id=None, depot_id=depot, item_id=item,
                              quantity=line.quantity, source="purchase",
                              received_on=local_today(), is_drill=True)  # fmt: skip
        rows = (await session.execute(
            select(Volunteer.id).order_by(Volunteer.lon, Volunteer.lat, Volunteer.name)
        )).scalars().all()  # fmt: skip
        on = rng.random(len(rows)) < scenario.volunteers.on_duty_share
        off = [v for v, keep in zip(rows, on, strict=True) if not keep]
        if off:
            await session.execute(
                update(Volunteer).where(Volunteer.id.in_(off)).values(status="inactive")
            )
    return int(on.sum())


async def people_of(db: Database, incident_id: uuid.UUID) -> People:
    """The persons the incident's chain opened, with their households and tags."""
    out = People()
    async with db.reader() as session:
        rows = await session.execute(
            select(Person.id, Household.id, Household.lon, Household.lat)
            .join(PersonCheckin, PersonCheckin.person_id == Person.id)
            .join(HouseholdCheckin, HouseholdCheckin.id == PersonCheckin.household_checkin_id)
            .join(Household, Household.id == HouseholdCheckin.household_id)
            .where(PersonCheckin.incident_id == incident_id)
            .order_by(Household.code, Person.birth_year, Person.name)
        )
        tags: dict[uuid.UUID, set[str]] = defaultdict(set)
        for pid, tag in await session.execute(
            select(PersonTag.person_id, PersonTag.tag)
            .join(PersonCheckin, PersonCheckin.person_id == PersonTag.person_id)
            .where(PersonCheckin.incident_id == incident_id)
        ):
            tags[pid].add(tag)
        index: dict[uuid.UUID, int] = {}
        points: list[tuple[float, float]] = []
        for pid, hid, lon, lat in rows:
            if hid not in index:
                index[hid] = len(out.household_ids)
                out.household_ids.append(hid)
                points.append((lon, lat))
            out.person_ids.append(pid)
            out.household_of.append(index[hid])
            out.tags.append(frozenset(tags.get(pid, ())))
    out.lonlat = np.array(points, dtype=float).reshape(-1, 2)
    return out


def need_create(rule: NeedRule, household_id: uuid.UUID, person_id: uuid.UUID) -> NeedCreate:
    """The need ``rule`` raises for a person (at their household)."""
    return NeedCreate(
        kind=rule.kind,
        household_id=household_id,
        person_id=person_id,
        severity=rule.severity,
        items=[i.model_dump() for i in rule.items],
        skills=list(rule.skills),
    )
