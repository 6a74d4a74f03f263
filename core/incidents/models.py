"""Incidents and the areas they cover (affected communities; areas opened for mutual aid).

The incident's timeline is its event stream ``incident:<id>`` in the outbox.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import IntEnum, StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UtcDateTime
from core.geo.shapes import BoundaryMixin
from core.ids import uuid7


class IncidentCategory(StrEnum):
    natural_disaster = "natural_disaster"  # 自然灾害
    accident = "accident"  # 事故灾难
    public_health = "public_health"  # 公共卫生事件
    social_safety = "social_safety"  # 社会安全事件


class ResponseLevel(IntEnum):
    """I is the most severe (特别重大), IV the least (一般)."""

    I = 1  # noqa: E741
    II = 2
    III = 3
    IV = 4


class IncidentMode(StrEnum):
    real = "real"
    drill = "drill"  # isolated drill (its own database)
    live_drill = "live_drill"  # on the live app, marked as drill, with a speed-up


class IncidentStatus(StrEnum):
    active = "active"
    stood_down = "stood_down"


class Incident(BoundaryMixin, Base):
    """An incident: a polygon (``boundary``) or an epicentre with a radius in metres."""

    __tablename__ = "incident"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    title: Mapped[str] = mapped_column(String(200))
    hazard: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(30))
    level: Mapped[int] = mapped_column(SmallInteger)
    mode: Mapped[str] = mapped_column(String(20))
    speedup: Mapped[float] = mapped_column(Float, default=1.0)
    is_drill: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default=IncidentStatus.active.value)
    centre_lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    centre_lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    radius_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    area_path: Mapped[str] = mapped_column(String(255))
    declared_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("app_user.id"), nullable=True
    )
    declared_at: Mapped[datetime] = mapped_column(UtcDateTime())
    stood_down_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        CheckConstraint("level BETWEEN 1 AND 4", name="level_range"),
        CheckConstraint("speedup >= 1", name="speedup_min"),
        CheckConstraint(
            "(radius_m IS NULL) = (centre_lon IS NULL) "
            "AND (radius_m IS NULL) = (centre_lat IS NULL)",
            name="circle_complete",
        ),
        Index(
            "ix_incident_area_path",
            "area_path",
            postgresql_ops={"area_path": "varchar_pattern_ops"},
        ),
    )


class IncidentArea(Base):
    """An area an incident covers: an affected community, or an area opened for mutual aid."""

    __tablename__ = "incident_area"

    incident_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("incident.id", ondelete="CASCADE"), primary_key=True
    )
    area_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("area.id"), primary_key=True)
    area_path: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))  # affected | mutual_aid
    opened_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("app_user.id"), nullable=True
    )
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        Index(
            "ix_incident_area_area_path",
            "area_path",
            postgresql_ops={"area_path": "varchar_pattern_ops"},
        ),
    )
