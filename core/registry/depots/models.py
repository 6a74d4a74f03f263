"""Depots: places that hold stock or serve people (warehouses, charity sites, shelters …)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, JsonType, UtcDateTime
from core.geo.shapes import PointMixin, point_checks
from core.ids import uuid7


class DepotKind(StrEnum):
    warehouse = "warehouse"  # 应急物资仓库
    charity_supermarket = "charity_supermarket"  # 慈善超市
    charity_canteen = "charity_canteen"  # 慈善食堂
    party_service_center = "party_service_center"  # 党群服务中心
    civilization_station = "civilization_station"  # 新时代文明实践站(所)
    shelter = "shelter"  # 避难场所
    assembly_point = "assembly_point"  # 应急集合点
    charity_site = "charity_site"  # 慈善阵地: 街区、公园、广场、楼宇、学校、医院、博物馆 …


class Depot(PointMixin, Base):
    __tablename__ = "depot"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40), index=True)
    site_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    owner_org_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("organization.id"), nullable=True, index=True
    )
    area_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("area.id"), index=True)
    area_path: Mapped[str] = mapped_column(String(255))
    address: Mapped[str] = mapped_column(String(300), default="")
    opening_hours: Mapped[dict[str, Any]] = mapped_column(JsonType)
    capacity_people: Mapped[int | None] = mapped_column(Integer, nullable=True)
    phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        *point_checks(),
        Index(
            "ix_depot_area_path", "area_path", postgresql_ops={"area_path": "varchar_pattern_ops"}
        ),
        Index("ix_depot_lon_lat", "lon", "lat"),
    )
