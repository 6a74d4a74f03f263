"""Contingency plans, their versions, and which version each incident activated where."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, JsonType, UtcDateTime
from core.ids import uuid7


class VersionStatus(StrEnum):
    draft = "draft"
    approved = "approved"  # immutable from here on
    retired = "retired"  # replaced by a later approved version


class Plan(Base):
    """A community's (or higher area's) plan for one hazard; its content lives in versions."""

    __tablename__ = "plan"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    area_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("area.id"), index=True)
    area_path: Mapped[str] = mapped_column(String(255))
    hazard: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        UniqueConstraint("area_id", "hazard", name="uq_plan_area_id_hazard"),
        Index(
            "ix_plan_area_path", "area_path", postgresql_ops={"area_path": "varchar_pattern_ops"}
        ),
    )


class PlanVersion(Base):
    """One version of a plan: a validated document (see :mod:`plans.schema`)."""

    __tablename__ = "plan_version"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    plan_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("plan.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    document: Mapped[dict[str, Any]] = mapped_column(JsonType)
    template: Mapped[str | None] = mapped_column(String(80), nullable=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("app_user.id"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    approved_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("app_user.id"), nullable=True
    )
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)

    __table_args__ = (
        UniqueConstraint("plan_id", "version", name="uq_plan_version_plan_id_version"),
    )


class IncidentPlan(Base):
    """The plan version an incident activated for one affected community (or none)."""

    __tablename__ = "incident_plan"

    incident_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("incident.id", ondelete="CASCADE"), primary_key=True
    )
    community_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("area.id"), primary_key=True)
    plan_version_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("plan_version.id"), nullable=True, index=True
    )
