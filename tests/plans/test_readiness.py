"""Plan readiness: hand-counted days of supply, volunteers and shelters; scope; the demo
shows real gaps; `huzhu plan readiness` prints them and --json parses."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner

from core import clock
from core.auth.roles import SYSTEM
from core.cli import app as cli_app
from core.db import Database
from core.demo.load import load_demo
from core.errors import Conflict
from core.stock.models import Lot, Move, StockMinimum
from plans import service
from plans.cli_commands import plan_readiness
from plans.demo import DEMO_COUNTY, load_demo_plans
from plans.models import Plan
from plans.readiness import plan_version_for, readiness
from tests.core.test_cli import sqlite_env  # noqa: F401  (fixture)
from tests.plans.readiness_world import START, ReadyWorld, make_ready_world
from tests.plans.world import API

RUN = CliRunner()
COUNTY_QUAKE = (Plan.hazard == "earthquake", Plan.area_path.endswith(f"{DEMO_COUNTY}/"))


@pytest.fixture
def today() -> Iterator[clock.ManualClock]:
    with clock.use_clock(clock.ManualClock(START)) as c:
        yield c  # type: ignore[misc]


@pytest.fixture
async def rw(session: AsyncSession, today) -> ReadyWorld:
    world = await make_ready_world(session)
    await session.commit()  # releases the test savepoint: failed requests roll back only themselves
    return world


def _pick(row: dict, *keys: str) -> tuple:
    return tuple(row[k] for k in keys)


def _by(rows: list[dict], key: str) -> dict[str, dict]:
    return {r[key]: r for r in rows}


async def test_hand_counted_readiness(api: httpx.AsyncClient, rw: ReadyWorld) -> None:
    got = await api.get(f"{API}/plans/{rw.plan_id}/readiness", headers=rw.pw.h["coord_a"])
    assert got.status_code == 200, got.text
    r = got.json()
    assert (r["version_id"], r["as_of"], r["supply_days"]) == (str(rw.version_id), "2026-11-23", 3)
    pop = r["population"]
    assert (pop["persons"], pop["households"], pop["vulnerable"]) == (8, 3, 5)
    tags = {k: v for k, v in pop["by_tag"].items() if v}
    assert tags == {"aged_80_plus": 2, "living_alone": 1, "infant": 1, "disabled": 1,
                    "chronically_ill": 1}  # fmt: skip
    assert "老张" not in got.text and "aged_80_plus" in pop["by_tag"]  # counts, no names
    m = _by(r["materials"], "item_code")
    cols = ("available", "need", "days_of_supply", "coverage", "gap", "shortfall")
    # water: 40 − 10 reserved + 6 (expires today) + 20 = 56 of 3 L · 8 persons · 3 days
    assert _pick(m["WATER-BOTTLED-L"], *cols) == (56, 72, 2.33, None, True, 16)
    # milk: nothing in stock against ceil(0.3 · 8 · 3 = 7.2)
    assert _pick(m["FOOD-MILK-UHT"], *cols) == (0, 8, 0.0, None, True, 8)
    assert _pick(m["BED-QUILT"], *cols) == (9, 8, None, 1.125, False, 0)
    # tents: 2 of ceil(0.34 · 8 = 2.72)
    assert _pick(m["SHELTER-TENT-12M2"], *cols) == (2, 3, None, 0.735, True, 1)
    v = _by(r["volunteers"], "skill")
    cols = ("active", "counted", "required", "gap", "shortfall")
    assert set(v) == {"first_aid", "logistics", "medical"}
    assert _pick(v["first_aid"], *cols) == (4, 2, 3, True, 1)  # ceil(300 · 8 / 1000 = 2.4)
    assert _pick(v["logistics"], *cols) == (1, 1, 1, False, 0)
    assert _pick(v["medical"], *cols) == (0, 0, 1, True, 1)
    assert r["shelters"] == {"shelters": 2, "capacity": 5, "need": 8, "gap": True, "shortfall": 3}
    gaps = {(g["kind"], g["what"]): (g["have"], g["need"], g["shortfall"]) for g in r["gaps"]}
    assert gaps == {
        ("material", "WATER-BOTTLED-L"): (56, 72, 16),
        ("material", "FOOD-MILK-UHT"): (0, 8, 8),
        ("material", "SHELTER-TENT-12M2"): (2, 3, 1),
        ("volunteers", "first_aid"): (2, 3, 1),
        ("volunteers", "medical"): (0, 1, 1),
        ("shelter", "shelter_capacity"): (5, 8, 3),
    }
    water_gap = next(g for g in r["gaps"] if g["what"] == "WATER-BOTTLED-L")
    assert "2.33天" in water_gap["message_zh"] and "缺16升" in water_gap["message_zh"]
    assert "2.33 days of supply" in water_gap["message_en"]


async def test_expiry_and_drill_move_the_figures(
    session: AsyncSession, rw: ReadyWorld, today: clock.ManualClock
) -> None:
    """Tomorrow the 6 L expiring today no longer count; a drill lot counts once it is not."""

    async def water() -> int:
        plan, version = await plan_version_for(session=session, principal=SYSTEM,
                                               plan_id=rw.plan_id)  # fmt: skip
        report = await readiness(session=session, plan=plan, version=version)
        return next(m.available for m in report.materials if m.item_code == "WATER-BOTTLED-L")

    assert await water() == 56
    today.advance(timedelta(days=1))
    assert await water() == 50
    await session.execute(update(Lot).where(Lot.is_drill.is_(True)).values(is_drill=False))
    assert await water() == 550  # the drill flag was all that kept those 500 L out


async def test_scope_versions_and_no_approved_version(
    api: httpx.AsyncClient, session: AsyncSession, rw: ReadyWorld
) -> None:
    url = f"{API}/plans/{rw.plan_id}/readiness"
    for who in ("coord_b", "coord_seat"):
        assert (await api.get(url, headers=rw.pw.h[who])).status_code == 404
    pinned = await api.get(url, params={"version": str(rw.version_id)}, headers=rw.pw.h["admin"])
    assert pinned.status_code == 200 and pinned.json()["version"] == 1
    other, v1 = await service.create_plan(
        session=session, principal=None, area_code=rw.pw.seat.code, hazard="flood"
    )
    await session.commit()
    wrong = await api.get(url, params={"version": str(v1.id)}, headers=rw.pw.h["admin"])
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["loc"] == ["query", "version"]
    draft_only = await api.get(f"{API}/plans/{other.id}/readiness", headers=rw.pw.h["coord_a"])
    assert draft_only.status_code == 409
    hidden = f"{API}/plans/{other.id}/readiness?version={v1.id}"
    assert (await api.get(hidden, headers=rw.pw.h["vol_a"])).status_code == 404  # a draft
    assert (await api.get(hidden, headers=rw.pw.h["coord_a"])).status_code == 200
    with pytest.raises(Conflict):
        await plan_version_for(session=session, principal=SYSTEM, plan_id=other.id)


async def test_cli_function_takes_a_plan_or_a_version(
    session: AsyncSession, rw: ReadyWorld
) -> None:
    by_plan = await plan_readiness(session=session, ref=rw.plan_id)
    by_version = await plan_readiness(session=session, ref=rw.version_id)
    assert by_plan == by_version and len(by_plan["gaps"]) == 6


async def test_the_demo_shows_gaps_and_sufficient_items(committed: Database) -> None:
    report = await load_demo(committed, seed=4, households=400, volunteers=40,
                             token_ttl=timedelta(hours=1),
                             extra_loaders={"plans": load_demo_plans})  # fmt: skip
    assert report.counts["lots"] > 50
    async with committed.reader() as s:
        plan_id = await s.scalar(select(Plan.id).where(*COUNTY_QUAKE))
        assert plan_id is not None
        plan, version = await plan_version_for(session=s, principal=SYSTEM, plan_id=plan_id)
        r = await readiness(session=s, plan=plan, version=version)
        day = clock.local_today()
        expiring = await s.scalar(
            select(Lot.id).where(Lot.expires_on.between(day, day + timedelta(days=30))).limit(1)
        )
        minimums = (await s.execute(select(StockMinimum.depot_id, StockMinimum.item_id,
                                           StockMinimum.minimum))).all()  # fmt: skip
        usable = or_(Lot.expires_on.is_(None), Lot.expires_on >= day)
        free = dict(((d, i), int(n)) for d, i, n in await s.execute(
            select(Lot.depot_id, Lot.item_id, func.sum(Lot.on_hand - Lot.reserved))
            .where(usable, Lot.is_drill.is_(False)).group_by(Lot.depot_id, Lot.item_id)
        ))  # fmt: skip
        receipts = await s.scalar(select(Move.id).where(Move.kind == "receive").limit(1))
    materials = _by([m.model_dump() for m in r.materials], "item_code")
    assert r.population.persons > 1000
    water = materials["WATER-BOTTLED-L"]
    assert water["gap"] and water["days_of_supply"] < 3
    assert not materials["BED-QUILT"]["gap"] and not materials["MED-FIRST-AID-KIT"]["gap"]
    assert any(g.what == "WATER-BOTTLED-L" for g in r.gaps)
    assert expiring is not None and receipts is not None
    assert any(free.get((d, i), 0) < n for d, i, n in minimums)  # some depot below its minimum


def test_cli_prints_the_gaps_and_json(sqlite_env, tmp_path) -> None:  # noqa: F811
    assert RUN.invoke(cli_app, ["db", "upgrade"]).exit_code == 0
    loaded = RUN.invoke(cli_app, ["demo", "--households", "200", "--volunteers", "20"])
    assert loaded.exit_code == 0, loaded.output
    assert "lots" in loaded.output

    async def county_plan() -> str:
        db = Database(sqlite_env)
        try:
            async with db.reader() as s:
                return str(await s.scalar(select(Plan.id).where(*COUNTY_QUAKE)))
        finally:
            await db.dispose()

    plan_id = asyncio.run(county_plan())
    table = RUN.invoke(cli_app, ["plan", "readiness", plan_id])
    assert table.exit_code == 0, table.output
    assert "WATER-BOTTLED-L" in table.output and "• 瓶装饮用水可供" in table.output
    data = json.loads(RUN.invoke(cli_app, ["plan", "readiness", plan_id, "--json"]).output)
    assert data["plan_id"] == plan_id and any(g["kind"] == "material" for g in data["gaps"])
    missing = RUN.invoke(cli_app, ["plan", "readiness", "01900000-0000-7000-8000-000000000000"])
    assert missing.exit_code == 1 and "no plan or plan version" in missing.output
