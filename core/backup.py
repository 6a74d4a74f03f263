"""Online backup and restore of the embedded SQLite database (sync CLI edge).

:func:`backup_sqlite` copies a live database with SQLite's backup API: it reads
one consistent snapshot, so it is safe while the app runs and writes in WAL
mode, and it never sees uncommitted data. :func:`restore_sqlite` puts a backup
in place atomically and gives the database a new epoch, because the event
history clients have seen may be lost (DESIGN.md Decisions: Epoch).

Both write a temporary file beside the destination and ``os.replace`` it, so a
failed call leaves the destination untouched. Copies are stored in rollback
(``DELETE``) journal mode: one self-contained file, no ``-wal``/``-shm``.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

META_TABLE = "huzhu_meta"
_SIDE_SUFFIXES = ("-wal", "-shm", "-journal")


class BackupError(ValueError):
    """A backup or restore was refused or failed; the message says why."""


def backup_sqlite(src: Path, dest: Path, *, overwrite: bool = False) -> Path:
    """Copy the SQLite database ``src`` to ``dest`` consistently, even while it is in use.

    Refuses an existing ``dest`` unless ``overwrite``; creates parent folders.
    The copy must pass ``PRAGMA integrity_check``. Returns ``dest``.
    """
    src, dest = Path(src), Path(dest)
    if not src.is_file():
        raise BackupError(f"cannot back up {src}: no such database file")
    if _same_file(src, dest):
        raise BackupError(f"cannot back up {src} onto itself")
    if dest.exists() and not overwrite:
        raise BackupError(f"backup destination {dest} already exists (pass overwrite=True)")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with _temp_beside(dest, ".backup-") as tmp:
        try:
            with contextlib.closing(_open_readonly(src)) as source:
                _copy(source, tmp)
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"cannot back up {src}: {exc}") from exc
        with contextlib.closing(sqlite3.connect(tmp)) as copy:
            problems = _integrity_problems(copy)
        if problems:
            raise BackupError(f"backup of {src} failed integrity_check: {problems}")
        if dest.exists() and not overwrite:  # created meanwhile
            raise BackupError(f"backup destination {dest} already exists (pass overwrite=True)")
        _install(tmp, dest)
    return dest


def restore_sqlite(backup: Path, dest: Path) -> str:
    """Replace the database ``dest`` with ``backup`` and give it a new epoch.

    ``backup`` must be a SQLite database that passes ``integrity_check`` and
    holds Huzhu's ``huzhu_meta`` table with an epoch. Stop the app first: a
    ``dest`` still open elsewhere is refused. Returns the new epoch.
    """
    backup, dest = Path(backup), Path(dest)
    if not backup.is_file():
        raise BackupError(f"cannot restore from {backup}: no such file")
    if _same_file(backup, dest):
        raise BackupError(f"cannot restore {backup} onto itself")
    try:
        with contextlib.closing(_open_readonly(backup)) as source:
            _check_restorable(source, backup)
            dest.parent.mkdir(parents=True, exist_ok=True)
            _ensure_not_in_use(dest)
            with _temp_beside(dest, ".restore-") as tmp:
                _copy(source, tmp)
                epoch = str(uuid.uuid4())
                with contextlib.closing(sqlite3.connect(tmp, isolation_level=None)) as copy:
                    copy.execute(f"UPDATE {META_TABLE} SET value = ? WHERE key = 'epoch'", (epoch,))
                _install(tmp, dest)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"cannot restore from {backup}: {exc}") from exc
    return epoch


def read_epoch(path: Path) -> str | None:
    """The epoch stored in the SQLite database ``path`` (None if it has none)."""
    with contextlib.closing(_open_readonly(Path(path))) as conn:
        row = conn.execute(f"SELECT value FROM {META_TABLE} WHERE key = 'epoch'").fetchone()
    return None if row is None else str(row[0])


def _open_readonly(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _copy(source: sqlite3.Connection, target: Path) -> None:
    """Copy ``source`` into the file ``target`` (one snapshot), as a single-file database."""
    with contextlib.closing(sqlite3.connect(target, isolation_level=None)) as copy:
        source.backup(copy)
        # The copied header keeps the source's WAL mode; a backup is one self-contained file.
        copy.execute("PRAGMA journal_mode=DELETE")


def _integrity_problems(conn: sqlite3.Connection) -> str | None:
    rows = [str(r[0]) for r in conn.execute("PRAGMA integrity_check").fetchall()]
    return None if rows == ["ok"] else "; ".join(rows[:5])


def _check_restorable(conn: sqlite3.Connection, path: Path) -> None:
    try:
        problems = _integrity_problems(conn)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"cannot restore from {path}: not a SQLite database ({exc})") from exc
    if problems:
        raise BackupError(f"cannot restore from {path}: integrity_check failed: {problems}")
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (META_TABLE,)
    ).fetchone()
    if found is None:
        raise BackupError(
            f"cannot restore from {path}: no {META_TABLE} table, so not a Huzhu database"
        )
    epoch = conn.execute(f"SELECT 1 FROM {META_TABLE} WHERE key = 'epoch'").fetchone()
    if epoch is None:
        raise BackupError(f"cannot restore from {path}: {META_TABLE} has no epoch row")


def _ensure_not_in_use(dest: Path) -> None:
    """Refuse when another connection has ``dest`` open (best effort: stop the app first)."""
    if not dest.exists():
        return
    conn = sqlite3.connect(dest, isolation_level=None, timeout=0)
    try:
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        if getattr(exc, "sqlite_errorcode", None) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            raise BackupError(
                f"cannot restore onto {dest}: the database is in use; stop the app first"
            ) from exc
    except sqlite3.DatabaseError:
        pass  # not a database: it is about to be replaced anyway
    finally:
        conn.close()


@contextlib.contextmanager
def _temp_beside(dest: Path, infix: str) -> Iterator[Path]:
    """A fresh temporary path in ``dest``'s folder, removed (with side files) on exit."""
    fd, name = tempfile.mkstemp(prefix=f".{dest.name}{infix}", dir=dest.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
    finally:
        for path in (tmp, *(Path(f"{tmp}{s}") for s in _SIDE_SUFFIXES)):
            path.unlink(missing_ok=True)


def _install(tmp: Path, dest: Path) -> None:
    """fsync ``tmp``, move it onto ``dest`` atomically, and fsync the folder.

    ``dest``'s stale ``-wal``/``-shm`` go first: old WAL frames must never be
    replayed onto the new file.
    """
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    for suffix in _SIDE_SUFFIXES:
        Path(f"{dest}{suffix}").unlink(missing_ok=True)
    os.replace(tmp, dest)
    with contextlib.suppress(OSError):  # directories cannot be opened on every platform
        dir_fd = os.open(dest.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and a.samefile(b)
    except OSError:
        return False
