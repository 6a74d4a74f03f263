"""``emit()``: write events in the caller's transaction; read committed ones in order.

Ordering. On PostgreSQL a sequence value is taken at INSERT time, so two
transactions could commit in the other order than their numbers and a reader
could pass a number that is still invisible. ``emit()`` therefore takes a
transaction-scoped advisory lock before its first insert: transactions that
emit commit one after another, numbers follow commit order, and no number can
appear behind one already read: the visible rows are always a prefix in seq order
(a rolled-back number leaves a permanent hole, never one to wait for). So
:func:`read_after` needs no horizon; a ``pg_snapshot_xmin`` filter would only let any
long transaction anywhere in the cluster delay every event. Rows still store their
transaction id (``txid``) for diagnosis. SQLite has one writer.
"""

from __future__ import annotations

import contextlib
import re
import weakref
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import event, func, insert, literal_column, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.events.models import MetaValue, OutboxEvent, OutboxStream

OUTBOX_LOCK_KEY = 0x68757A68755F6F62  # "huzhu_ob"
_TYPE_RE = re.compile(r"^[a-z][a-z_]*(\.[a-z][a-z_]*)+$")
_STREAM_RE = re.compile(r"^[a-z][a-z_]*:[A-Za-z0-9_./:-]+$")
_TX_MARK = "huzhu_outbox_tx"
_DEFERRED = "huzhu_outbox_deferred"
_LAST_SEQ = "huzhu_outbox_last_seq"


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
    """Write one event inside the caller's transaction; returns its sequence number (at
    once, even inside :func:`deferred`)."""
    ev = EventIn(type=type, data=data, streams=streams)
    _validate(ev)
    (seq,) = await _write(session, [ev])
    return seq


async def emit_many(session: AsyncSession, events: Sequence[EventIn]) -> list[int]:
    """Write many events in one statement (batch services); returns their numbers in order
    (none inside :func:`deferred`, where they are only queued)."""
    for ev in events:
        _validate(ev)
    queue = session.info.get(_DEFERRED)
    if queue is not None:
        queue.extend(events)
        return []
    return await _write(session, events)


@contextlib.asynccontextmanager
async def deferred(session: AsyncSession) -> AsyncIterator[None]:
    """Within the block :func:`emit_many` only queues; the queue is written, in order, when
    the block ends without error. The outbox lock serialises every emitting transaction
    until it commits, so a long write (a matching batch) takes it only at its end. A
    savepoint rolled back inside the block takes its queued events with it, as it would
    have taken their rows."""
    queue: list[EventIn] = []
    marks: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()

    def began(_session: Any, transaction: Any) -> None:  # a savepoint: where its events start
        if transaction.nested:
            marks[transaction] = len(queue)

    def rolled_back(_session: Any, transaction: Any) -> None:
        if (mark := marks.get(transaction)) is not None:
            del queue[mark:]

    listeners = (("after_transaction_create", began), ("after_soft_rollback", rolled_back))
    sync = session.sync_session
    for name, fn in listeners:
        event.listen(sync, name, fn)
    session.info[_DEFERRED] = queue
    try:
        yield
    finally:
        session.info.pop(_DEFERRED, None)
        for name, fn in listeners:
            event.remove(sync, name, fn)
    await _write(session, queue)


async def _write(session: AsyncSession, events: Sequence[EventIn]) -> list[int]:
    if not events:
        return []
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
    (ordered RETURNING would make SQLAlchemy insert row by row). The highest number is
    read after the insert and checked against the one before; within one transaction the
    one before is remembered from its previous insert (a savepoint rolled back since
    makes it too high: then the rows just written are counted instead).
    """
    root = session.sync_session.get_transaction()
    mark = session.info.get(_LAST_SEQ)
    remembered = mark is not None and mark[0] is root
    last = mark[1] if remembered else await newest_seq(session)
    await session.execute(insert(OutboxEvent.__table__), rows)
    top = await newest_seq(session)
    n = len(rows)
    if top != last + n and not (remembered and await _ours(session, top, n)):
        raise RuntimeError(f"outbox numbering broke: {last} + {n} != {top}")
    session.info[_LAST_SEQ] = (root, top)
    return list(range(top - n + 1, top + 1))


async def _ours(session: AsyncSession, top: int, n: int) -> bool:
    """Whether the ``n`` rows up to ``top`` are just written ones (consecutive numbers)."""
    since = select(func.count()).where(OutboxEvent.seq > top - n, OutboxEvent.seq <= top)
    return await session.scalar(since) == n


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


async def newest_seq(session: AsyncSession) -> int:
    """The highest committed sequence number (0 when the outbox is empty)."""
    return await session.scalar(select(func.max(OutboxEvent.seq))) or 0


async def read_after(
    session: AsyncSession,
    after_seq: int,
    *,
    limit: int = 500,
    streams: Sequence[str] | None = None,
    prefixes: Sequence[str] | None = None,
) -> list[Event]:
    """Committed events with ``seq > after_seq`` in order.

    With ``streams`` and/or ``prefixes`` given, only events on one of ``streams`` or on a
    stream starting with one of ``prefixes`` (``area:<path>`` for an area and below).
    """
    e = OutboxEvent.__table__.c
    stmt = select(e.seq, e.epoch, e.type, e.created_at, e.payload).where(e.seq > after_seq)
    filtered = streams is not None or prefixes is not None
    if filtered:
        stream = OutboxStream.stream
        matches = [stream.in_(list(streams or ()))]
        matches += [stream.startswith(p, autoescape=True) for p in prefixes or ()]
        stmt = stmt.where(
            e.seq.in_(select(OutboxStream.seq).where(or_(*matches), OutboxStream.seq > after_seq))
        )
    conn = await session.connection()  # Core rows: the relay reads thousands a second
    rows = (await conn.execute(stmt.order_by(e.seq).limit(limit))).all()
    keys: dict[int, list[str]] = {row[0]: [] for row in rows}
    if rows:
        s = OutboxStream.__table__.c
        on = s.seq.in_(list(keys)) if filtered else s.seq.between(rows[0][0], rows[-1][0])
        found = await conn.execute(select(s.seq, s.stream).where(on).order_by(s.seq, s.stream))
        for seq, name in found:
            keys[seq].append(name)
    return [
        Event(seq=seq, epoch=epoch, type=type_, at=at, data=data, streams=tuple(keys[seq]))
        for seq, epoch, type_, at, data in rows
    ]
