"""A county (30,000 households): activation is one batch of a handful of statements, and so
are a full report batch and the deadline that makes the rest overdue."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import timedelta

from sqlalchemy import event, func, insert, select

from core import clock
from core.auth.roles import SYSTEM
from core.ids import uuid7
from core.incidents.need_models import Need
from core.registry.areas.models import AreaLevel
from core.registry.households.models import Household, Person, PersonTag
from plans.chain import open_checkins
from plans.chain_models import HouseholdCheckin, PersonCheckin
from plans.chain_schemas import MAX_REPORTS, HouseholdReport
from plans.overdue import mark_overdue
from plans.reports import report_households
from tests.factories import make_area, two_counties
from tests.plans.chain_world import START, count, make_incident

COMMUNITIES, PER_COMMUNITY = 60, 500  # 30,000 households
TAGS = ("aged_80_plus", "living_alone", "infant", "disabled", "bedridden")


async def _county(session) -> list:
    """60 communities of 500 households (1–3 members each; every 7th person tagged)."""
    tc = await two_counties(session)
    communities = [
        await make_area(
            session,
            code=f"532922100{i + 1:03d}",
            name=f"村{i}",
            level=AreaLevel.community,
            parent=tc.township_a,
        )
        for i in range(COMMUNITIES)
    ]
    now = clock.now()
    households, persons, tags = [], [], []
    for n in range(COMMUNITIES * PER_COMMUNITY):
        area = communities[n // PER_COMMUNITY]
        hid = uuid7()
        households.append(
            {
                "id": hid,
                "address": f"{n} 号",
                "community_id": area.id,
                "area_path": area.area_path,
                "lon": 99.9 + n * 1e-6,
                "lat": 25.6,
                "created_at": now,
                "updated_at": now,
            }
        )
        for k in range(1 + n % 3):
            pid = uuid7()
            persons.append(
                {
                    "id": pid,
                    "household_id": hid,
                    "area_path": area.area_path,
                    "name": f"居民{n}-{k}",
                    "languages": [],
                    "created_at": now,
                    "updated_at": now,
                }
            )
            if len(persons) % 7 == 0:
                tags.append({"person_id": pid, "tag": TAGS[len(persons) % len(TAGS)]})
    await session.execute(insert(Household), households)
    await session.execute(insert(Person), persons)
    await session.execute(insert(PersonTag), tags)
    return communities


@contextlib.contextmanager
def counting(session) -> Iterator[list[str]]:
    """The SQL statements sent while the block runs (an executemany counts once)."""
    statements: list[str] = []

    def spy(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    engine = session.bind.engine.sync_engine
    event.listen(engine, "before_cursor_execute", spy)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", spy)


async def test_a_county_opens_reports_and_goes_overdue_in_batches(session) -> None:
    with clock.use_clock(clock.ManualClock(START)):
        communities = await _county(session)
        incident_id = await make_incident(session, communities)
        people = await count(session, Person)
        with counting(session) as statements:
            made = await open_checkins(
                session=session,
                incident_id=incident_id,
                hazard="earthquake",
                community_ids=[c.id for c in communities],
            )
    assert made == COMMUNITIES * PER_COMMUNITY
    assert await count(session, HouseholdCheckin) == made
    assert await count(session, PersonCheckin) == people
    vulnerable = await session.scalar(
        select(func.count()).where(PersonCheckin.vulnerable.is_(True))
    )
    assert vulnerable == await count(session, PersonTag)
    assert len(statements) <= 15, statements  # 11 on PostgreSQL, 12 on SQLite

    # A full report batch (500 households), then every deadline passes for the rest.
    first = select(Household.id).order_by(Household.id).limit(MAX_REPORTS).scalar_subquery()
    members = await session.execute(
        select(Person.household_id, Person.id).where(Person.household_id.in_(first))
    )
    by_household: dict = {}
    for hid, pid in members:
        by_household.setdefault(hid, []).append({"person_id": pid, "status": "safe"})
    batch = [HouseholdReport(household_id=hid, members=ms) for hid, ms in by_household.items()]
    with clock.use_clock(clock.ManualClock(START + timedelta(minutes=5))), counting(session) as sql:
        result = await report_households(
            session=session, principal=SYSTEM, incident_id=incident_id, reports=batch
        )
    assert len(batch) == MAX_REPORTS
    assert {o.status for o in result.households} == {"confirmed"}
    assert len(sql) <= 20, sql
    with clock.use_clock(clock.ManualClock(START + timedelta(hours=5))), counting(session) as sql:
        raised = await mark_overdue(
            session=session, incident_id=incident_id, due=START + timedelta(hours=4)
        )
    assert raised == made - len(batch) == await count(session, Need)
    # ~59,000 events (need.created, checkin.overdue) go out through emit_many, whose INSERT …
    # RETURNING SQLAlchemy sends in pages of rows on PostgreSQL; every other statement is
    # one per batch (the needs' own lookups are chunked by 5,000 ids).
    mine = [x for x in sql if not x.startswith("INSERT INTO outbox (")]
    assert len(mine) <= 40, mine
