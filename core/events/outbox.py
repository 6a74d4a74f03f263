"""``emit()``: write events in the caller's transaction; read committed ones in order.

Ordering. On PostgreSQL a sequence value is taken at INSERT time, so two
transactions could commit in the other order than their numbers and a reader
could pass a number that is still invisible. ``emit()`` therefore takes a
transaction-scoped advisory lock before its first insert: transactions that
emit commit one after another, numbers follow commit order, and no number can
appear behind one already read. Each row also stores its transaction id, and
:func:`read_after` returns only rows older than every running transaction
(``pg_snapshot_xmin``), the horizon DESIGN.md asks for. SQLite has one writer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import func, insert, literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.events.models import MetaValue, OutboxEvent, OutboxStream

OUTBOX_LOCK_KEY = 0x68757A68755F6F62  # "huzhu_ob"
_TYPE_RE = re.compile(r"^[a-z][a-z_]*(\.[a-z][a-z_]*)+$")
_STREAM_RE = re.compile(r"^[a-z][a-z_]*:[A-Za-z0-9_./:-]+$")
_TX_MARK = "huzhu_outbox_tx"


@dataclass(frozen=True, slots=True)
class EventIn:
    """An event to emit: dotted ``noun.verb`` type, JSON-able data, stream keys."""

    type: str
    data: dict[str, Any]
    streams: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class Event:
    """A committed event as delivered to clients."""

    seq: int
    epoch: str
    type: str
    at: datetime
    data: dict[str, Any]
    streams: tuple[str, ...]

    def wire(self) -> dict[str, Any]:
        """The socket/JSON shape of DESIGN.md Conventions."""
        return {
            "seq": self.seq,
            "epoch": self.epoch,
            "type": self.type,
            "at": self.at.isoformat().replace("+00:00", "Z"),
            "data": self.data,
        }


async def current_epoch(session: AsyncSession) -> str:
    """This database's event-history epoch (set by the first migration and by restores)."""
    value = await session.scalar(select(MetaValue.value).where(MetaValue.key == "epoch"))
    if value is None:
        raise RuntimeError("database has no epoch: run `huzhu db upgrade`")
    return value


async def emit(
    session: AsyncSession, *, type: str, data: dict[str, Any], streams: Sequence[str] = ()
) -> int:
    """Write one event inside the caller's transaction; returns its sequence number."""
    (seq,) = await emit_many(session, [EventIn(type=type, data=data, streams=streams)])
    return seq


async def emit_many(session: AsyncSession, events: Sequence[EventIn]) -> list[int]:
    """Write many events in one statement (batch services); returns their numbers in order."""
    if not events:
        return []
    for ev in events:
        _validate(ev)
    epoch = await _prepare_transaction(session)
    is_pg = session.bind.dialect.name == "postgresql"
    created = clock.now()
    rows = [
        {
            "epoch": epoch,
            "type": ev.type,
            "payload": to_jsonable_python(ev.data),
            "created_at": created,
        }
        for ev in events
    ]
    if is_pg:
        stmt = insert(OutboxEvent).values(txid=literal_column("pg_current_xact_id()::text::bigint"))
        result = await session.execute(
            stmt.returning(OutboxEvent.seq, sort_by_parameter_order=True), rows
        )
        seqs = list(result.scalars())
    else:
        seqs = await _insert_sqlite(session, rows)
    stream_rows = [
        {"seq": seq, "stream": stream}
        for seq, ev in zip(seqs, events, strict=True)
        for stream in dict.fromkeys(ev.streams)
    ]
    if stream_rows:
        await session.execute(insert(OutboxStream.__table__), stream_rows)
    return seqs


async def _insert_sqlite(session: AsyncSession, rows: list[dict[str, Any]]) -> list[int]:
    """One executemany; the numbers follow from the write lock this transaction holds.

    SQLite gives an INTEGER PRIMARY KEY row ``max(seq) + 1`` and the outbox is
    append-only, so a batch inserted under ``BEGIN IMMEDIATE`` gets consecutive numbers
    (ordered RETURNING would make SQLAlchemy insert row by row).
    """
    last = await session.scalar(select(func.max(OutboxEvent.seq))) or 0
    await session.execute(insert(OutboxEvent.__table__), rows)
    top = await session.scalar(select(func.max(OutboxEvent.seq)))
    if top != last + len(rows):
        raise RuntimeError(f"outbox numbering broke: {last} + {len(rows)} != {top}")
    return list(range(last + 1, top + 1))


async def _prepare_transaction(session: AsyncSession) -> str:
    """Once per transaction: take the outbox lock (PostgreSQL) and read the epoch."""
    root = session.sync_session.get_transaction()
    mark = session.info.get(_TX_MARK)
    if mark is not None and mark[0] is root:
        return mark[1]
    if session.bind.dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": OUTBOX_LOCK_KEY})
    epoch = await current_epoch(session)
    session.info[_TX_MARK] = (root, epoch)
    return epoch


def _validate(ev: EventIn) -> None:
    if not _TYPE_RE.match(ev.type):
        raise ValueError(f"event type {ev.type!r} is not a dotted noun.verb")
    for stream in ev.streams:
        if not _STREAM_RE.match(stream):
            raise ValueError(f"stream key {stream!r} is not kind:id")


async def read_after(
    session: AsyncSession,
    after_seq: int,
    *,
    limit: int = 500,
    streams: Sequence[str] | None = None,
) -> list[Event]:
    """Committed events with ``seq > after_seq`` in order, optionally only on ``streams``.

    On PostgreSQL only rows older than the oldest running transaction are returned.
    """
    stmt = select(OutboxEvent).where(OutboxEvent.seq > after_seq)
    if session.bind.dialect.name == "postgresql":
        stmt = stmt.where(
            OutboxEvent.txid
            < literal_column("pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
        )
    if streams is not None:
        stmt = stmt.where(
            OutboxEvent.seq.in_(
                select(OutboxStream.seq).where(
                    OutboxStream.stream.in_(list(streams)), OutboxStream.seq > after_seq
                )
            )
        )
    rows = list((await session.scalars(stmt.order_by(OutboxEvent.seq).limit(limit))).all())
    keys: dict[int, list[str]] = {row.seq: [] for row in rows}
    if rows:
        found = await session.execute(
            select(OutboxStream.seq, OutboxStream.stream)
            .where(OutboxStream.seq.in_(list(keys)))
            .order_by(OutboxStream.seq, OutboxStream.stream)
        )
        for seq, stream in found:
            keys[seq].append(stream)
    return [
        Event(
            seq=row.seq,
            epoch=row.epoch,
            type=row.type,
            at=row.created_at,
            data=row.payload,
            streams=tuple(keys[row.seq]),
        )
        for row in rows
    ]
