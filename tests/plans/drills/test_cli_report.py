"""``huzhu drill report INCIDENT_ID``: the report of an incident already in the configured
database (here the tiny real incident of :mod:`tests.plans.drills.kpi_world`)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from core.config import get_settings
from core.db import Database
from core.migrate import upgrade
from plans.drills.cli_report import report
from tests.plans.drills.kpi_world import play

app = typer.Typer()
app.command()(report)
UNTIL = "2026-11-23T12:00:00Z"  # 240 minutes after the declaration


async def _played(url: str) -> uuid.UUID:
    db = Database(url)
    try:
        await upgrade(db)
        async with db.transaction() as session:
            return (await play(session, db)).incident
    finally:
        await db.dispose()


@pytest.fixture
def configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[uuid.UUID]:
    url = f"sqlite+aiosqlite:///{tmp_path}/huzhu.db"
    incident = asyncio.run(_played(url))
    monkeypatch.setenv("HUZHU_DATABASE_URL", url)
    get_settings.cache_clear()
    yield incident
    get_settings.cache_clear()


def test_report_of_an_incident_in_the_database(configured, tmp_path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(app, [str(configured), "--report", str(out), "--until", UNTIL])
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert doc["meta"] == {"source": "database", "incident_id": str(configured)}
    assert doc["kpis"]["incident"]["mode"] == "real" and doc["kpis"]["incident"]["minutes"] == 240
    assert doc["kpis"]["chain"]["vulnerable_minutes"]["p50"] == 45.0
    assert (out / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_bad_arguments(configured, tmp_path) -> None:
    runner, out = CliRunner(), str(tmp_path / "out")
    result = runner.invoke(app, ["not-an-id", "--report", out])
    assert result.exit_code == 2 and "INCIDENT_ID: 'not-an-id' is not a UUID" in result.stderr
    result = runner.invoke(app, [str(configured), "--report", out, "--until", "noon"])
    assert result.exit_code == 2 and "--until: 'noon' is not an ISO 8601 time" in result.stderr
    result = runner.invoke(app, [str(uuid.uuid4()), "--report", out])
    assert result.exit_code == 1 and "not found" in result.stderr
    assert not Path(out).exists()
