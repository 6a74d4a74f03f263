"""Areas of the five-level hierarchy and the grids (网格) inside communities."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import IntEnum

from sqlalchemy import ForeignKey, Index, SmallInteger, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UtcDateTime
from core.geo.shapes import BoundaryMixin
from core.ids import uuid7


class AreaLevel(IntEnum):
    """省 → 州(市) → 县(市、区) → 乡镇(街道) → 村(社区)."""

    province = 1
    prefecture = 2
    county = 3
    township = 4
    community = 5


class Area(BoundaryMixin, Base):
    """An administrative area. ``area_path`` is the codes from the province down, each
    followed by ``/`` (e.g. ``530000000000/532900000000/``), so a subtree is one prefix."""

    __tablename__ = "area"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    level: Mapped[int] = mapped_column(SmallInteger)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("area.id"), nullable=True, index=True
    )
    area_path: Mapped[str] = mapped_column(String(255))
    urban_rural: Mapped[str | None] = mapped_column(String(8), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        Index(
            "ix_area_area_path", "area_path", postgresql_ops={"area_path": "varchar_pattern_ops"}
        ),
    )


class Grid(BoundaryMixin, Base):
    """A grid (网格) of households inside one community; ``area_path`` is the community's."""

    __tablename__ = "grid"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    community_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("area.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    area_path: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        UniqueConstraint("community_id", "code", name="uq_grid_community_id_code"),
        Index(
            "ix_grid_area_path", "area_path", postgresql_ops={"area_path": "varchar_pattern_ops"}
        ),
    )
