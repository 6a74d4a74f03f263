"""SQLite through aiosqlite's worker thread and on the loop's own thread (an isolated
drill's transport, :mod:`core.db_inloop`): one contract, run on both."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError, OperationalError

from core.db import Database
from core.db_inloop import InLoopConnection

SCHEMA = "CREATE TABLE thing (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)"


@pytest.fixture(params=["thread", "in_loop"])
async def sqlite_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/t.db", in_loop=request.param == "in_loop")
    async with db.transaction() as s:
        await s.execute(text(SCHEMA))
    yield db
    await db.dispose()


async def _names(db: Database) -> list[str]:
    async with db.reader() as s:
        return list(await s.scalars(text("SELECT name FROM thing ORDER BY name")))


async def test_commit_is_visible_and_rollback_is_not(sqlite_db: Database) -> None:
    async with sqlite_db.transaction() as s:
        await s.execute(text("INSERT INTO thing (name) VALUES ('kept')"))
    with pytest.raises(RuntimeError):
        async with sqlite_db.transaction() as s:
            await s.execute(text("INSERT INTO thing (name) VALUES ('rolled back')"))
            raise RuntimeError("abandon")
    assert await _names(sqlite_db) == ["kept"]


async def test_many_rows_in_and_out(sqlite_db: Database) -> None:
    rows = [{"name": f"n{i:04d}"} for i in range(1500)]
    async with sqlite_db.transaction() as s:
        result = await s.execute(text("INSERT INTO thing (name) VALUES (:name)"), rows)
        assert result.rowcount == 1500
    async with sqlite_db.reader() as s:
        streamed = [
            r.name async for r in await s.stream(text("SELECT name FROM thing ORDER BY id"))
        ]
        ones = await s.execute(text("SELECT count(*) FROM thing WHERE name LIKE 'n1%'"))
        assert ones.scalar_one() == 500
    assert streamed == [r["name"] for r in rows]


async def test_constraint_error_is_sqlalchemys_and_writes_nothing(sqlite_db: Database) -> None:
    async with sqlite_db.transaction() as s:
        await s.execute(text("INSERT INTO thing (name) VALUES ('one')"))
    with pytest.raises(IntegrityError, match="UNIQUE"):
        async with sqlite_db.transaction() as s:
            await s.execute(text("INSERT INTO thing (name) VALUES ('two')"))
            await s.execute(text("INSERT INTO thing (name) VALUES ('one')"))
    assert await _names(sqlite_db) == ["one"]
    with pytest.raises(OperationalError, match="no such table"):
        async with sqlite_db.reader() as s:
            await s.execute(text("SELECT * FROM missing_table"))


async def test_writer_takes_the_write_lock_at_begin(sqlite_db: Database, tmp_path: Path) -> None:
    """The connect and begin hooks run on both transports: WAL, and ``BEGIN IMMEDIATE``
    for a writer (another writer is refused before the first writes anything)."""
    other = sqlite3.connect(tmp_path / "t.db", timeout=0, isolation_level=None)
    try:
        assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        async with sqlite_db.transaction() as s:
            await s.execute(text("SELECT 1"))
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        async with sqlite_db.reader() as s:
            await s.execute(text("SELECT 1"))
            other.execute("BEGIN IMMEDIATE")  # a reader holds no write lock
            other.execute("ROLLBACK")
    finally:
        other.close()


async def test_functions_registered_on_connect(sqlite_db: Database) -> None:
    async with sqlite_db.reader() as s:
        metres = await s.scalar(text("SELECT huzhu_distance_m(99.9, 25.6, 99.9, 25.7)"))
    assert metres == pytest.approx(11_119.5, abs=1)


async def test_in_loop_runs_statements_on_the_loops_thread(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/t.db", in_loop=True)
    threads: set[int] = set()
    event.listen(db.engine.sync_engine, "before_cursor_execute",
                 lambda *_: threads.add(threading.get_ident()))  # fmt: skip
    try:
        async with db.reader() as s:
            await s.execute(text("SELECT 1"))
            raw = await (await s.connection()).get_raw_connection()
            assert isinstance(raw.driver_connection, InLoopConnection)
    finally:
        await db.dispose()
    assert threads == {threading.get_ident()}
    thread_db = Database(f"sqlite+aiosqlite:///{tmp_path}/t.db")
    try:
        async with thread_db.reader() as s:
            raw = await (await s.connection()).get_raw_connection()
            assert not isinstance(raw.driver_connection, InLoopConnection)
    finally:
        await thread_db.dispose()
