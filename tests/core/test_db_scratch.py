"""A scratch database (an isolated drill's) commits without waiting for the disk; any
other keeps its durable setting. One contract, on both engines."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from core.db import Database
from tests.conftest import service_url

# PRAGMA synchronous: 0 OFF, 1 NORMAL; PostgreSQL's synchronous_commit: off / on
_SETTING = {"sqlite": ("PRAGMA synchronous", {True: 0, False: 1}),
            "postgresql": ("SHOW synchronous_commit", {True: "off", False: "on"})}  # fmt: skip


def _url(engine: str, tmp_path: Path) -> str:
    if engine == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/scratch.db"
    return service_url("HUZHU_TEST_DATABASE_URL", "PostgreSQL + PostGIS")


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
@pytest.mark.parametrize("scratch", [True, False])
async def test_only_a_scratch_database_commits_without_waiting_for_the_disk(
    engine: str, scratch: bool, tmp_path: Path
) -> None:
    query, expected = _SETTING[engine]
    db = Database(_url(engine, tmp_path), scratch=scratch)
    try:
        for open_session in (db.reader, db.writer):  # every connection, not just the first
            async with open_session() as s:
                assert await s.scalar(text(query)) == expected[scratch]
    finally:
        await db.dispose()
