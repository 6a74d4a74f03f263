"""PostgreSQL's side of the row cache (:mod:`core.geo.local_rows`): which rows changed
since a snapshot, by transaction ids rather than clocks.

A row's current version carries ``xmin``, the 32-bit id of the transaction that wrote it.
A snapshot (``pg_current_snapshot()``: ``xmin:xmax:xip,…``, 64-bit) sees a committed
transaction unless its id is at or past ``xmax`` or listed in ``xip`` (in progress when
the snapshot was taken). So the rows changed since snapshot S are those whose ``xmin`` is
≥ S.xmax or in S.xip. ``age(xid)`` compares 32-bit ids across wraparound (a frozen id's
age is the largest, so frozen rows never count as changed). A snapshot never lists its
own transaction: rows the caller's transaction wrote are flagged (:func:`written_here`)
and read again next time.
"""

from __future__ import annotations

from sqlalchemy import Boolean, ColumnElement, Text, cast, func, literal_column, text

_LOW32 = 0xFFFFFFFF
_OWN_XID = (
    "CAST(CAST(CAST(pg_current_xact_id_if_assigned() AS text) AS bigint) % 4294967296 AS text)::xid"
)


def statement_snapshot() -> ColumnElement[str]:
    """The running statement's snapshot as text (read in the same statement as the rows)."""
    return cast(func.pg_current_snapshot(), Text)


def parse_snapshot(text_form: str) -> tuple[int, str]:
    """ "xmin:xmax:xip,…" → (xmax, "xip,…") as 32-bit ids, the width of a row's ``xmin``."""
    _, xmax, xip = text_form.split(":")
    return int(xmax) & _LOW32, ",".join(str(int(x) & _LOW32) for x in xip.split(",") if x)


def changed_since(table: str, xmax: int, xip: str) -> ColumnElement[bool]:
    """Rows of ``table`` whose version a snapshot of (``xmax``, ``xip``) could not see."""
    return text(
        f"(age({table}.xmin) <= age(CAST(:xmax AS xid))"
        f" OR {table}.xmin = ANY(CAST(string_to_array(:xip, ',') AS xid[])))"
    ).bindparams(xmax=str(xmax), xip=xip)


def written_here(table: str) -> ColumnElement[bool]:
    """True for rows of ``table`` written by the caller's own (open) transaction."""
    return literal_column(f"({table}.xmin = {_OWN_XID})", Boolean).label("written_here")
