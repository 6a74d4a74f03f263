"""A batch's roster comes from the cached volunteer rows: it follows every change exactly,
deletes included, on both engines."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import delete, update

from core import clock
from core.db import Database
from core.incidents.match_volunteers import load_volunteers
from core.registry.volunteers.models import Volunteer
from tests.core.incidents.match_world import match_world, today_plus, volunteer


async def _eligible(db: Database, covered: list[str], pins: frozenset[uuid.UUID] = frozenset()
                    ) -> set[uuid.UUID]:  # fmt: skip
    async with db.reader() as r:
        return set(await load_volunteers(r, False, covered, set(pins), clock.now()))


async def _change(db: Database, vid: uuid.UUID, **values: object) -> None:
    async with db.transaction() as s:
        await s.execute(update(Volunteer).where(Volunteer.id == vid)
                        .values(updated_at=clock.now(), **values))  # fmt: skip


async def test_the_roster_follows_status_insurance_area_schedule_pins_and_deletes(committed):
    async with committed.transaction() as s:
        w = await match_world(s)
        on = await volunteer(s, w, name="在岗")
        off = await volunteer(s, w, status="inactive", name="休息")
        lapsed = await volunteer(s, w, insurance=today_plus(-1), name="保险过期")
        away = await volunteer(s, w, area="C3", name="外村")
        covered = [w.c["C1"].area_path, w.c["C2"].area_path]
    assert await _eligible(committed, covered) == {on}
    assert await _eligible(committed, covered, frozenset({away})) == {on, away}  # pinned
    await _change(committed, off, status="active")
    await _change(committed, lapsed, insurance_valid_until=today_plus(30))
    await _change(committed, on, availability={"always": False})  # off duty by schedule
    assert await _eligible(committed, covered) == {off, lapsed}
    await _change(committed, away, area_path=w.c["C2"].area_path)  # moved into the area
    async with committed.transaction() as s:
        await s.execute(delete(Volunteer).where(Volunteer.id == lapsed))
        new = await volunteer(s, w, name="新来的")
    assert await _eligible(committed, covered) == {off, away, new}
    async with committed.transaction() as s:
        await s.execute(delete(Volunteer).where(Volunteer.id == new))  # only a delete
    assert await _eligible(committed, covered) == {off, away}


async def test_a_volunteer_stamped_long_before_commit_still_joins_the_roster(committed):
    """A long import stamps its rows when it starts: older than the last refresh, yet
    the count differs, so the cache reads everything again."""
    async with committed.transaction() as s:
        w = await match_world(s)
        first = await volunteer(s, w, name="先到")
        covered = [w.c["C1"].area_path]
    assert await _eligible(committed, covered) == {first}
    async with committed.transaction() as s:
        late = await volunteer(s, w, name="晚到")
        await s.execute(update(Volunteer).where(Volunteer.id == late)
                        .values(updated_at=clock.now() - timedelta(hours=1)))  # fmt: skip
    assert await _eligible(committed, covered) == {first, late}
