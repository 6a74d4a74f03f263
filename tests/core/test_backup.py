"""Online SQLite backup and restore on real migrated databases (core/backup.py)."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import insert

from core.backup import BackupError, backup_sqlite, read_epoch, restore_sqlite
from core.db import Database
from core.events.models import MetaValue
from core.events.outbox import current_epoch, emit
from core.migrate import current_revision, head_revision, upgrade


async def make_db(path: Path, probe: str) -> Database:
    """A migrated SQLite database with one probe row and two committed events."""
    db = Database(f"sqlite+aiosqlite:///{path}")
    await upgrade(db)
    async with db.transaction() as s:
        await s.execute(insert(MetaValue).values(key="probe", value=probe))
        await emit(s, type="test.created", data={"n": 1}, streams=["test:a"])
        await emit(s, type="test.created", data={"n": 2}, streams=["test:a"])
    return db


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[tuple[Database, Path]]:
    """A source database whose app engine stays open (pooled connections, WAL)."""
    path = tmp_path / "live" / "huzhu.db"
    db = await make_db(path, "committed")
    yield db, path
    await db.dispose()


def query(path: Path, sql: str) -> list[tuple]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql).fetchall()


def meta(path: Path) -> dict[str, str]:
    return dict(query(path, "SELECT key, value FROM huzhu_meta"))


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file in ``folder`` and its bytes: proves a failed call changed nothing."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


async def test_backup_is_consistent_while_a_writer_holds_uncommitted_data(
    live: tuple[Database, Path], tmp_path: Path
) -> None:
    _, src = live
    assert query(src, "PRAGMA journal_mode") == [("wal",)]
    writer = sqlite3.connect(src, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO huzhu_meta (key, value) VALUES ('uncommitted', 'x')")
        writer.execute("DELETE FROM outbox_stream")
        dest = backup_sqlite(src, tmp_path / "backups" / "nested" / "copy.db")
    finally:
        writer.execute("COMMIT")
        writer.close()

    assert dest == tmp_path / "backups" / "nested" / "copy.db"
    copied = meta(dest)
    assert copied["probe"] == "committed"
    assert "uncommitted" not in copied
    assert copied["epoch"] == meta(src)["epoch"]
    assert [r[0] for r in query(dest, "SELECT type FROM outbox ORDER BY seq")] == [
        "test.created",
        "test.created",
    ]
    assert query(dest, "SELECT count(*) FROM outbox_stream") == [(2,)]
    # The source did commit afterwards; the backup is the earlier snapshot.
    assert "uncommitted" in meta(src)
    assert query(src, "SELECT count(*) FROM outbox_stream") == [(0,)]
    # One self-contained file, and the app can open it at the current revision.
    assert query(dest, "PRAGMA journal_mode") == [("delete",)]
    assert sorted(p.name for p in dest.parent.iterdir()) == ["copy.db"]
    copy_db = Database(f"sqlite+aiosqlite:///{dest}")
    try:
        assert await current_revision(copy_db) == head_revision()
    finally:
        await copy_db.dispose()


async def test_backup_includes_writes_still_in_the_wal(
    live: tuple[Database, Path], tmp_path: Path
) -> None:
    db, src = live
    async with db.transaction() as s:
        await s.execute(insert(MetaValue).values(key="late", value="in-wal"))
    assert Path(f"{src}-wal").stat().st_size > 0  # not yet checkpointed
    dest = backup_sqlite(src, tmp_path / "b.db")
    assert meta(dest)["late"] == "in-wal"


async def test_restore_copies_rows_and_sets_a_new_epoch(
    live: tuple[Database, Path], tmp_path: Path
) -> None:
    _, src = live
    old_epoch = meta(src)["epoch"]
    backup = backup_sqlite(src, tmp_path / "b.db")
    dest = tmp_path / "restored" / "huzhu.db"

    epoch = restore_sqlite(backup, dest)

    assert epoch != old_epoch
    assert read_epoch(dest) == epoch
    assert meta(dest)["probe"] == "committed"
    assert query(dest, "SELECT count(*) FROM outbox") == [(2,)]
    assert query(dest, "PRAGMA integrity_check") == [("ok",)]
    assert meta(backup)["epoch"] == old_epoch  # the backup itself is unchanged
    assert meta(src)["epoch"] == old_epoch
    assert sorted(p.name for p in dest.parent.iterdir()) == ["huzhu.db"]
    restored = Database(f"sqlite+aiosqlite:///{dest}")
    try:
        async with restored.reader() as s:
            assert await current_epoch(s) == epoch
        async with restored.transaction() as s:  # writable by the app, WAL again
            await emit(s, type="test.created", data={"n": 3})
        assert query(dest, "SELECT count(*) FROM outbox") == [(3,)]
    finally:
        await restored.dispose()


async def test_restore_replaces_an_existing_database_and_ignores_its_stale_wal(
    live: tuple[Database, Path], tmp_path: Path
) -> None:
    _, src = live
    backup = backup_sqlite(src, tmp_path / "b.db")
    dest = tmp_path / "old" / "huzhu.db"
    old = await make_db(dest, "old")
    await old.dispose()
    # Leave WAL frames behind as a crashed app would.
    conn = sqlite3.connect(dest, isolation_level=None)
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("UPDATE huzhu_meta SET value = 'stale' WHERE key = 'probe'")
    shutil.copy(f"{dest}-wal", tmp_path / "saved-wal")
    conn.close()
    shutil.copy(tmp_path / "saved-wal", f"{dest}-wal")

    epoch = restore_sqlite(backup, dest)

    assert meta(dest)["probe"] == "committed"
    assert read_epoch(dest) == epoch
    assert query(dest, "PRAGMA integrity_check") == [("ok",)]


async def test_restore_refuses_a_database_in_use(
    live: tuple[Database, Path], tmp_path: Path
) -> None:
    db, dest = live
    async with db.reader() as s:  # the app's pool now holds an open connection
        before_epoch = await current_epoch(s)
    backup = backup_sqlite(dest, tmp_path / "b.db")
    before = snapshot(dest.parent)
    with pytest.raises(BackupError, match="in use; stop the app first"):
        restore_sqlite(backup, dest)
    assert snapshot(dest.parent) == before
    assert read_epoch(dest) == before_epoch


@pytest.fixture
async def target(tmp_path: Path) -> Path:
    """An existing, closed Huzhu database that failed restores must leave alone."""
    path = tmp_path / "target" / "huzhu.db"
    db = await make_db(path, "target")
    await db.dispose()
    return path


def test_restore_from_a_non_sqlite_file_is_refused(target: Path, tmp_path: Path) -> None:
    bogus = tmp_path / "notes.db"
    bogus.write_bytes(b"this is not a database\n" * 200)
    before = snapshot(target.parent)
    with pytest.raises(ValueError, match=r"cannot restore from .*notes\.db: not a SQLite database"):
        restore_sqlite(bogus, target)
    assert snapshot(target.parent) == before
    assert bogus.read_bytes() == b"this is not a database\n" * 200


def test_restore_from_a_sqlite_file_without_huzhu_meta_is_refused(
    target: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other.db"
    with contextlib.closing(sqlite3.connect(other)) as conn:
        conn.execute("CREATE TABLE things (id INTEGER PRIMARY KEY)")
        conn.commit()
    before = snapshot(target.parent)
    with pytest.raises(ValueError, match="no huzhu_meta table, so not a Huzhu database"):
        restore_sqlite(other, target)
    assert snapshot(target.parent) == before


def test_restore_from_a_database_without_epoch_is_refused(target: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with contextlib.closing(sqlite3.connect(other)) as conn:
        conn.execute("CREATE TABLE huzhu_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        conn.commit()
    before = snapshot(target.parent)
    with pytest.raises(ValueError, match="huzhu_meta has no epoch row"):
        restore_sqlite(other, target)
    assert snapshot(target.parent) == before


def test_restore_from_a_missing_file_is_refused(target: Path, tmp_path: Path) -> None:
    before = snapshot(target.parent)
    with pytest.raises(ValueError, match="no such file"):
        restore_sqlite(tmp_path / "missing.db", target)
    assert snapshot(target.parent) == before
    assert not (tmp_path / "missing.db").exists()


def test_restore_onto_itself_is_refused(target: Path) -> None:
    before = snapshot(target.parent)
    with pytest.raises(ValueError, match="onto itself"):
        restore_sqlite(target, target)
    assert snapshot(target.parent) == before


async def test_backup_to_an_existing_file_is_refused_unless_overwrite(
    live: tuple[Database, Path], tmp_path: Path
) -> None:
    _, src = live
    dest = tmp_path / "out" / "existing.db"
    dest.parent.mkdir()
    dest.write_bytes(b"keep me")
    before = snapshot(dest.parent)
    with pytest.raises(ValueError, match=r"existing\.db already exists \(pass overwrite=True\)"):
        backup_sqlite(src, dest)
    assert snapshot(dest.parent) == before

    assert backup_sqlite(src, dest, overwrite=True) == dest
    assert meta(dest)["probe"] == "committed"
    assert sorted(p.name for p in dest.parent.iterdir()) == ["existing.db"]


def test_backup_of_a_missing_or_non_sqlite_source_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no such database file"):
        backup_sqlite(tmp_path / "missing.db", tmp_path / "b.db")
    assert not (tmp_path / "missing.db").exists()
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(b"x" * 4096)
    with pytest.raises(ValueError, match=r"cannot back up .*bogus\.db"):
        backup_sqlite(bogus, tmp_path / "b.db")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bogus.db"]
