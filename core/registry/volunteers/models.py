"""Volunteers: skills, languages, certifications, availability, reach and insurance."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, JsonType, UtcDateTime
from core.geo.shapes import PointMixin, point_checks
from core.ids import uuid7


class VolunteerStatus(StrEnum):
    active = "active"  # on the roster, may be offered work when available
    inactive = "inactive"  # resting, moved away …
    suspended = "suspended"  # by a coordinator


class Volunteer(PointMixin, Base):
    """``lon``/``lat`` is the home point; ``live_*`` the last shared position while on duty."""

    __tablename__ = "volunteer"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    person_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("person.id", ondelete="SET NULL"), nullable=True, unique=True
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("app_user.id", ondelete="SET NULL"), nullable=True, unique=True
    )
    org_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("organization.id"), nullable=True, index=True
    )
    area_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("area.id"), index=True)
    area_path: Mapped[str] = mapped_column(String(255))
    vehicle_class: Mapped[str | None] = mapped_column(String(10), nullable=True)
    availability: Mapped[dict[str, Any]] = mapped_column(JsonType)
    max_travel_km: Mapped[float] = mapped_column(Float)
    max_active_tasks: Mapped[int] = mapped_column(Integer, default=1)
    insurance_valid_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default=VolunteerStatus.active.value)
    hours_served: Mapped[float] = mapped_column(Float, default=0.0)
    live_lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    live_lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    live_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        *point_checks(),
        Index(
            "ix_volunteer_area_path",
            "area_path",
            postgresql_ops={"area_path": "varchar_pattern_ops"},
        ),
        Index("ix_volunteer_lon_lat", "lon", "lat"),
    )


class VolunteerSkill(Base):
    __tablename__ = "volunteer_skill"

    volunteer_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("volunteer.id", ondelete="CASCADE"), primary_key=True
    )
    skill: Mapped[str] = mapped_column(String(40), primary_key=True)

    __table_args__ = (Index("ix_volunteer_skill_skill", "skill"),)


class VolunteerLanguage(Base):
    __tablename__ = "volunteer_language"

    volunteer_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("volunteer.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(20), primary_key=True)

    __table_args__ = (Index("ix_volunteer_language_language", "language"),)


class VolunteerCertification(Base):
    __tablename__ = "volunteer_certification"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    volunteer_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("volunteer.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    number: Mapped[str | None] = mapped_column(String(60), nullable=True)
    issued_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    expires_on: Mapped[date | None] = mapped_column(Date, nullable=True)
