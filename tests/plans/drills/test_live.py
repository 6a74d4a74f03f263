"""A live drill on a live database: drill rows are marked, real lots are never touched."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from core.db import Database
from core.demo.load import load_demo
from core.incidents.models import Incident
from core.incidents.need_models import Need
from core.migrate import upgrade
from core.stock.models import Lot, Move
from plans.chain_models import HouseholdCheckin
from plans.demo import load_demo_plans
from plans.drills.live import run_live
from tests.plans.drills.drill_world import tiny


async def _real_lots(db: Database) -> list[tuple]:
    async with db.reader() as session:
        rows = await session.execute(
            select(Lot.id, Lot.on_hand, Lot.reserved, Lot.updated_at)
            .where(Lot.is_drill.is_(False))
            .order_by(Lot.id)
        )
        return [tuple(r) for r in rows]


async def test_a_live_drill_leaves_real_lots_unchanged(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/live.sqlite")
    await upgrade(db)
    await load_demo(db, seed=3, households=150, volunteers=60, token_ttl=timedelta(hours=1),
                    extra_loaders={"plans": load_demo_plans})  # fmt: skip
    real = await _real_lots(db)
    scenario = tiny(duration_minutes=60, tick_seconds=60)
    incident_id = await run_live(scenario, speed=1000, database=db, match=True)
    assert await _real_lots(db) == real
    async with db.reader() as session:
        incident = await session.get_one(Incident, incident_id)
        assert (incident.mode, incident.is_drill, incident.speedup) == ("live_drill", True, 1000)
        needs = dict(list(await session.execute(
            select(Need.is_drill, func.count()).where(Need.incident_id == incident_id)
            .group_by(Need.is_drill)
        )))  # fmt: skip
        assert needs.get(True, 0) > 0 and False not in needs
        checkins = await session.scalar(
            select(func.count()).where(HouseholdCheckin.incident_id == incident_id,
                                       HouseholdCheckin.is_drill.is_(False))
        )  # fmt: skip
        assert checkins == 0
        shadow_moves = await session.scalar(
            select(func.count()).select_from(Move).join(Lot, Lot.id == Move.lot_id).where(
                Lot.drill_incident_id == incident_id, Move.kind.in_(("reserve", "issue")))
        )  # fmt: skip
        assert shadow_moves > 0  # the drill drew on its shadow stock
    await db.dispose()
