"""The check-in chain: one check-in per household and one per person, per incident."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UtcDateTime
from core.ids import uuid7


class HouseholdCheckinStatus(StrEnum):
    pending = "pending"
    confirmed = "confirmed"  # every member accounted for
    overdue = "overdue"


class PersonStatus(StrEnum):
    pending = "pending"
    safe = "safe"
    injured = "injured"
    needs_help = "needs_help"
    missing = "missing"
    unreachable = "unreachable"


class HouseholdCheckin(Base):
    """A household's check-in, assigned down the tree (community team → grid → contact)."""

    __tablename__ = "household_checkin"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    incident_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("incident.id", ondelete="CASCADE")
    )
    household_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("household.id"))
    community_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("area.id"))
    grid_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("grid.id"), nullable=True)
    area_path: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20))
    is_drill: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    reported_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    reported_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("app_user.id"), nullable=True
    )

    __table_args__ = (
        UniqueConstraint("incident_id", "household_id", name="uq_household_checkin_incident_id"),
        Index("ix_household_checkin_board", "incident_id", "community_id", "grid_id", "status"),
        Index(
            "ix_household_checkin_area_path",
            "area_path",
            postgresql_ops={"area_path": "varchar_pattern_ops"},
        ),
    )


class PersonCheckin(Base):
    """A person's status in an incident, with the deadline of their vulnerability class."""

    __tablename__ = "person_checkin"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    incident_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("incident.id", ondelete="CASCADE")
    )
    household_checkin_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("household_checkin.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("person.id"))
    area_path: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20))
    vulnerable: Mapped[bool] = mapped_column(Boolean, default=False)
    deadline_class: Mapped[str] = mapped_column(String(40))
    deadline_at: Mapped[datetime] = mapped_column(UtcDateTime())
    reported_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    reported_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("app_user.id"), nullable=True
    )
    overdue_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    visit_need_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("need.id"), nullable=True
    )
    is_drill: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        UniqueConstraint("incident_id", "person_id", name="uq_person_checkin_incident_id"),
        Index("ix_person_checkin_due", "incident_id", "status", "deadline_at"),
    )
