"""Users, bearer tokens, one-time invite codes and the personal-data access log."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UtcDateTime
from core.ids import uuid7


class User(Base):
    """A person who logs in. Volunteer and household links are filled by later domains."""

    __tablename__ = "app_user"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    role: Mapped[str] = mapped_column(String(32))
    area_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("area.id"), nullable=True)
    scope_path: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)
    household_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    volunteer_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    can_read_personal: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class UserGrid(Base):
    """The grids (网格) a grid worker covers."""

    __tablename__ = "user_grid"

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True
    )
    grid_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("grid.id", ondelete="CASCADE"), primary_key=True
    )


class Token(Base):
    """An opaque bearer token; only its SHA-256 is stored."""

    __tablename__ = "auth_token"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("app_user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    scope_path: Mapped[str | None] = mapped_column(String(255), nullable=True)
    label: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class Invite(Base):
    """A single-use code (sent as a link) exchanged once for a token."""

    __tablename__ = "invite"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("app_user.id"))
    role: Mapped[str] = mapped_column(String(32))
    area_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("area.id"), nullable=True)
    scope_path: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)
    username: Mapped[str] = mapped_column(String(80))
    display_name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("app_user.id"), nullable=True
    )


class PersonalDataAccess(Base):
    """One row per read of personal data: who, when, whose, why."""

    __tablename__ = "personal_data_access"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("app_user.id"))
    token_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    role: Mapped[str] = mapped_column(String(32))
    subject_kind: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    purpose: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_personal_data_access_subject", "subject_kind", "subject_id"),)
