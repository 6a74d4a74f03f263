"""UUID columns read back fast on SQLite.

SQLite keeps a UUID as its 32 hex digits; SQLAlchemy's ``Uuid`` turns each value read into a
:class:`uuid.UUID` through its general constructor (dashes, braces, URNs, version checks),
about 3 µs a value — a fifth of a matching batch over a county's open needs, which reads
tens of thousands of ids. :class:`HexUuid` builds the same object from the 32 digits
directly and falls back to the constructor for any other spelling. A batch reads the same
ids again and again (every live need, task and reservation of an incident, each batch), so
the ids last read are kept (at most :data:`MAX_KEPT`; UUIDs are immutable, sharing one is
safe) and a repeat is one dictionary look-up. PostgreSQL's driver returns its own UUIDs and
is left alone.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Uuid

_new = object.__new__
_set = object.__setattr__
_UNKNOWN = uuid.SafeUUID.unknown
MAX_KEPT = 131_072
"""Ids kept for a repeat read (about 25 MB when full; then all are dropped at once)."""
_kept: dict[str, uuid.UUID] = {}


def uuid_from_hex(value: str) -> uuid.UUID:
    """``uuid.UUID(value)``, faster for the 32-digit form SQLite holds."""
    found = _kept.get(value)
    if found is not None:
        return found
    if len(value) != 32:
        return uuid.UUID(value)
    made = _new(uuid.UUID)
    _set(made, "int", int(value, 16))
    _set(made, "is_safe", _UNKNOWN)
    if len(_kept) >= MAX_KEPT:
        _kept.clear()
    _kept[value] = made
    return made


class HexUuid(Uuid):  # type: ignore[type-arg]
    """``Uuid`` whose character-based values are read with :func:`uuid_from_hex`."""

    cache_ok = True

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        if (dialect.supports_native_uuid and self.native_uuid) or not self.as_uuid:
            return super().result_processor(dialect, coltype)

        def process(value: Any) -> Any:
            return None if value is None else uuid_from_hex(value)

        return process


def install(dialect: Any) -> None:
    """Read this dialect's ``Uuid`` columns with :class:`HexUuid`."""
    dialect.colspecs = {**dialect.colspecs, Uuid: HexUuid}
