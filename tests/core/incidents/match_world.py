"""A small world for matching tests, written straight through the models.

==========  ==========================================  =================================
area        covered by                                   note
==========  ==========================================  =================================
C1 …100201  ``real`` (affected), ``drill`` (affected)    needs, depots and most volunteers
C2 …100202  ``real`` (mutual aid)                        a volunteer from next door
C3 …100203  nobody                                       a volunteer outside the incident
==========  ==========================================  =================================

Points are near :data:`HERE` (99.95, 25.65); 0.01° of latitude ≈ 1.1 km. Volunteers are
available always, insured for a year, reach 20 km, one task at a time unless told.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.db import Database
from core.incidents.match_models import Assignment, Task
from core.incidents.matching import match_in_session
from core.incidents.models import IncidentArea
from core.incidents.need_models import Need, NeedItem
from core.incidents.priority import priority
from core.registry.areas.models import Area, AreaLevel
from core.registry.depots.models import Depot
from core.registry.volunteers.models import (
    Volunteer,
    VolunteerCertification,
    VolunteerLanguage,
    VolunteerSkill,
)
from core.stock import ledger
from core.stock.models import Lot
from tests.core.incidents.needs_world import make_incident
from tests.core.stock.test_ledger import make_item
from tests.factories import TwoCounties, make_area, two_counties

HERE = (99.95, 25.65)


@dataclass
class MatchWorld:
    tc: TwoCounties
    c: dict[str, Area]
    real: uuid.UUID
    drill: uuid.UUID
    water: uuid.UUID
    rice: uuid.UUID


def today_plus(days: int) -> date:
    return clock.local_today() + timedelta(days=days)


async def match_world(session: AsyncSession) -> MatchWorld:
    tc = await two_counties(session)
    c = {}
    for key in ("C1", "C2", "C3"):
        c[key] = await make_area(
            session,
            code=f"5329221002{key[1]:0>2}",
            name=f"{key}村",
            level=AreaLevel.community,
            parent=tc.township_a,
        )
    real = await make_incident(session, [c["C1"]])
    drill = await make_incident(session, [c["C1"]], drill=True, title="演练")
    await session.execute(
        insert(IncidentArea).values(
            incident_id=real,
            area_id=c["C2"].id,
            area_path=c["C2"].area_path,
            role="mutual_aid",
            opened_at=clock.now(),
        )
    )
    water = await make_item(session, "M-WATER")
    rice = await make_item(session, "M-RICE")
    return MatchWorld(tc, c, real, drill, water, rice)


async def volunteer(
    session: AsyncSession,
    w: MatchWorld,
    lon: float = HERE[0],
    lat: float = HERE[1],
    *,
    area: str = "C1",
    skills: tuple[str, ...] = (),
    languages: tuple[str, ...] = (),
    certs: dict[str, date | None] | None = None,
    availability: dict[str, Any] | None = None,
    insurance: date | str | None = "ok",
    max_km: float = 20.0,
    max_active: int = 1,
    status: str = "active",
    name: str = "志愿者",
) -> uuid.UUID:
    now = clock.now()
    a = w.c[area] if area in w.c else getattr(w.tc, area)
    v = Volunteer(
        name=name,
        area_id=a.id,
        area_path=a.area_path,
        lon=lon,
        lat=lat,
        availability={"always": True} if availability is None else availability,
        max_travel_km=max_km,
        max_active_tasks=max_active,
        status=status,
        created_at=now,
        updated_at=now,
        insurance_valid_until=today_plus(365) if insurance == "ok" else insurance,
    )
    session.add(v)
    await session.flush()
    for s in skills:
        session.add(VolunteerSkill(volunteer_id=v.id, skill=s))
    for lang in languages:
        session.add(VolunteerLanguage(volunteer_id=v.id, language=lang))
    for kind, expires in (certs or {}).items():
        session.add(VolunteerCertification(volunteer_id=v.id, kind=kind, expires_on=expires))
    await session.flush()
    return v.id


async def need(
    session: AsyncSession,
    w: MatchWorld,
    lon: float = HERE[0],
    lat: float = HERE[1],
    *,
    drill: bool = False,
    skills: tuple[str, ...] = (),
    languages: tuple[str, ...] = (),
    severity: int = 3,
    items: dict[uuid.UUID, int] | None = None,
    neighbours_first: bool = False,
    kind: str = "supplies",
) -> uuid.UUID:
    now = clock.now()
    n = Need(
        incident_id=w.drill if drill else w.real,
        area_path=w.c["C1"].area_path,
        community_id=w.c["C1"].id,
        source="coordinator",
        kind=kind,
        skills=list(skills),
        languages=list(languages),
        severity=severity,
        priority=priority(severity, 0, 0),
        neighbours_first=neighbours_first,
        lon=lon,
        lat=lat,
        is_drill=drill,
        created_at=now,
        updated_at=now,
    )
    session.add(n)
    await session.flush()
    for item_id, q in (items or {}).items():
        session.add(NeedItem(need_id=n.id, item_id=item_id, quantity=q))
    await session.flush()
    return n.id


async def depot(
    session: AsyncSession, w: MatchWorld, lon: float, lat: float, area: str = "C1"
) -> uuid.UUID:
    now = clock.now()
    d = Depot(
        name="库",
        kind="warehouse",
        area_id=w.c[area].id,
        area_path=w.c[area].area_path,
        lon=lon,
        lat=lat,
        address="",
        opening_hours={},
        created_at=now,
        updated_at=now,
    )
    session.add(d)
    await session.flush()
    return d.id


async def stock(
    session: AsyncSession,
    depot_id: uuid.UUID,
    item_id: uuid.UUID,
    q: int,
    *,
    drill: bool = False,
    drill_incident: uuid.UUID | None = None,
    expires: date | None = None,
) -> uuid.UUID:
    lot = await ledger.receive(
        session=session,
        actor_id=None,
        depot_id=depot_id,
        item_id=item_id,
        quantity=q,
        received_on=today_plus(-30),
        expires_on=expires or today_plus(300),
        source="donation",
        is_drill=drill,
    )
    if drill_incident is not None:
        await session.execute(
            update(Lot).where(Lot.id == lot).values(drill_incident_id=drill_incident)
        )
    return lot


async def run(session: AsyncSession, database: Database, incident: uuid.UUID, **kw: Any) -> Any:
    return await match_in_session(session=session, database=database, incident_id=incident, **kw)


async def proposed(session: AsyncSession, need_id: uuid.UUID | None = None) -> dict:
    """need id → volunteer id of its pending assignments (one per need in these tests)."""
    stmt = select(Assignment.need_id, Assignment.volunteer_id).where(
        Assignment.status.in_(("proposed", "offered"))
    )
    if need_id is not None:
        stmt = stmt.where(Assignment.need_id == need_id)
    return dict((await session.execute(stmt)).all())


async def rows(session: AsyncSession, model: type) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def tasks_of(session: AsyncSession, need_id: uuid.UUID) -> list[Any]:
    return list(await session.execute(select(Task).where(Task.need_id == need_id)))


async def busy_with(
    session: AsyncSession,
    w: MatchWorld,
    volunteer_id: uuid.UUID,
    *,
    drill: bool = False,
    status: str = "accepted",
) -> uuid.UUID:
    """Give the volunteer a live assignment in another incident (drill or real); its id."""
    other = await make_incident(session, [w.c["C1"]], drill=drill, title="另一起")
    now = clock.now()
    n = Need(
        incident_id=other,
        area_path=w.c["C1"].area_path,
        source="coordinator",
        kind="rescue",
        skills=[],
        languages=[],
        severity=3,
        lon=HERE[0],
        lat=HERE[1],
        is_drill=drill,
        status="in_progress",
        created_at=now,
        updated_at=now,
    )
    session.add(n)
    await session.flush()
    t = Task(
        need_id=n.id,
        incident_id=other,
        area_path=n.area_path,
        status="assigned",
        is_drill=drill,
        created_at=now,
        updated_at=now,
    )
    session.add(t)
    await session.flush()
    a = Assignment(
        task_id=t.id,
        need_id=n.id,
        incident_id=other,
        volunteer_id=volunteer_id,
        area_path=n.area_path,
        status=status,
        distance_m=1.0,
        eta_s=1.0,
        priority=30.0,
        reason={},
        is_drill=drill,
        created_at=now,
        updated_at=now,
    )
    session.add(a)
    await session.flush()
    return a.id
