"""Declaring over a whole county is a handful of statements, whatever its size."""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest
from shapely.geometry import MultiPolygon, box, mapping
from sqlalchemy import event, func, insert, select

from core import clock
from core.incidents import hooks
from core.incidents.models import IncidentArea
from core.incidents.schemas import IncidentCreate
from core.incidents.service import declare_incident
from core.registry.areas.models import Area, AreaLevel
from tests.core.incidents.world import make_households
from tests.factories import two_counties

WITH_BOUNDARY, WITHOUT, HOUSEHOLDS = 200, 50, 30_000
MAX_STATEMENTS = 12
COUNTY = (99.6, 25.4, 100.2, 25.9)  # 漾濞 (county A of two_counties)


async def _generated_county(session, county: Area) -> None:  # type: ignore[no-untyped-def]
    """10 townships; 200 communities on a 20 × 10 grid of 0.025° boxes; 50 without boundary
    holding 30,000 households scattered over the county."""
    now = clock.now()
    rows: list[dict[str, Any]] = []
    townships = []
    for t in range(10):
        code = f"{county.code[:6]}{200 + t:03d}000"
        townships.append((uuid.uuid4(), code, county.area_path + code + "/"))
        rows.append({"id": townships[-1][0], "code": code, "name": f"生成镇{t}", "level": 4,
                     "parent_id": county.id, "area_path": townships[-1][2],
                     "created_at": now, "updated_at": now})  # fmt: skip
    communities = []
    for n in range(WITH_BOUNDARY + WITHOUT):
        t_id, t_code, t_path = townships[n % 10]
        code = f"{t_code[:9]}{n // 10 + 1:03d}"
        shape = None
        if n < WITH_BOUNDARY:
            x, y = COUNTY[0] + 0.025 * (n % 20) + 0.05, COUNTY[1] + 0.025 * (n // 20) + 0.1
            shape = MultiPolygon([box(x, y, x + 0.025, y + 0.025)])
        area = Area(
            id=uuid.uuid4(),
            code=code,
            name=f"生成村{n}",
            level=int(AreaLevel.community),
            parent_id=t_id,
            area_path=t_path + code + "/",
            created_at=now,
            updated_at=now,
        )
        area.set_boundary(shape)
        communities.append(area)
    await session.execute(insert(Area), rows)
    session.add_all(communities)
    await session.flush()
    rng = random.Random(4)
    bare = communities[WITH_BOUNDARY:]
    for i, community in enumerate(bare):
        per = HOUSEHOLDS // WITHOUT
        points = [(rng.uniform(99.65, 100.15), rng.uniform(25.45, 25.85)) for _ in range(per)]
        if i == 0:
            points = [(99.61, 25.41)] * per  # all in the corner: only the county polygon has them
        await make_households(session, community, points)


@pytest.fixture
def no_hooks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Measure this module's statements only (the plans hook counts its own)."""
    monkeypatch.setattr(hooks, "_HOOKS", [])


@pytest.mark.parametrize(
    ("shape", "touched"),
    [
        ({"area": dict(mapping(box(*COUNTY)))}, WITH_BOUNDARY + WITHOUT),
        ({"centre": {"lon": 99.9, "lat": 25.65}, "radius_m": 10_000}, None),
    ],
)
async def test_declaring_over_a_county_is_a_handful_of_statements(
    database, session, no_hooks, shape, touched
) -> None:
    world = await two_counties(session)
    await _generated_county(session, world.county_a)
    data = IncidentCreate(title="漾濞6.4级地震", hazard="earthquake", level=1, **shape)
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_: Any) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", count)
    try:
        incident = await declare_incident(session=session, principal=None, data=data)
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", count)
    assert len(statements) <= MAX_STATEMENTS, "\n".join(statements)
    rows = await session.scalar(select(func.count()).where(IncidentArea.incident_id == incident.id))
    if touched is not None:
        assert rows == touched
        assert incident.area_path == world.county_a.area_path
    else:  # every bare community but the one in the corner, and the boxes within 10 km
        assert WITHOUT - 1 < rows < WITH_BOUNDARY + WITHOUT - 1
