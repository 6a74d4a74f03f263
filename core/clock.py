"""The one injectable clock. Production reads the system time; tests and isolated
drills install a :class:`ManualClock` with :func:`use_clock`."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Protocol, TypeVar


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta | float) -> datetime:
        """Move forward by a timedelta or a number of seconds."""
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        if step < timedelta(0):
            raise ValueError("time does not run backwards")
        self._now += step
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when.astimezone(UTC)


T = TypeVar("T")
_SYSTEM = SystemClock()
_current: contextvars.ContextVar[Clock | None] = contextvars.ContextVar("huzhu_clock", default=None)


def now() -> datetime:
    """The current UTC time from the installed clock."""
    return (_current.get() or _SYSTEM).now()


def get_clock() -> Clock:
    return _current.get() or _SYSTEM


@contextlib.contextmanager
def installed(var: contextvars.ContextVar[T | None], value: T) -> Iterator[T]:
    """``value`` in ``var`` for the current context (and tasks started inside it), the
    previous value back afterwards: how the clock and the id source are installed."""
    token = var.set(value)
    try:
        yield value
    finally:
        var.reset(token)


def use_clock(clock: Clock) -> contextlib.AbstractContextManager[Clock]:
    """Install ``clock`` for the current context (and tasks started inside it)."""
    return installed(_current, clock)


def set_clock(clock: Clock) -> None:
    """Install ``clock`` for the rest of this context (tests' session fixtures)."""
    _current.set(clock)


LOCAL_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")
"""Local time for people and daily figures (DESIGN.md: Time). China has kept UTC+8
without daylight saving since 1991, so a fixed offset is exact and needs no tz database."""


def local_today() -> date:
    """Today's date in Asia/Shanghai, from the installed clock."""
    return now().astimezone(LOCAL_TZ).date()
