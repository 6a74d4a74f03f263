"""Plan readiness: the area's population, real stock, volunteers and shelters against the
plan. Pure reads; every count is one set-based query (GROUP BY), never a loop over people.

For a plan version (default: the plan's approved one) and its area (the plan's area and
everything below, by ``area_path`` prefix):

* **population**: persons of the area's households; vulnerable persons per tag;
* **stock**: per plan material, ``on_hand − reserved`` of real lots (not drill, no live
  drill) that have not expired by today (China date; a lot expiring today still counts,
  as in reservations) in the area's depots. ``per_person_day`` items: days of supply =
  available / (rate × persons), a gap below ``supply_days``; ``per_person`` items:
  coverage = available / (rate × persons), a gap below 1. Needs are rounded up to whole
  base units and the shortfall is ``need − available``;
* **volunteers**: per skill of ``volunteer_skills``, required = ceil(ratio × persons /
  1000) against volunteers of the area whose status is active AND whose insurance is
  valid today (uninsured volunteers are never dispatched, so they do not count; the
  report also shows all active ones). Volunteers carry no drill mark: the roster is real;
* **shelters**: total ``capacity_people`` of the plan's shelters against the whole
  population (the plan document names no share).

Access: whoever may read the plan (:func:`plans.rules.get_plan`; drafts only for
writers); outside the caller's scope 404. The output holds counts only.
"""

from __future__ import annotations

import math
import uuid
from datetime import date

from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import Principal
from core.clock import local_today
from core.errors import Conflict, Invalid
from core.registry.areas.models import Area
from core.registry.depots.models import Depot
from core.registry.households.models import Person, PersonTag
from core.registry.items.models import Item
from core.registry.vocab import VULNERABILITY_TAGS
from core.registry.volunteers.models import Volunteer, VolunteerSkill, VolunteerStatus
from core.stock.models import Lot
from plans import readiness_gaps as msg
from plans.models import Plan, PlanVersion, VersionStatus
from plans.readiness_schemas import (
    MaterialRead,
    PopulationRead,
    ReadinessRead,
    ShelterRead,
    VolunteerSkillRead,
)
from plans.rules import get_plan, get_version


async def plan_version_for(
    *,
    session: AsyncSession,
    principal: Principal,
    plan_id: uuid.UUID,
    version_id: uuid.UUID | None = None,
    loc: tuple[str, ...] = ("query", "version"),
) -> tuple[Plan, PlanVersion]:
    """The plan and ``version_id`` (one of its versions, else 422 naming ``loc``) or its
    approved version (409 when it has none). 404 outside the caller's scope."""
    plan = await get_plan(session=session, principal=principal, plan_id=plan_id)
    if version_id is not None:
        version, owner = await get_version(session=session, principal=principal,
                                           version_id=version_id)  # fmt: skip
        if owner.id != plan.id:
            raise Invalid.field(loc, f"version {version_id} is not a version of this plan")
        return plan, version
    version = await session.scalar(
        select(PlanVersion).where(
            PlanVersion.plan_id == plan.id, PlanVersion.status == VersionStatus.approved.value
        )
    )
    if version is None:
        raise Conflict("this plan has no approved version yet; name a version",
                       plan_id=str(plan.id))  # fmt: skip
    return plan, version


async def readiness(*, session: AsyncSession, plan: Plan, version: PlanVersion) -> ReadinessRead:
    """The readiness report of ``version`` (already checked readable) over the plan's area."""
    doc = version.document
    path = plan.area_path
    area = (
        await session.execute(select(Area.code, Area.name).where(Area.id == plan.area_id))
    ).one()
    today = local_today()
    population = await _population(session, path)
    persons = population.persons
    supply_days = int(doc.get("supply_days", 3))
    materials = await _materials(
        session, path, doc.get("materials", []), persons, supply_days, today
    )
    volunteers = await _volunteers(session, path, doc.get("volunteer_skills", {}), persons, today)
    shelters = await _shelters(session, [p["depot_id"] for p in doc.get("shelters", [])], persons)
    gaps = [msg.material_gap(m, supply_days) for m in materials if m.gap]
    gaps += [msg.volunteer_gap(v) for v in volunteers if v.gap]
    if shelters.gap:
        gaps.append(msg.shelter_gap(shelters))
    return ReadinessRead(
        plan_id=plan.id, version_id=version.id, version=version.version,
        status=version.status, title=doc.get("title", plan.title), hazard=plan.hazard,
        area_code=area.code, area_name=area.name, as_of=today, supply_days=supply_days,
        population=population, materials=materials, volunteers=volunteers,
        shelters=shelters, gaps=gaps,
    )  # fmt: skip


def _under(column, path: str):  # type: ignore[no-untyped-def]
    return column.startswith(path, autoescape=True)


