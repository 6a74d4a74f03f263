"""Households and the persons in them: personal data, readable only by allowed roles."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, SmallInteger, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, JsonType, UtcDateTime
from core.geo.shapes import PointMixin, point_checks
from core.ids import uuid7


class Household(PointMixin, Base):
    """A household at a point in a community (村/社区, level 5), optionally in a grid."""

    __tablename__ = "household"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    code: Mapped[str | None] = mapped_column(String(60), nullable=True, unique=True)
    address: Mapped[str] = mapped_column(String(300))
    community_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("area.id"), index=True)
    grid_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("grid.id"), nullable=True, index=True
    )
    area_path: Mapped[str] = mapped_column(String(255))
    contact_person_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid,
        ForeignKey("person.id", use_alter=True, name="fk_household_contact_person_id_person"),
        nullable=True,
    )
    phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        *point_checks(),
        Index(
            "ix_household_area_path",
            "area_path",
            postgresql_ops={"area_path": "varchar_pattern_ops"},
        ),
        Index("ix_household_lon_lat", "lon", "lat"),
    )


class Person(Base):
    """A member of a household. ``languages`` is a list of language codes (vocab)."""

    __tablename__ = "person"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    household_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("household.id", ondelete="CASCADE"), index=True
    )
    area_path: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(120))
    birth_year: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    sex: Mapped[str | None] = mapped_column(String(10), nullable=True)
    languages: Mapped[list[Any]] = mapped_column(JsonType)
    phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        Index(
            "ix_person_area_path", "area_path", postgresql_ops={"area_path": "varchar_pattern_ops"}
        ),
    )


class PersonTag(Base):
    """A vulnerability tag of a person (one row per tag, so filters work on both engines)."""

    __tablename__ = "person_tag"

    person_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(40), primary_key=True)

    __table_args__ = (Index("ix_person_tag_tag", "tag"),)
