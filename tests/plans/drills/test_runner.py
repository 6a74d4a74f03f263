"""The isolated runner: same seed, same KPIs; the source database is only read."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select, text

from core.config import get_settings
from core.db import Database
from core.demo.load import load_demo
from core.migrate import upgrade
from plans.demo import load_demo_plans
from plans.drills.runner import DrillResult, run_drill
from tests.plans.drills.drill_world import (
    TINY,
    empty_postgres,
    tiny,
    without_ids,
    written_rows,
)


@pytest.fixture(scope="module")
def first_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The first run's database, kept to compare with a second run's."""
    return f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('first')}/drill.sqlite"


@pytest.fixture(scope="module")
def first_run(first_url: str) -> DrillResult:
    return asyncio.run(run_drill(tiny(), database_url=first_url))


async def test_the_drill_runs_through_the_services(first_run: DrillResult) -> None:
    k = first_run.kpis
    assert k["incident"]["mode"] == "drill"
    assert k["chain"]["households"] > 0 and k["chain"]["households_confirmed"] > 0
    assert k["needs"]["raised"] > 0 and k["needs"]["met"] > 0
    assert k["dispatch"]["offers"] > 0 and k["dispatch"]["done"] > 0
    assert first_run.rows["person_checkin"] == k["chain"]["persons"]
    assert first_run.meta["plan_versions"][0]["plan"].endswith("地震灾害慈善应急预案")


async def test_the_simulation_time_is_split_by_part_of_a_tick(first_run: DrillResult) -> None:
    parts = first_run.parts
    top = ("injects", "volunteers", "timers", "reports", "pacing", "matching", "offers")
    assert set(parts) == {*top, "matching.load", "matching.solve", "matching.write"}
    assert all(v >= 0 for v in parts.values()) and parts["matching.load"] > 0
    assert sum(parts[p] for p in top) <= first_run.phases["simulate"]
    inner = sum(parts[f"matching.{p}"] for p in ("load", "solve", "write"))
    assert inner <= parts["matching"]


async def test_the_same_seed_writes_the_same_rows_and_kpis(
    first_run: DrillResult, first_url: str, tmp_path: Path
) -> None:
    again_url = f"sqlite+aiosqlite:///{tmp_path}/again.sqlite"
    again = await run_drill(tiny(), database_url=again_url)
    assert again.kpis == first_run.kpis and again.counts == first_run.counts
    first_rows = await written_rows(first_url)
    assert first_rows["need"] and first_rows["assignment"] and first_rows["person_checkin"]
    assert await written_rows(again_url) == first_rows  # the same ids too: ties fall alike
    other = await run_drill(tiny(seed=6))
    assert without_ids(other.kpis) != without_ids(first_run.kpis)


async def test_the_source_database_is_only_read(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/live.sqlite"
    live = Database(url)
    await upgrade(live)
    await load_demo(live, seed=2, households=150, volunteers=30, token_ttl=timedelta(hours=1),
                    extra_loaders={"plans": load_demo_plans})  # fmt: skip
    before = await written_rows(url, varying={})  # every column of every row
    result = await run_drill(tiny(), source_db=url)
    assert result.counts["loaded_household"] == len(before["household"])
    assert result.kpis["chain"]["households"] > 0 and result.kpis["needs"]["raised"] > 0
    assert await written_rows(url, varying={}) == before
    with pytest.raises(ValueError, match="source database"):
        await run_drill(tiny(), source_db=url, database_url=url)
    with pytest.raises(ValueError, match="configured live database"):
        await run_drill(tiny(), database_url=get_settings().database_url)
    with pytest.raises(ValueError, match="--source-db"):
        await run_drill(tiny(population={"source": "registry"}))
    assert await written_rows(url, varying={}) == before
    await live.dispose()


async def test_a_drill_on_a_copied_registry_keeps_its_stock_ledger_balanced(
    tmp_path: Path,
) -> None:
    """Copied lots arrive with their receive rows: after the drill, every lot's balance
    and reservation shares still equal its ledger."""
    from core.stock.audit import _lot_shares, _lots
    from core.stock.models import Lot, Move

    url = f"sqlite+aiosqlite:///{tmp_path}/live.sqlite"
    live = Database(url)
    await upgrade(live)
    await load_demo(live, seed=2, households=150, volunteers=30, token_ttl=timedelta(hours=1),
                    extra_loaders={"plans": load_demo_plans})  # fmt: skip
    await live.dispose()
    drill_url = f"sqlite+aiosqlite:///{tmp_path}/drill.sqlite"
    result = await run_drill(tiny(), source_db=url, database_url=drill_url)
    assert result.counts["loaded_stock_lot"] > 0
    drill = Database(drill_url)
    async with drill.reader() as s:
        every_lot = Lot.is_drill.is_(True)
        assert await _lots(s, every_lot) == [] and await _lot_shares(s, every_lot) == []
        kinds = set(await s.scalars(select(Move.kind).distinct()))
        assert {"receive", "reserve"} <= kinds
    await drill.dispose()


async def test_a_drill_runs_on_postgresql_with_the_same_kpis_for_the_same_seed() -> None:
    url = await empty_postgres()
    result = await run_drill(tiny(), database_url=url)
    assert result.kpis["dispatch"]["done"] > 0
    with pytest.raises(ValueError, match="must be empty"):
        await run_drill(tiny(), database_url=url)
    first_rows = await written_rows(url)
    again = await run_drill(tiny(), database_url=await empty_postgres())
    assert again.kpis == result.kpis and again.counts == result.counts
    assert first_rows["person_checkin"] and await written_rows(url) == first_rows


async def test_an_isolated_drill_commits_without_waiting_for_the_disk(monkeypatch) -> None:
    """Its database is scratch (a rerun rebuilds it): SQLite's synchronous=OFF, not the
    NORMAL every other database keeps."""
    from plans.drills import runner

    async def synchronous(db: Database, *_rest: object) -> int:  # in place of the run
        async with db.transaction() as s:
            return await s.scalar(text("PRAGMA synchronous"))

    monkeypatch.setattr(runner, "_run", synchronous)
    assert await run_drill(tiny()) == 0


def test_drill_run_writes_the_report(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from core.cli import app

    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(yaml.safe_dump(TINY, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["drill", "run", str(scenario), "--report", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["rows_written"] > 0 and summary["plan_versions"]
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["meta"]["seed"] == TINY["seed"]
    assert report["meta"]["plan_versions"] == summary["plan_versions"]
    assert (out / "report.html").stat().st_size > 0
