"""Organizations and the community funds hosted by charity organizations."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UtcDateTime
from core.ids import uuid7


class OrgKind(StrEnum):
    charity_organization = "charity_organization"  # 慈善组织
    community_social_organization = "community_social_organization"  # 社区社会组织
    social_work_agency = "social_work_agency"  # 社会工作服务机构
    volunteer_team = "volunteer_team"  # 志愿服务队伍
    enterprise = "enterprise"  # 企业
    residents_committee = "residents_committee"  # 居民委员会
    villagers_committee = "villagers_committee"  # 村民委员会


class OrgCategory(StrEnum):
    """The five categories of community social organizations (2018 text)."""

    life_services = "life_services"  # 生活服务类
    charity_welfare = "charity_welfare"  # 公益慈善类
    mutual_aid = "mutual_aid"  # 居民互助类
    culture_sports = "culture_sports"  # 文体娱乐类
    rural_production = "rural_production"  # 农村生产技术服务类


class OrgRegistration(StrEnum):
    registered = "registered"  # 登记
    township_managed = "township_managed"  # 乡镇(街道)备案管理


class Organization(Base):
    __tablename__ = "organization"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    category: Mapped[str | None] = mapped_column(String(40), nullable=True)
    registration: Mapped[str] = mapped_column(String(20))
    credit_code: Mapped[str | None] = mapped_column(String(18), nullable=True, unique=True)
    area_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("area.id"), index=True)
    area_path: Mapped[str] = mapped_column(String(255))
    public_fundraising: Mapped[bool] = mapped_column(Boolean, default=False)
    phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        Index(
            "ix_organization_area_path",
            "area_path",
            postgresql_ops={"area_path": "varchar_pattern_ops"},
        ),
    )


class CommunityFund(Base):
    """社区基金: named "{host}{township}{字号}社区基金" or "{host}{community}{字号}基金"."""

    __tablename__ = "community_fund"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    name: Mapped[str] = mapped_column(String(300), unique=True)
    zihao: Mapped[str] = mapped_column(String(60))
    host_org_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organization.id"), index=True)
    area_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("area.id"), index=True)
    area_path: Mapped[str] = mapped_column(String(255))
    balance_fen: Mapped[int] = mapped_column(
        BigInteger, default=0, server_default="0", doc="Money held, in fen; the fund ledger's sum."
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        CheckConstraint("balance_fen >= 0", name="balance_not_negative"),
        Index(
            "ix_community_fund_area_path",
            "area_path",
            postgresql_ops={"area_path": "varchar_pattern_ops"},
        ),
    )
