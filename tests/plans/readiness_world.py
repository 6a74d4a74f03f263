"""A hand-counted world for readiness: the plan world of :mod:`tests.plans.world` plus
people, lots, volunteers and small shelters, and county A's earthquake plan.

Today is 2026-11-23 (China). County A's plan: supply 3 days; water 3 L and milk 0.3 box
per person-day, a quilt and 0.34 tent per person; first aid 300, logistics 100, medical
50 volunteers per 1,000; shelters 村小 (2 people) and 镇卫生院 (3 people).

==========  ===========================================================================
residents   城中社区: 老张 (aged_80_plus, living_alone), 李, 小王 (infant); 陈 (disabled), 周
            白章村: 赵 (aged_80_plus), 钱, 孙 (chronically_ill)  → 8 persons, 3 households
            祥云 (county B): 2 persons, never counted
water       城中仓库 40 (10 of it reserved for a need); 镇储备点 20 + 6 expiring today
            → 56 available; not counted: 500 drill, 300 expired yesterday, 1000 in 祥云
quilts      城中仓库 9 (need 8)          tents   镇储备点 2 (need ceil(2.72) = 3)
volunteers  first aid: v1 (also logistics), v2 (insured until today) counted; v3
            (insurance lapsed), v5 (no insurance) active only; v4 (also medical) inactive;
            祥云's vb (first aid, medical) outside the area
==========  ===========================================================================
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import SYSTEM
from core.registry.areas.models import AreaLevel
from core.registry.depots.schemas import DepotCreate
from core.registry.depots.service import create_depots
from core.registry.households.create import create_households
from core.registry.households.schemas import HouseholdCreate, PersonCreate
from core.registry.items.models import Item
from core.registry.volunteers.batch import create_volunteers
from core.registry.volunteers.schemas import VolunteerCreate
from core.stock import ledger, reserve
from plans import service
from plans.templates import load_template
from tests.core.incidents.needs_world import make_incident
from tests.core.stock.test_ledger import make_need
from tests.factories import make_area
from tests.plans.world import PlanWorld, make_world

START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 16:00 in China
TODAY = date(2026, 11, 23)
INSURED = date(2027, 6, 30)


@dataclass
class ReadyWorld:
    pw: PlanWorld
    plan_id: uuid.UUID
    version_id: uuid.UUID
    items: dict[str, uuid.UUID]
    depots: dict[str, uuid.UUID]


def _household(code: str, community: str, members: dict[str, list[str]]) -> HouseholdCreate:
    return HouseholdCreate(
        code=code, address=f"{code} 1 号", lon=99.95, lat=25.67, community_code=community,
        members=[PersonCreate(name=n, tags=t) for n, t in members.items()], contact_index=0,
    )  # fmt: skip


def _volunteer(name: str, area: str, skills: list[str], insured: date | None, **kw):  # type: ignore[no-untyped-def]
    lon, lat = (100.7, 25.5) if area.startswith("532923") else (99.95, 25.67)
    return VolunteerCreate(name=name, area_code=area, lon=lon, lat=lat, skills=skills,
                           insurance_valid_until=insured, **kw)  # fmt: skip


async def make_ready_world(session: AsyncSession) -> ReadyWorld:
    w = await make_world(session)
    tc = w.tc
    b_comm = await make_area(session, code="532923100001", name="祥城社区",
                             level=AreaLevel.community, parent=tc.township_b)  # fmt: skip
    await create_households(session=session, principal=SYSTEM, rows=[
        _household("r-1", w.seat.code, {"老张": ["aged_80_plus", "living_alone"], "李": [],
                                        "小王": ["infant"]}),
        _household("r-2", w.seat.code, {"陈": ["disabled"], "周": []}),
        _household("r-3", w.village.code, {"赵": ["aged_80_plus"], "钱": [],
                                           "孙": ["chronically_ill"]}),
        HouseholdCreate(code="r-b", address="祥云 1 号", lon=100.7, lat=25.5,
                        community_code=b_comm.code, contact_index=0,
                        members=[PersonCreate(name="吴", tags=["aged_80_plus"]),
                                 PersonCreate(name="郑")]),
    ])  # fmt: skip
    specs = [("town_store", "镇储备点", "warehouse", tc.township_a.code, None),
             ("village_shelter", "村小避难点", "shelter", w.village.code, 2),
             ("clinic_shelter", "镇卫生院避难点", "shelter", tc.township_a.code, 3)]  # fmt: skip
    ids = await create_depots(session=session, principal=None, rows=[
        DepotCreate(name=n, kind=k, area_code=c, lon=99.95, lat=25.66, capacity_people=cap)
        for _, n, k, c, cap in specs
    ])  # fmt: skip
    depots = dict(w.depots) | {s[0]: i for s, i in zip(specs, ids, strict=True)}
    codes = ("WATER-BOTTLED-L", "FOOD-MILK-UHT", "BED-QUILT", "SHELTER-TENT-12M2")
    found = await session.execute(select(Item.code, Item.id).where(Item.code.in_(codes)))
    items = {code: item_id for code, item_id in found}
    far = date(2027, 10, 1)
    lots = [  # depot, item, quantity, expires_on, is_drill
        ("seat_warehouse", "WATER-BOTTLED-L", 40, far, False),
        ("town_store", "WATER-BOTTLED-L", 6, TODAY, False),
        ("town_store", "WATER-BOTTLED-L", 20, None, False),
        ("seat_warehouse", "WATER-BOTTLED-L", 500, far, True),
        ("seat_warehouse", "WATER-BOTTLED-L", 300, date(2026, 11, 22), False),
        ("b_shelter", "WATER-BOTTLED-L", 1000, far, False),
        ("seat_warehouse", "BED-QUILT", 9, None, False),
        ("town_store", "SHELTER-TENT-12M2", 2, None, False),
    ]
    for depot, code, quantity, expires, drill in lots:
        await ledger.receive(
            session=session, actor_id=None, depot_id=depots[depot], item_id=items[code],
            quantity=quantity, received_on=date(2025, 11, 1), expires_on=expires,
            source="donation", is_drill=drill,
        )  # fmt: skip
    incident = await make_incident(session, [w.seat])
    need = await make_need(session, incident, w.seat.area_path, False)
    line = (items["WATER-BOTTLED-L"], depots["seat_warehouse"], 10)
    await reserve.reserve_lines(session=session, actor_id=None, need_id=need, lines=[line])
    a, v, b = w.seat.code, w.village.code, b_comm.code
    await create_volunteers(session=session, principal=None, rows=[
        _volunteer("v1", a, ["first_aid", "logistics"], INSURED),
        _volunteer("v2", v, ["first_aid"], TODAY),
        _volunteer("v3", a, ["first_aid"], date(2026, 6, 30)),
        _volunteer("v4", a, ["first_aid", "medical"], INSURED, status="inactive"),
        _volunteer("v5", v, ["first_aid"], None),
        _volunteer("vb", b, ["first_aid", "medical"], INSURED),
    ])  # fmt: skip
    skills = dict.fromkeys(load_template("earthquake")["volunteer_skills"])
    document = {
        "supply_days": 3,
        "materials": [
            {"item_code": "WATER-BOTTLED-L", "per_person_day": 3},
            {"item_code": "FOOD-MILK-UHT", "per_person_day": 0.3},
            {"item_code": "BED-QUILT", "per_person": 1},
            {"item_code": "SHELTER-TENT-12M2", "per_person": 0.34},
        ],
        "volunteer_skills": skills | {"first_aid": 300, "logistics": 100, "medical": 50},
        "shelters": [{"depot_id": str(depots[k])} for k in ("village_shelter", "clinic_shelter")],
    }
    plan, version = await service.create_plan(
        session=session, principal=None, area_code=tc.county_a.code, hazard="earthquake",
        document=document,
    )  # fmt: skip
    await service.approve(session=session, principal=None, version_id=version.id)
    return ReadyWorld(w, plan.id, version.id, items, depots)
