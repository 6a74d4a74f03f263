"""Wire shapes of the plan routes (the plan document itself is :mod:`plans.schema`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from core.registry.areas.models import Area
from plans.models import Plan, PlanVersion
from plans.vocab import Hazard

AreaCode = Annotated[str, Field(pattern=r"^\d{12}$", description="The plan's area.")]
Document = Annotated[
    dict[str, Any], Field(description="A plan document (GET /api/v1/plans/schema).")
]


class PlanCreate(BaseModel):
    """A new plan. Its first version is the ``template`` (default: the hazard's handbook),
    with ``document`` merged over it (RFC 7396); version 1 is a draft."""

    model_config = ConfigDict(extra="forbid")

    area_code: AreaCode
    hazard: Hazard
    template: str | None = Field(None, description="A handbook name (GET /plans/templates).")
    document: Document | None = None


class VersionCreate(BaseModel):
    """A new draft: ``document`` if given, else a copy of version ``from_version`` (default:
    the latest). A plan has at most one draft at a time."""

    model_config = ConfigDict(extra="forbid")

    document: Document | None = None
    from_version: int | None = Field(None, ge=1)


class VersionUpdate(BaseModel):
    """Changes to a draft: ``document`` is merged over it (RFC 7396: ``null`` deletes a
    key, lists are replaced whole); the result must be a valid document."""

    model_config = ConfigDict(extra="forbid")

    document: Document


class VersionRef(BaseModel):
    id: uuid.UUID
    version: int
    status: str
    approved_at: datetime | None = None

    @classmethod
    def of(cls, v: PlanVersion) -> VersionRef:
        return cls(id=v.id, version=v.version, status=v.status, approved_at=v.approved_at)


class PlanRead(BaseModel):
    """A plan with its latest and its approved version (the one incidents activate)."""

    id: uuid.UUID
    area_id: uuid.UUID
    area_code: str
    area_name: str
    area_path: str
    hazard: str
    title: str
    created_at: datetime
    updated_at: datetime
    latest: VersionRef | None = None
    approved: VersionRef | None = None

    @classmethod
    def of(cls, plan: Plan, area: Area, versions: list[PlanVersion]) -> PlanRead:
        approved = [v for v in versions if v.status == "approved"]
        return cls(
            id=plan.id,
            area_id=plan.area_id,
            area_code=area.code,
            area_name=area.name,
            area_path=plan.area_path,
            hazard=plan.hazard,
            title=plan.title,
            created_at=plan.created_at,
            updated_at=plan.updated_at,
            latest=VersionRef.of(max(versions, key=lambda v: v.version)) if versions else None,
            approved=VersionRef.of(approved[0]) if approved else None,
        )


class PlanVersionSummary(BaseModel):
    """A version without its document."""

    id: uuid.UUID
    plan_id: uuid.UUID
    area_path: str
    hazard: str
    version: int
    status: str
    template: str | None
    created_by: uuid.UUID | None
    created_at: datetime
    approved_by: uuid.UUID | None
    approved_at: datetime | None

    @classmethod
    def fields_of(cls, v: PlanVersion, plan: Plan) -> dict[str, Any]:
        return {
            "id": v.id,
            "plan_id": v.plan_id,
            "area_path": plan.area_path,
            "hazard": plan.hazard,
            "version": v.version,
            "status": v.status,
            "template": v.template,
            "created_by": v.created_by,
            "created_at": v.created_at,
            "approved_by": v.approved_by,
            "approved_at": v.approved_at,
        }

    @classmethod
    def of(cls, v: PlanVersion, plan: Plan) -> PlanVersionSummary:
        return cls(**cls.fields_of(v, plan))


class PlanVersionRead(PlanVersionSummary):
    """A version with its document."""

    document: dict[str, Any]

    @classmethod
    def of(cls, v: PlanVersion, plan: Plan) -> PlanVersionRead:
        return cls(**cls.fields_of(v, plan), document=v.document)


class DiffSide(BaseModel):
    """One side of a diff: a version, or the handbook a first version started from."""

    version_id: uuid.UUID | None = None
    plan_id: uuid.UUID | None = None
    version: int | None = None
    template: str | None = None


class DiffRead(BaseModel):
    """Changes from ``against`` to ``version`` (see :mod:`plans.diff` for the shape)."""

    version: DiffSide
    against: DiffSide
    counts: dict[str, int]
    changes: list[dict[str, Any]]


class TemplateRead(BaseModel):
    name: str
    hazard: str
    category: str
    title: str
    source: str