def _ceil(x: float) -> int:
    """Round up, forgiving float noise (0.34 × 8800 is 2992.0000000000005)."""
    return math.ceil(round(x, 6))


async def _population(session: AsyncSession, path: str) -> PopulationRead:
    persons, households = (await session.execute(
        select(func.count(Person.id), func.count(func.distinct(Person.household_id)))
        .where(_under(Person.area_path, path))
    )).one()  # fmt: skip
    tagged = (
        select(PersonTag.tag, PersonTag.person_id)
        .join(Person, Person.id == PersonTag.person_id)
        .where(_under(Person.area_path, path))
        .subquery()
    )
    by_tag = dict.fromkeys(VULNERABILITY_TAGS, 0)
    for tag, n in await session.execute(select(tagged.c.tag, func.count()).group_by(tagged.c.tag)):
        by_tag[tag] = int(n)
    vulnerable = await session.scalar(select(func.count(func.distinct(tagged.c.person_id))))
    return PopulationRead(persons=int(persons), households=int(households),
                          vulnerable=int(vulnerable or 0), by_tag=by_tag)  # fmt: skip


async def _materials(
    session: AsyncSession, path: str, needs: list[dict], persons: int, supply_days: int,
    today: date,
) -> list[MaterialRead]:  # fmt: skip
    codes = [n["item_code"] for n in needs]
    items = {i.code: i for i in await session.scalars(select(Item).where(Item.code.in_(codes)))}
    free = func.coalesce(func.sum(Lot.on_hand - Lot.reserved), 0)
    rows = await session.execute(
        select(Lot.item_id, free)
        .where(
            _under(Lot.area_path, path), Lot.is_drill.is_(False), Lot.drill_incident_id.is_(None),
            or_(Lot.expires_on.is_(None), Lot.expires_on >= today),
            Lot.item_id.in_([i.id for i in items.values()]),
        )
        .group_by(Lot.item_id)
    )  # fmt: skip
    available = {item_id: int(n) for item_id, n in rows}
    out = []
    for n in needs:
        item = items.get(n["item_code"])
        have = available.get(item.id, 0) if item else 0
        daily = n.get("per_person_day")
        rate = float(daily if daily is not None else n.get("per_person") or 0)
        per_head = rate * persons
        need = _ceil(per_head * supply_days if daily is not None else per_head)
        ratio = round(have / per_head, 3) if per_head else None
        out.append(MaterialRead(
            item_code=n["item_code"], name_zh=item.name_zh if item else n["item_code"],
            name_en=item.name_en if item else n["item_code"],
            base_unit=item.base_unit if item else "", rate=rate,
            basis="per_person_day" if daily is not None else "per_person",
            available=have, need=need,
            days_of_supply=round(have / per_head, 2) if per_head and daily is not None else None,
            coverage=ratio if daily is None else None,
            gap=have < need, shortfall=max(0, need - have),
        ))  # fmt: skip
    return out


async def _volunteers(
    session: AsyncSession, path: str, ratios: dict[str, float], persons: int, today: date
) -> list[VolunteerSkillRead]:
    insured = case((Volunteer.insurance_valid_until >= today, 1), else_=0)
    rows = await session.execute(
        select(VolunteerSkill.skill, func.count(), func.coalesce(func.sum(insured), 0))
        .join(Volunteer, Volunteer.id == VolunteerSkill.volunteer_id)
        .where(
            _under(Volunteer.area_path, path),
            Volunteer.status == VolunteerStatus.active.value,
            VolunteerSkill.skill.in_(list(ratios)),
        )
        .group_by(VolunteerSkill.skill)
    )  # fmt: skip
    found = {skill: (int(active), int(counted)) for skill, active, counted in rows}
    out = []
    for skill, ratio in ratios.items():
        active, counted = found.get(skill, (0, 0))
        required = _ceil(ratio * persons / 1000)
        out.append(VolunteerSkillRead(
            skill=skill, per_thousand=ratio, required=required, active=active,
            counted=counted, gap=counted < required, shortfall=max(0, required - counted),
        ))  # fmt: skip
    return out


async def _shelters(session: AsyncSession, depot_ids: list[str], persons: int) -> ShelterRead:
    ids = [uuid.UUID(str(i)) for i in depot_ids]
    listed, capacity = (await session.execute(
        select(func.count(Depot.id), func.coalesce(func.sum(Depot.capacity_people), 0))
        .where(Depot.id.in_(ids))
    )).one()  # fmt: skip
    capacity = int(capacity)
    return ShelterRead(shelters=int(listed), capacity=capacity, need=persons,
                       gap=capacity < persons, shortfall=max(0, persons - capacity))  # fmt: skip
