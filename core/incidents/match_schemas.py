"""Wire shapes of matching: a batch's summary, tasks, assignments and overrides.

Assignments name volunteers by id only (no name or phone: personal data stays with the
volunteer registry's reads); ``reason`` is the explanation of
:mod:`core.incidents.match_explain`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from core.incidents.match_models import OverrideKind


class MatchBatchSummary(BaseModel):
    """What one batch did. ``batch_id`` is null when it changed nothing (no row kept) and
    ``skipped`` true when another batch of the incident was running."""

    incident_id: uuid.UUID
    batch_id: uuid.UUID | None = None
    skipped: bool = False
    solver: str | None = None
    needs: int = 0
    volunteers: int = 0
    tasks: int = 0
    assigned: int = 0
    withdrawn: int = 0
    matched: int = 0
    load_ms: float = 0.0
    solve_ms: float = 0.0
    write_ms: float = 0.0


class AssignmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    task_id: uuid.UUID
    need_id: uuid.UUID
    incident_id: uuid.UUID
    volunteer_id: uuid.UUID
    area_path: str
    status: str
    distance_m: float
    eta_s: float
    priority: float
    reason: dict[str, Any]
    attempt: int
    batch_id: uuid.UUID | None
    offer_deadline: datetime | None
    is_drill: bool
    created_at: datetime
    updated_at: datetime


class TaskLineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    reservation_id: uuid.UUID
    item_id: uuid.UUID
    item_code: str
    quantity: int


class TaskRead(BaseModel):
    """A task with what it carries and every assignment it had (newest first)."""

    id: uuid.UUID
    need_id: uuid.UUID
    incident_id: uuid.UUID
    area_path: str
    depot_id: uuid.UUID | None
    status: str
    batch_id: uuid.UUID | None
    is_drill: bool
    created_at: datetime
    lines: list[TaskLineRead]
    assignments: list[AssignmentRead]


class OverrideCreate(BaseModel):
    """Pin or forbid exactly one of a volunteer or a depot for the need (checked by the
    service, so the error names both fields)."""

    model_config = ConfigDict(extra="forbid")

    kind: OverrideKind
    volunteer_id: uuid.UUID | None = None
    depot_id: uuid.UUID | None = None


class OverrideRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    need_id: uuid.UUID
    area_path: str
    kind: str
    volunteer_id: uuid.UUID | None
    depot_id: uuid.UUID | None
    created_by: uuid.UUID | None
    created_at: datetime
