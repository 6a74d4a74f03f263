"""A small world for need tests (incidents written straight through the models).

=============  ======================================  ============================
community      shape (lon/lat degrees)                 households (members: tags)
=============  ======================================  ============================
A1 …100101     box 99.90–99.92 × 25.60–25.62           h1 (99.905, 25.605) in grid
               grid g1: box 99.90–99.91 × 25.60–25.62  g1: 老甲 bedridden, 小乙 infant
A2 …100102     box 99.92–99.94 × 25.60–25.62           h2 (99.93, 25.61): 丙 —
A3 …100103     no boundary                             h3 (99.95, 25.65): 丁 aged_80_plus
A4 …100104     box 100.00–100.02 × 25.70–25.72         h4 (100.01, 25.71), not affected
B1 (county B)  box 100.60–100.62 × 25.30–25.32         hb (100.61, 25.31)
=============  ======================================  ============================

Incidents: ``live`` (real; affects A1–A3), ``drill`` (live drill; A1), ``down`` (stood
down; A1), ``b`` (real; B1).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from shapely.geometry import MultiPolygon, box
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.auth import service as auth_service
from core.auth.models import User
from core.auth.roles import SYSTEM, Principal, Role
from core.events.models import OutboxEvent, OutboxStream
from core.events.outbox import Event
from core.incidents.models import Incident, IncidentArea
from core.incidents.need_models import Need, NeedItem
from core.registry.areas.models import Area, AreaLevel
from core.registry.households.create import create_households
from core.registry.households.models import Person
from core.registry.households.schemas import HouseholdCreate, PersonCreate
from core.registry.items.schemas import ItemCreate
from core.registry.items.service import create_items
from tests.factories import TwoCounties, make_area, make_grid, two_counties

WATER, RICE = "WATER-BOTTLED-L", "FOOD-RICE-KG"


@dataclass
class World:
    tc: TwoCounties
    c: dict[str, Area]
    h: dict[str, uuid.UUID]  # households by name
    p: dict[str, uuid.UUID]  # persons by name
    inc: dict[str, uuid.UUID]  # incidents by name
    grid_id: uuid.UUID
    users: dict[str, tuple[Principal, dict[str, str]]] = field(default_factory=dict)


def shape(*bounds: float) -> MultiPolygon:
    return MultiPolygon([box(*bounds)])


async def make_incident(
    session: AsyncSession,
    communities: list[Area],
    *,
    drill: bool = False,
    stood_down: bool = False,
    title: str = "地震",
) -> uuid.UUID:
    """An incident affecting ``communities``, written through the models."""
    now = clock.now()
    incident = Incident(
        title=title, hazard="earthquake", category="natural_disaster", level=2,
        mode="live_drill" if drill else "real", speedup=1.0, is_drill=drill,
        status="stood_down" if stood_down else "active",
        area_path=communities[0].area_path.rsplit("/", 2)[0] + "/",
        declared_at=now - timedelta(hours=1), updated_at=now,
        stood_down_at=now if stood_down else None,
    )  # fmt: skip
    session.add(incident)
    await session.flush()
    rows = [
        {"incident_id": incident.id, "area_id": c.id, "area_path": c.area_path,
         "role": "affected", "opened_at": now}
        for c in communities
    ]  # fmt: skip
    await session.execute(insert(IncidentArea), rows)
    return incident.id


async def _household(
    session: AsyncSession, community: Area, lon: float, lat: float, members: dict[str, list[str]]
) -> uuid.UUID:
    data = HouseholdCreate(
        address=f"{community.name} 1 号", lon=lon, lat=lat, community_code=community.code,
        members=[PersonCreate(name=n, tags=t) for n, t in members.items()], contact_index=0,
    )  # fmt: skip
    (hid,) = await create_households(session=session, principal=SYSTEM, rows=[data])
    return hid


async def user(
    session: AsyncSession,
    name: str,
    role: Role,
    area: Area | None,
    *,
    household_id: uuid.UUID | None = None,
    grid_codes: tuple[str, ...] = (),
    can_read_personal: bool = False,
) -> tuple[Principal, dict[str, str]]:
    """A real user with a token: its principal (as the API sees it) and bearer header."""
    account = await auth_service.create_user(
        session=session, username=name, display_name=name, role=role,
        area_code=area.code if area else None, grid_codes=grid_codes,
        can_read_personal=can_read_personal,
    )  # fmt: skip
    if household_id is not None:
        await session.execute(
            update(User).where(User.id == account.id).values(household_id=household_id)
        )
    issued = await auth_service.issue_token(session=session, user=account, ttl=timedelta(hours=1))
    principal = await auth_service.authenticate(session=session, token=issued.token)
    return principal, {"Authorization": f"Bearer {issued.token}"}


async def build_world(session: AsyncSession) -> World:
    tc = await two_counties(session)
    ta, tb = tc.township_a, tc.township_b
    specs = {
        "A1": (ta, "100101", (99.90, 25.60, 99.92, 25.62)),
        "A2": (ta, "100102", (99.92, 25.60, 99.94, 25.62)),
        "A3": (ta, "100103", None),
        "A4": (ta, "100104", (100.00, 25.70, 100.02, 25.72)),
        "B1": (tb, "100101", (100.60, 25.30, 100.62, 25.32)),
    }
    c = {}
    for key, (township, tail, bounds) in specs.items():
        c[key] = await make_area(
            session, code=township.code[:6] + tail, name=f"{key}村", level=AreaLevel.community,
            parent=township, boundary=shape(*bounds) if bounds else None,
        )  # fmt: skip
    grid = await make_grid(
        session, community=c["A1"], code="g1", boundary=shape(99.90, 25.60, 99.91, 25.62)
    )
    h = {
        "h1": await _household(
            session, c["A1"], 99.905, 25.605, {"老甲": ["bedridden"], "小乙": ["infant"]}
        ),
        "h2": await _household(session, c["A2"], 99.93, 25.61, {"丙": []}),
        "h3": await _household(session, c["A3"], 99.95, 25.65, {"丁": ["aged_80_plus"]}),
        "h4": await _household(session, c["A4"], 100.01, 25.71, {"戊": []}),
        "hb": await _household(session, c["B1"], 100.61, 25.31, {"己": []}),
    }
    p = {name: pid for pid, name in await session.execute(select(Person.id, Person.name))}
    await create_items(
        session=session,
        principal=None,
        rows=[
            ItemCreate(code=WATER, name_zh="瓶装水", name_en="Bottled water", base_unit="L",
                       category="water"),
            ItemCreate(code=RICE, name_zh="大米", name_en="Rice", base_unit="kg",
                       category="food"),
        ],
    )  # fmt: skip
    inc = {
        "live": await make_incident(session, [c["A1"], c["A2"], c["A3"]]),
        "drill": await make_incident(session, [c["A1"]], drill=True, title="演练"),
        "down": await make_incident(session, [c["A1"]], stood_down=True, title="已结束"),
        "b": await make_incident(session, [c["B1"]], title="祥云"),
    }
    return World(tc, c, h, p, inc, grid.id)


async def with_users(session: AsyncSession, w: World) -> World:
    """Add the usual cast: admin, coordinators of A and B, grid worker, contacts, others."""
    a1 = w.c["A1"]
    w.users = {
        "admin": await user(session, "admin", Role.admin, None),
        "coord_a": await user(session, "coord-a", Role.coordinator, w.tc.county_a),
        "coord_b": await user(session, "coord-b", Role.coordinator, w.tc.county_b),
        "grid": await user(session, "grid-g1", Role.grid_worker, a1, grid_codes=("g1",)),
        "contact1": await user(
            session, "contact-h1", Role.household_contact, a1, household_id=w.h["h1"]
        ),
        "contact2": await user(
            session, "contact-h2", Role.household_contact, w.c["A2"], household_id=w.h["h2"]
        ),
        "auditor": await user(session, "auditor-a", Role.auditor, w.tc.county_a),
        "volunteer": await user(session, "vol-a", Role.volunteer, w.tc.county_a),
    }
    return w


async def counts(session: AsyncSession) -> tuple[int, int, int]:
    """(needs, need items, outbox events): for "nothing written" checks."""
    out = []
    for model in (Need, NeedItem, OutboxEvent):
        out.append(int(await session.scalar(select(func.count()).select_from(model)) or 0))
    return out[0], out[1], out[2]


async def last_event(session: AsyncSession) -> Event:
    """The newest outbox event with its streams (read inside the test's transaction)."""
    row = await session.scalar(select(OutboxEvent).order_by(OutboxEvent.seq.desc()).limit(1))
    assert row is not None
    stmt = select(OutboxStream.stream).where(OutboxStream.seq == row.seq)
    streams = tuple(await session.scalars(stmt))
    return Event(row.seq, row.epoch, row.type, row.created_at, row.payload, streams)
