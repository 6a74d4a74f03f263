"""Personal data read through a real GET request is logged, committed, by the read path."""

from __future__ import annotations

import httpx
from sqlalchemy import event, func, select

from core.app import create_app
from core.auth.models import PersonalDataAccess
from core.auth.roles import Role
from core.config import Settings
from core.db import Database
from core.registry.households.create import create_households
from core.registry.households.schemas import HouseholdCreate, PersonCreate
from tests.conftest import bearer_for
from tests.factories import make_area, two_counties


async def test_get_logs_personal_reads_without_writing_in_the_read(committed: Database) -> None:
    async with committed.transaction() as s:
        world = await two_counties(s)
        await make_area(s, code="532922100001", name="城中社区", level=5, parent=world.township_a)
        (household_id,) = await create_households(
            session=s,
            principal=None,
            rows=[
                HouseholdCreate(
                    address="城中社区1组1号", lon=99.95, lat=25.67, community_code="532922100001",
                    members=[PersonCreate(name="字秀英", birth_year=1940, tags=["living_alone"])],
                )
            ],
        )  # fmt: skip
        coord = await bearer_for(
            s, role=Role.coordinator, area_code=world.county_a.code, username="coord"
        )
        auditor = await bearer_for(
            s, role=Role.auditor, area_code=world.county_a.code, username="audit"
        )
    app = create_app(Settings(_env_file=None), database=committed, background=False)
    transport = httpx.ASGITransport(app=app)
    writes_in_reads: list[str] = []

    def spy(conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        if conn.get_execution_options().get("huzhu_readonly") and statement.lstrip().upper()[
            :6
        ] in ("INSERT", "UPDATE", "DELETE"):
            writes_in_reads.append(statement)

    event.listen(committed.engine.sync_engine, "before_cursor_execute", spy)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            seen = await client.get(f"/api/v1/households/{household_id}", headers=coord)
            hidden = await client.get(f"/api/v1/households/{household_id}", headers=auditor)
    finally:
        event.remove(committed.engine.sync_engine, "before_cursor_execute", spy)
    assert writes_in_reads == []
    assert seen.status_code == 200 and seen.json()["personal"] is True
    assert hidden.status_code == 200 and hidden.json()["personal"] is False
    async with committed.reader() as s:
        rows = (await s.scalars(select(PersonalDataAccess))).all()
        assert {r.role for r in rows} == {"coordinator"}
        assert {r.subject_kind for r in rows} >= {"household"}
        assert all(r.purpose.startswith("GET /api/v1/households/") for r in rows)
        assert await s.scalar(select(func.count()).select_from(PersonalDataAccess)) == len(rows)
