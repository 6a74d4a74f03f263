"""Simulated volunteers move: a trip starts where the last one ended, and their phones
tell the system where they are."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from sqlalchemy import select

from core.db import Database
from core.incidents.match_models import Assignment
from core.incidents.need_models import Need
from core.registry.volunteers.models import Volunteer
from plans.drills.behaviour import Answers
from plans.drills.injects import Closures
from plans.drills.runner import run_drill
from plans.drills.volunteers import Crew
from tests.plans.drills.drill_world import tiny

START = datetime(2026, 5, 21, 9, 0, tzinfo=UTC)


def _arrival(crew: Crew, row: SimpleNamespace) -> datetime:
    (arrived,) = [at for at, status in crew._day(row, START, "accepted") if status == "arrived"]
    return arrived


def test_a_trip_starts_where_the_volunteer_last_was() -> None:
    crew = Crew(Answers(tiny().volunteers, np.random.default_rng(1)), Closures())
    vid = uuid.uuid4()
    row = SimpleNamespace(volunteer_id=vid, v_lon=99.90, v_lat=25.60, d_lon=None, d_lat=None,
                          n_lon=99.95, n_lat=25.67)  # fmt: skip
    from_home = _arrival(crew, row)
    crew.at[vid] = (99.949, 25.669)  # just finished next door
    from_next_door = _arrival(crew, row)
    assert from_next_door < from_home
    assert (from_home - START).total_seconds() > 10 * 60  # ~9 km at the scenario's speed


async def test_volunteers_report_where_they_arrive(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/drill.sqlite"
    result = await run_drill(tiny(), database_url=url)
    assert result.counts["assignments_arrived"] > 0
    db = Database(url)
    async with db.reader() as s:
        arrived = list(await s.execute(
            select(Assignment.volunteer_id, Need.lon, Need.lat)
            .join(Need, Need.id == Assignment.need_id)
            .where(Assignment.status.in_(("arrived", "done")))
        ))  # fmt: skip
        seen = {v.id: (v.live_lon, v.live_lat) for v in await s.execute(
            select(Volunteer.id, Volunteer.live_lon, Volunteer.live_lat)
            .where(Volunteer.live_at.is_not(None))
        )}  # fmt: skip
    await db.dispose()
    places: dict[uuid.UUID, set[tuple[float, float]]] = {}
    for vid, lon, lat in arrived:
        places.setdefault(vid, set()).add((lon, lat))
    assert set(places) <= set(seen)  # everyone who arrived somewhere shared a position
    last_at_a_need = [v for v in places if seen[v] in places[v]]
    assert len(last_at_a_need) >= len(places) // 2  # the rest were last seen at a depot
