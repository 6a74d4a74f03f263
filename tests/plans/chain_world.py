"""A small world for check-in chain tests (incidents and plans written through the models).

==========  ===========================  ==============================================
community   grids                        households (members: tags)
==========  ===========================  ==============================================
C1 …100101  g1, g2                       h1 (g1): 老甲 bedridden, 小乙 —
                                         h2 (g2): 丙 aged_80_plus
                                         h3 (g1): 丁 —, 戊 —
C2 …100102  —                            h4: 己 infant, 庚 —
C3 …100103  —                            h5: 辛 aged_80_plus  (not affected)
CB (B)      —                            hb: 壬 —              (county B)
==========  ===========================  ==============================================

Default deadlines (no plan): bedridden 30, aged_80_plus 60, infant 90, default 240 min.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shapely.geometry import MultiPolygon, box
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.auth.roles import SYSTEM, Principal
from core.events.models import OutboxEvent, Timer
from core.incidents.models import Incident, IncidentArea
from core.incidents.need_models import Need
from core.registry.areas.models import Area, AreaLevel
from core.registry.households.create import create_households
from core.registry.households.models import Person
from core.registry.households.schemas import HouseholdCreate, PersonCreate
from plans.chain import open_checkins
from plans.chain_models import HouseholdCheckin, PersonCheckin
from plans.models import IncidentPlan, Plan, PlanVersion
from tests.factories import TwoCounties, make_area, make_grid, two_counties

START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


@dataclass
class ChainWorld:
    tc: TwoCounties
    c: dict[str, Area]
    grids: dict[str, uuid.UUID]
    h: dict[str, uuid.UUID]
    p: dict[str, uuid.UUID]
    users: dict[str, tuple[Principal, dict[str, str]]] = field(default_factory=dict)
    incident: uuid.UUID | None = None
    api: str = ""


async def _household(
    session: AsyncSession, community: Area, members: dict[str, list[str]], grid: str | None = None
) -> uuid.UUID:
    lon, lat = (community.min_lon or 99.95) + 0.001, (community.min_lat or 25.65) + 0.001
    data = HouseholdCreate(
        code=f"{community.code[-3:]}-{uuid.uuid4().hex[:6]}",
        address=f"{community.name} 1 号",
        lon=lon,
        lat=lat,
        community_code=community.code,
        grid_code=grid,
        members=[PersonCreate(name=n, tags=t) for n, t in members.items()],
        contact_index=0,
    )
    (hid,) = await create_households(session=session, principal=SYSTEM, rows=[data])
    return hid


async def build(session: AsyncSession) -> ChainWorld:
    tc = await two_counties(session)
    ta, tb = tc.township_a, tc.township_b
    specs = {  # name, code, parent, boundary (lon/lat degrees)
        "C1": ("一村", "532922100101", ta, (99.90, 25.60, 99.92, 25.62)),
        "C2": ("二村", "532922100102", ta, (99.92, 25.60, 99.94, 25.62)),
        "C3": ("三村", "532922100103", ta, None),
        "CB": ("乙村", "532923100101", tb, None),
    }
    c = {}
    for key, (name, code, parent, bounds) in specs.items():
        shape = MultiPolygon([box(*bounds)]) if bounds else None
        c[key] = await make_area(session, code=code, name=name, level=AreaLevel.community,
                                 parent=parent, boundary=shape)  # fmt: skip
    g1 = await make_grid(session, community=c["C1"], code="g1")
    g2 = await make_grid(session, community=c["C1"], code="g2")
    h = {
        "h1": await _household(session, c["C1"], {"老甲": ["bedridden"], "小乙": []}, "g1"),
        "h2": await _household(session, c["C1"], {"丙": ["aged_80_plus"]}, "g2"),
        "h3": await _household(session, c["C1"], {"丁": [], "戊": []}, "g1"),
        "h4": await _household(session, c["C2"], {"己": ["infant"], "庚": []}),
        "h5": await _household(session, c["C3"], {"辛": ["aged_80_plus"]}),
        "hb": await _household(session, c["CB"], {"壬": []}),
    }
    p = {name: pid for pid, name in await session.execute(select(Person.id, Person.name))}
    return ChainWorld(tc, c, {"g1": g1.id, "g2": g2.id}, h, p)


async def make_incident(
    session: AsyncSession,
    communities: list[Area],
    *,
    mode: str = "real",
    speedup: float = 1.0,
    declared_at: datetime | None = None,
) -> uuid.UUID:
    """An active incident affecting ``communities``, written through the models."""
    at = declared_at or clock.now()
    incident = Incident(
        title="地震",
        hazard="earthquake",
        category="natural_disaster",
        level=2,
        mode=mode,
        speedup=speedup,
        is_drill=mode != "real",
        status="active",
        area_path=communities[0].area_path.rsplit("/", 2)[0] + "/",
        declared_at=at,
        updated_at=at,
    )
    session.add(incident)
    await session.flush()
    rows = [
        {
            "incident_id": incident.id,
            "area_id": a.id,
            "area_path": a.area_path,
            "role": "affected",
            "opened_at": at,
        }
        for a in communities
    ]
    await session.execute(insert(IncidentArea), rows)
    return incident.id


async def activate(
    session: AsyncSession, communities: list[Area], **kwargs: Any
) -> tuple[uuid.UUID, int]:
    """An incident over ``communities`` with its chain opened (the activation hook)."""
    incident_id = await make_incident(session, communities, **kwargs)
    made = await open_checkins(
        session=session,
        incident_id=incident_id,
        hazard="earthquake",
        community_ids=[a.id for a in communities],
    )
    return incident_id, made


async def with_plan(
    session: AsyncSession, incident_id: uuid.UUID, community: Area, deadlines: dict[str, int]
) -> uuid.UUID:
    """An approved plan version with these deadlines, recorded as activated for ``community``."""
    now = clock.now()
    plan = Plan(
        area_id=community.id,
        area_path=community.area_path,
        hazard="earthquake",
        title="预案",
        created_at=now,
        updated_at=now,
    )
    session.add(plan)
    await session.flush()
    version = PlanVersion(
        plan_id=plan.id,
        version=1,
        status="approved",
        created_at=now,
        document={"checkin_deadlines_minutes": deadlines},
    )
    session.add(version)
    await session.flush()
    await session.execute(
        insert(IncidentPlan).values(
            incident_id=incident_id, community_id=community.id, plan_version_id=version.id
        )
    )
    return version.id


async def count(session: AsyncSession, model: Any, *where: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def written(session: AsyncSession) -> tuple[int, ...]:
    """Row counts a failed call must leave unchanged."""
    return (
        await count(session, HouseholdCheckin),
        await count(session, PersonCheckin, PersonCheckin.status != "pending"),
        await count(session, Need),
        await count(session, OutboxEvent),
        await count(session, Timer),
    )


async def person_checkin(
    session: AsyncSession, incident_id: uuid.UUID, person_id: uuid.UUID
) -> PersonCheckin:
    row = await session.scalar(
        select(PersonCheckin).where(
            PersonCheckin.incident_id == incident_id, PersonCheckin.person_id == person_id
        )
    )
    assert row is not None
    await session.refresh(row)
    return row
