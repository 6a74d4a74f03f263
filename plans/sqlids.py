"""UUIDv7 ids made inside SQL, for ``INSERT … SELECT`` batches (no row passes through Python).

:func:`uuid7_sql` gives the same layout as :func:`core.ids.uuid7` (RFC 9562 §5.7):
48 bits of Unix milliseconds (one value for the whole statement, taken from the wall
time like :func:`core.ids.uuid7`), version 7, variant ``10``, random bits from the
database (``gen_random_uuid()`` on PostgreSQL, ``randomblob()`` on SQLite, both
evaluated per row). On SQLite the value is the 32-hex-digit text SQLAlchemy's ``Uuid``
stores there.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import BigInteger, Uuid, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class _Uuid7At(FunctionElement[Any]):
    """A per-row UUIDv7 whose time part is the bound millisecond value."""

    type = Uuid()
    inherit_cache = True
    name = "uuid7_at"


def uuid7_sql(ms: int | None = None) -> _Uuid7At:
    """A SQL expression yielding a fresh UUIDv7 per row (``ms``: Unix milliseconds)."""
    if ms is None:
        ms = time.time_ns() // 1_000_000
    return _Uuid7At(literal(ms & ((1 << 48) - 1), BigInteger()))


@compiles(_Uuid7At, "postgresql")
def _pg(element: _Uuid7At, compiler: Any, **kw: Any) -> str:
    ms = compiler.process(element.clauses, **kw)
    # gen_random_uuid() is v4 (version nibble 0100, variant 10); overlay the 48-bit time,
    # then set bits 52 and 53 (PostgreSQL numbers bits from the right within each byte)
    # to turn version 4 into 7.
    return (
        "CAST(encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) placing "
        f"substring(int8send(CAST({ms} AS bigint)) from 3) from 1 for 6), 52, 1), 53, 1), "
        "'hex') AS uuid)"
    )


@compiles(_Uuid7At, "sqlite")
def _sqlite(element: _Uuid7At, compiler: Any, **kw: Any) -> str:
    ms = compiler.process(element.clauses, **kw)
    return (
        f"lower(printf('%012x', {ms}) || '7' || substr(hex(randomblob(2)), 2, 3) "
        "|| substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(8)), 2, 15))"
    )
