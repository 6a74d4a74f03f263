"""UUIDv7 ids made inside SQL, for ``INSERT … SELECT`` batches (no row passes through Python).

:func:`uuid7_sql` gives the same layout as :func:`core.ids.uuid7` (RFC 9562 §5.7):
48 bits of Unix milliseconds (one value for the whole statement, taken from the wall
time like :func:`core.ids.uuid7`), version 7, variant ``10``, random bits from the
database (``gen_random_uuid()`` on PostgreSQL, ``randomblob()`` on SQLite, both
evaluated per row). On SQLite the value is the 32-hex-digit text SQLAlchemy's ``Uuid``
stores there.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Uuid, func, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from core.ids import id_source


class _Uuid7At(FunctionElement[Any]):
    """A per-row UUIDv7 whose time part is the bound millisecond value."""

    type = Uuid()
    inherit_cache = True
    name = "uuid7_at"


class _Uuid7Seq(FunctionElement[Any]):
    """A per-row UUIDv7 of the bound milliseconds and a counter value below 2**60."""

    type = Uuid()
    inherit_cache = True
    name = "uuid7_seq"


def uuid7_sql(order_by: ColumnElement[Any]) -> FunctionElement[Any]:
    """A SQL expression yielding a new UUIDv7 per row; sequential ids number the rows in
    ``order_by`` order (give a unique column so the numbering is the same every run)."""
    ms, base = id_source().block()
    ms_value = literal(ms & ((1 << 48) - 1), BigInteger())
    if base is None:
        return _Uuid7At(ms_value)
    counter = literal(base, BigInteger()) + func.row_number().over(order_by=order_by)
    return _Uuid7Seq(ms_value, counter)


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


@compiles(_Uuid7Seq, "postgresql")
def _pg_seq(element: _Uuid7Seq, compiler: Any, **kw: Any) -> str:
    ms, counter = (compiler.process(c, **kw) for c in element.clauses)
    return (
        f"CAST(lpad(to_hex(CAST({ms} AS bigint)), 12, '0') || '70008' "
        f"|| lpad(to_hex(CAST({counter} AS bigint)), 15, '0') AS uuid)"
    )


@compiles(_Uuid7Seq, "sqlite")
def _sqlite_seq(element: _Uuid7Seq, compiler: Any, **kw: Any) -> str:
    ms, counter = (compiler.process(c, **kw) for c in element.clauses)
    return f"printf('%012x', {ms}) || '70008' || printf('%015x', {counter})"
