"""SQLite mode runs one app worker: a second one fails at start-up with a clear message."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from core.config import Settings


class AnotherWorkerRunning(RuntimeError):
    pass


class SingleWorkerLock:
    """An exclusive ``flock`` on ``<database>.lock`` held for the life of the worker."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    @classmethod
    def for_settings(cls, settings: Settings) -> SingleWorkerLock | None:
        db_path = settings.sqlite_path()
        return None if db_path is None else cls(db_path.with_name(db_path.name + ".lock"))

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+")  # noqa: SIM115  (held open until release)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise AnotherWorkerRunning(
                f"another Huzhu worker already uses {self.path.with_suffix('')}; "
                "SQLite mode runs one worker (set HUZHU_DATABASE_URL to PostgreSQL for more)"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
