"""Tasks, assignments, overrides and matching batches (DESIGN.md: Needs, tasks, assignments).

A need is split by the solver into tasks: one per depot it takes stock from (with the
lines reserved there), or one without a depot (a visit, or a need with nothing to carry).
A task has at most one live assignment (a partial unique index on both engines). An
assignment records why it was chosen (``reason``). Overrides pin or forbid a volunteer or
a depot for a need. Each solve is one ``match_batch`` row with its figures.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, JsonType, UtcDateTime
from core.ids import uuid7


class AssignmentStatus(StrEnum):
    proposed = "proposed"
    offered = "offered"
    accepted = "accepted"
    picked_up = "picked_up"
    en_route = "en_route"
    arrived = "arrived"
    done = "done"
    declined = "declined"
    expired = "expired"
    withdrawn = "withdrawn"
    failed = "failed"
    cancelled = "cancelled"


# A task's live assignment is one of these (at most one per task).
LIVE_STATUSES = ("proposed", "offered", "accepted", "picked_up", "en_route", "arrived")
# Accepted work is never reshuffled by the solver; proposed/offered may be withdrawn.
LOCKED_STATUSES = ("accepted", "picked_up", "en_route", "arrived")
_LIVE_SQL = "status IN ('proposed', 'offered', 'accepted', 'picked_up', 'en_route', 'arrived')"


class TaskStatus(StrEnum):
    open = "open"  # waiting for a volunteer
    assigned = "assigned"  # has a live assignment
    done = "done"
    cancelled = "cancelled"


class Task(Base):
    """A piece of a need one volunteer can do: from one depot (or none) to the need."""

    __tablename__ = "task"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    need_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("need.id"), index=True)
    incident_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("incident.id"), index=True)
    area_path: Mapped[str] = mapped_column(String(255))
    depot_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("depot.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default=TaskStatus.open.value)
    batch_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("match_batch.id"), nullable=True
    )
    is_drill: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        Index(
            "ix_task_area_path", "area_path", postgresql_ops={"area_path": "varchar_pattern_ops"}
        ),
        Index("ix_task_incident_status", "incident_id", "status"),
    )


class TaskLine(Base):
    """What a task carries: a reserved quantity of one item from the task's depot."""

    __tablename__ = "task_line"

    task_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("task.id", ondelete="CASCADE"), primary_key=True
    )
    reservation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("stock_reservation.id"), primary_key=True, index=True
    )  # indexed alone too: "is this reservation on a task" is asked every batch
    item_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("item.id"))
    quantity: Mapped[int] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)


class Assignment(Base):
    """A task offered to (or done by) one volunteer, and why the solver chose them."""

    __tablename__ = "assignment"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    task_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("task.id"), index=True)
    need_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("need.id"), index=True)
    incident_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("incident.id"))
    volunteer_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("volunteer.id"), index=True)
    area_path: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), default=AssignmentStatus.proposed.value)
    distance_m: Mapped[float] = mapped_column(Float, doc="Travel: volunteer → depot → need.")
    eta_s: Mapped[float] = mapped_column(Float)
    priority: Mapped[float] = mapped_column(Float)
    reason: Mapped[dict[str, Any]] = mapped_column(
        JsonType, doc="skills/languages matched, candidates, runner-up, solver, batch."
    )
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    batch_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("match_batch.id"), nullable=True
    )
    offer_deadline: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    is_drill: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        Index(
            "uq_assignment_live_task",
            "task_id",
            unique=True,
            sqlite_where=text(_LIVE_SQL),
            postgresql_where=text(_LIVE_SQL),
        ),
        Index(
            "ix_assignment_area_path",
            "area_path",
            postgresql_ops={"area_path": "varchar_pattern_ops"},
        ),
        Index("ix_assignment_volunteer_status", "volunteer_id", "status"),
        Index("ix_assignment_incident_status", "incident_id", "status"),
    )


class OverrideKind(StrEnum):
    pin = "pin"
    forbid = "forbid"


class MatchOverride(Base):
    """A coordinator's pin or ban of one volunteer or one depot for a need."""

    __tablename__ = "match_override"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    need_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("need.id"), index=True)
    area_path: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(10))
    volunteer_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("volunteer.id"), nullable=True
    )
    depot_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("depot.id"), nullable=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("app_user.id"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        CheckConstraint("(volunteer_id IS NULL) <> (depot_id IS NULL)", name="one_target"),
        CheckConstraint("kind IN ('pin', 'forbid')", name="kind_known"),
    )


class MatchBatch(Base):
    """One solve of one incident's open needs, with its figures."""

    __tablename__ = "match_batch"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    incident_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("incident.id"), index=True)
    solver: Mapped[str] = mapped_column(String(20), doc="min_cost_flow, or greedy past budget.")
    needs: Mapped[int] = mapped_column(Integer)
    volunteers: Mapped[int] = mapped_column(Integer)
    tasks: Mapped[int] = mapped_column(Integer)
    assigned: Mapped[int] = mapped_column(Integer)
    withdrawn: Mapped[int] = mapped_column(Integer, default=0)
    load_ms: Mapped[float] = mapped_column(Float)
    solve_ms: Mapped[float] = mapped_column(Float)
    write_ms: Mapped[float] = mapped_column(Float)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime] = mapped_column(UtcDateTime())
