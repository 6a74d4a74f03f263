"""Demo plans: approved plans for 漾濞 and each of its communities, on both engines."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Database
from core.demo.load import load_demo
from core.registry.areas.models import Area, AreaLevel
from plans.demo import load_demo_plans
from plans.models import Plan, PlanVersion
from tests.plans.world import make_world


async def test_small_world(session: AsyncSession) -> None:
    w = await make_world(session)
    assert await load_demo_plans(session=session) == 3 + 2
    plans = {
        (p.area_id, p.hazard): (p, v)
        for p, v in await session.execute(
            select(Plan, PlanVersion).join(PlanVersion, PlanVersion.plan_id == Plan.id)
        )
    }
    assert {v.status for _, v in plans.values()} == {"approved"}
    county, county_v = plans[(w.tc.county_a.id, "flood")]
    assert county.title == "漾濞彝族自治县洪涝灾害慈善应急预案"
    assert {s["depot_id"] for s in county_v.document["shelters"]} == {
        str(w.depots["county_shelter"]), str(w.depots["town_shelter"])}  # fmt: skip
    seat, seat_v = plans[(w.seat.id, "earthquake")]
    doc = seat_v.document
    assert seat.title == "城中社区地震灾害慈善应急预案"
    assert [s["depot_id"] for s in doc["shelters"]] == [str(w.depots["town_shelter"])]
    assert [p["depot_id"] for p in doc["assembly_points"]] == [str(w.depots["seat_assembly"])]
    assert [g["grid_code"] for g in doc["contact_tree"]["grid_workers"]] == ["01"]
    assert (w.village.id, "earthquake") in plans
    assert await load_demo_plans(session=session) == 0


async def test_real_demo_dataset(committed: Database) -> None:
    await load_demo(committed, seed=3, households=60, volunteers=10, token_ttl=timedelta(hours=1))
    async with committed.transaction() as session:
        created = await load_demo_plans(session=session)
    async with committed.reader() as s:
        county = await s.scalar(select(Area).where(Area.code == "532922000000"))
        assert county is not None
        communities = await s.scalar(
            select(func.count())
            .select_from(Area)
            .where(Area.area_path.startswith(county.area_path), Area.level == AreaLevel.community)
        )
        assert created == 3 + communities
        statuses = (await s.scalars(select(PlanVersion.status).distinct())).all()
        assert statuses == ["approved"]
        empty = 0
        for doc in await s.scalars(select(PlanVersion.document)):
            empty += not doc["shelters"] and not doc["assembly_points"]
        assert empty == 0
