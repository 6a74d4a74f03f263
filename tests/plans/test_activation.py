"""Activation on both engines: each community runs its own approved plan or the nearest above."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.events.models import OutboxEvent
from core.incidents.models import Incident
from core.registry.areas.models import Area, AreaLevel
from plans import service
from plans.activation import activate_plans, activation_hook, ancestor_paths
from plans.models import IncidentPlan
from tests.factories import make_area
from tests.plans.world import make_world


async def make_incident(session: AsyncSession, area: Area, hazard: str) -> uuid.UUID:
    now = clock.now()
    incident = Incident(
        title="演练", hazard=hazard, category="natural_disaster", level=3, mode="real",
        is_drill=False, status="active", area_path=area.area_path, declared_at=now,
        updated_at=now,
    )  # fmt: skip
    session.add(incident)
    await session.flush()
    return incident.id


async def approved_plan(
    session: AsyncSession, area: Area, hazard: str = "earthquake"
) -> tuple[uuid.UUID, uuid.UUID]:
    """(plan id, approved version id) of a new plan from the handbook."""
    plan, v = await service.create_plan(
        session=session, principal=None, area_code=area.code, hazard=hazard
    )
    await service.approve(session=session, principal=None, version_id=v.id)
    return plan.id, v.id


def test_ancestor_paths() -> None:
    assert ancestor_paths("53/5329/532922/") == ["53/5329/532922/", "53/5329/", "53/"]


async def test_nearest_approved_plan_at_or_above_each_community(session: AsyncSession) -> None:
    w = await make_world(session)
    b_community = await make_area(
        session, code="532923100001", name="祥城社区", level=AreaLevel.community,
        parent=w.tc.township_b,
    )  # fmt: skip
    county_plan, county_v = await approved_plan(session, w.tc.county_a)
    _, seat_v = await approved_plan(session, w.seat)
    await approved_plan(session, w.tc.county_b, hazard="flood")  # another hazard: not used
    await service.create_plan(  # a draft is never activated
        session=session, principal=None, area_code=w.tc.county_b.code, hazard="earthquake"
    )
    incident = await make_incident(session, w.tc.county_a, "earthquake")
    ids = [w.seat.id, w.village.id, b_community.id, w.seat.id, uuid.uuid4()]
    got = await activate_plans(
        session=session, incident_id=incident, hazard="earthquake", community_ids=ids
    )
    assert got == {w.seat.id: seat_v, w.village.id: county_v, b_community.id: None}
    rows = {
        r.community_id: r.plan_version_id
        for r in await session.scalars(
            select(IncidentPlan).where(IncidentPlan.incident_id == incident)
        )
    }
    assert rows == got
    event = await session.scalar(select(OutboxEvent).where(OutboxEvent.type == "plan.activated"))
    assert event is not None and event.payload["communities"] == 3
    assert event.payload["without_plan"] == 1

    # A later approval does not change what recorded communities ran; new ones get it.
    v2 = await service.new_version(session=session, principal=None, plan_id=county_plan)
    await service.approve(session=session, principal=None, version_id=v2.id)
    other = await make_area(
        session, code="532922100003", name="新村", level=AreaLevel.community,
        parent=w.tc.township_a,
    )  # fmt: skip
    await activation_hook(
        session=session, incident_id=incident, hazard="earthquake",
        community_ids=[w.village.id, other.id],
    )  # fmt: skip
    again = await activate_plans(
        session=session, incident_id=incident, hazard="earthquake", community_ids=[other.id]
    )
    assert again == {other.id: v2.id}  # a community added later runs the plan approved then
    rows = {
        r.community_id: r.plan_version_id
        for r in await session.scalars(
            select(IncidentPlan).where(IncidentPlan.incident_id == incident)
        )
    }
    assert len(rows) == 4 and rows[w.village.id] == county_v
    assert (
        await activate_plans(
            session=session, incident_id=incident, hazard="earthquake", community_ids=[]
        )
        == {}
    )
