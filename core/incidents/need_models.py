"""Needs: what someone needs during an incident, where, how urgently, and its state."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, SmallInteger, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, JsonType, UtcDateTime
from core.geo.shapes import PointMixin, point_checks
from core.ids import uuid7


class NeedSource(StrEnum):
    coordinator = "coordinator"
    household_report = "household_report"
    sos = "sos"
    chain = "chain"  # an overdue check-in became a visit need


class NeedKind(StrEnum):
    visit = "visit"  # check on a person or household (the chain's overdue need)
    supplies = "supplies"
    rescue = "rescue"
    medical = "medical"
    evacuation = "evacuation"
    care = "care"
    other = "other"


class NeedStatus(StrEnum):
    open = "open"
    matched = "matched"
    in_progress = "in_progress"
    fulfilled = "fulfilled"
    cancelled = "cancelled"


class Need(PointMixin, Base):
    """A need at a point (the household's, or an SOS location), with its priority inputs."""

    __tablename__ = "need"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    incident_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("incident.id", ondelete="CASCADE"), index=True
    )
    community_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("area.id"), nullable=True, index=True
    )
    area_path: Mapped[str] = mapped_column(String(255))
    household_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("household.id"), nullable=True, index=True
    )
    person_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("person.id"), nullable=True, index=True
    )
    source: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text, default="")
    skills: Mapped[list[Any]] = mapped_column(JsonType)
    languages: Mapped[list[Any]] = mapped_column(JsonType)
    severity: Mapped[int] = mapped_column(SmallInteger)
    vulnerability: Mapped[float] = mapped_column(Float, default=0.0)
    priority: Mapped[float] = mapped_column(Float, default=0.0)
    neighbours_first: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default=NeedStatus.open.value)
    is_drill: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("app_user.id"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime(), nullable=True, doc="When dispatch found nobody left to ask (once)."
    )

    __table_args__ = (
        *point_checks(),
        Index(
            "ix_need_area_path", "area_path", postgresql_ops={"area_path": "varchar_pattern_ops"}
        ),
        Index("ix_need_incident_status", "incident_id", "status"),
        Index("ix_need_lon_lat", "lon", "lat"),
    )


class NeedItem(Base):
    """A catalogue item and quantity (integer, in the item's base unit) a need asks for."""

    __tablename__ = "need_item"

    need_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("need.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("item.id"), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer)
