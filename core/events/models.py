"""Outbox, stream index, database metadata (the epoch) and durable timers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigIntPK, JsonType, UtcDateTime
from core.ids import uuid7


class MetaValue(Base):
    """Database-wide values; ``epoch`` names this database's event history."""

    __tablename__ = "huzhu_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class OutboxEvent(Base):
    """One event, written in the transaction that caused it.

    ``seq`` is the global sequence clients resume from. ``txid`` is the writing
    transaction's id on PostgreSQL (NULL on SQLite, which has one writer).
    """

    __tablename__ = "outbox"

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    epoch: Mapped[str] = mapped_column(String(36))
    type: Mapped[str] = mapped_column(String(80))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    txid: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class OutboxStream(Base):
    """Which streams (``incident:<id>``, ``volunteer:<id>``, ``area:<path>`` …) an event is on."""

    __tablename__ = "outbox_stream"

    seq: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("outbox.seq", ondelete="CASCADE"), primary_key=True
    )
    stream: Mapped[str] = mapped_column(String(200), primary_key=True)

    __table_args__ = (Index("ix_outbox_stream_stream_seq", "stream", "seq"),)


class Timer(Base):
    """A durable deadline: any worker may fire it once it is due, exactly once."""

    __tablename__ = "timer"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    kind: Mapped[str] = mapped_column(String(80))
    key: Mapped[str | None] = mapped_column(String(200), nullable=True, unique=True)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    failed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)

    __table_args__ = (
        Index(
            "ix_timer_pending_due",
            "due_at",
            postgresql_where=text("claimed_by IS NULL AND failed_at IS NULL"),
            sqlite_where=text("claimed_by IS NULL AND failed_at IS NULL"),
        ),
    )
