"""UUIDv7 identifiers: time-ordered, not enumerable (RFC 9562 §5.7).

Ids come from the installed id source, like the time from the installed clock
(:mod:`core.clock`). Production uses :class:`RandomIds`: wall-clock milliseconds and
74 random bits. An isolated drill installs :class:`SequentialIds` with :func:`use_ids`:
milliseconds from the simulated clock and a counter, so the same seed makes the same
ids in the same order, and ties that fall back on id order fall the same way each run.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import time
import uuid
from typing import Protocol

from core import clock

_MS_MASK = (1 << 48) - 1
BLOCK = 1 << 32
"""Counter values a :meth:`SequentialIds.block` leaves to one SQL statement's rows."""


def _layout(ms: int, rand_a: int, rand_b: int) -> uuid.UUID:
    """48-bit milliseconds, version 7, 12 bits ``rand_a``, variant ``10``, 62 bits ``rand_b``."""
    value = (ms & _MS_MASK) << 80
    value |= 0x7 << 76
    value |= (rand_a & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand_b & ((1 << 62) - 1)
    return uuid.UUID(int=value)


class IdSource(Protocol):
    def uuid7(self) -> uuid.UUID:
        """A new id."""
        ...

    def block(self) -> tuple[int, int | None]:
        """For one SQL statement that makes ids per row: its milliseconds, and the counter
        value before its first row (``None``: the rows take random bits)."""
        ...


class RandomIds:
    """Wall-clock milliseconds and 74 bits from ``os.urandom`` (production)."""

    def uuid7(self) -> uuid.UUID:
        rand = int.from_bytes(os.urandom(10), "big")
        return _layout(time.time_ns() // 1_000_000, rand >> 62, rand)

    def block(self) -> tuple[int, int | None]:
        return time.time_ns() // 1_000_000, None


class SequentialIds:
    """Milliseconds of the installed clock and a counter that only grows.

    Ids sort in the order they were made (the clock never runs backwards). The counter
    stays below 2**60, so ``rand_a`` is zero and ``rand_b`` is the counter itself; an SQL
    statement takes a :data:`BLOCK` of values and numbers its rows inside it.
    """

    def __init__(self) -> None:
        self._next = 0

    def _ms(self) -> int:
        return int(clock.now().timestamp() * 1000)

    def uuid7(self) -> uuid.UUID:
        self._next += 1
        return _layout(self._ms(), 0, self._next)

    def block(self) -> tuple[int, int | None]:
        base = self._next
        self._next += BLOCK
        return self._ms(), base


_RANDOM = RandomIds()
_current: contextvars.ContextVar[IdSource | None] = contextvars.ContextVar(
    "huzhu_ids", default=None
)


def id_source() -> IdSource:
    """The installed id source (:class:`RandomIds` unless one was installed)."""
    return _current.get() or _RANDOM


def uuid7() -> uuid.UUID:
    """A new UUIDv7 from the installed id source."""
    return id_source().uuid7()


def use_ids(source: IdSource) -> contextlib.AbstractContextManager[IdSource]:
    """Install ``source`` for the current context (and tasks started inside it)."""
    return clock.installed(_current, source)
