"""Routes for plans and handbooks (mounted under /api/v1 by core/app.py).

Bodies may be JSON or the same shape in YAML (``Content-Type: application/yaml``);
``?format=yaml`` answers a version or a template in YAML.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import Principal
from core.http.deps import CurrentUser, SessionDep
from core.http.listing import Cursor, Limit, Page, after_uuid, page_of
from plans import service
from plans.http import FormatQuery, YamlBodyRoute, yaml_response
from plans.schema import PlanDocument
from plans.schemas import (
    DiffRead,
    PlanCreate,
    PlanRead,
    PlanVersionRead,
    PlanVersionSummary,
    TemplateRead,
    VersionCreate,
    VersionUpdate,
)
from plans.templates import list_templates, load_template
from plans.vocab import Hazard

router = APIRouter(tags=["plans"], route_class=YamlBodyRoute)

CodeQuery = Annotated[str | None, Query(pattern=r"^\d{12}$", description="Area and below.")]
AgainstQuery = Annotated[uuid.UUID | None, Query(description="Default: the previous version.")]
YAML_NOTE = "JSON, or the same shape in YAML (Content-Type: application/yaml)."


@router.get("/plans/templates", response_model=list[TemplateRead])
async def get_templates(_: CurrentUser) -> list[TemplateRead]:
    """The classification handbooks (分类手册) a plan can start from."""
    return [TemplateRead(**asdict(t)) for t in list_templates()]


@router.get("/plans/templates/{name}", response_model=dict[str, Any])
async def get_template(name: str, _: CurrentUser, format: FormatQuery = "json") -> Any:
    """One handbook: a plan document (``?format=yaml`` for the shipped YAML form)."""
    data = load_template(name)
    return yaml_response(data, header=f"template {name}") if format == "yaml" else data


@router.get("/plans/schema", response_model=dict[str, Any])
async def get_schema() -> dict[str, Any]:
    """The JSON Schema of a plan document (every field documented)."""
    return PlanDocument.model_json_schema()


@router.post("/plans", status_code=201, response_model=PlanRead, description=YAML_NOTE)
async def create_plan(body: PlanCreate, principal: CurrentUser, session: SessionDep) -> PlanRead:
    plan, _ = await service.create_plan(
        session=session,
        principal=principal,
        area_code=body.area_code,
        hazard=body.hazard.value,
        template=body.template,
        document=body.document,
    )
    return await _plan_read(session, principal, plan.id)


@router.get("/plans", response_model=Page[PlanRead])
async def list_plans(
    principal: CurrentUser,
    session: SessionDep,
    area: CodeQuery = None,
    hazard: Annotated[Hazard | None, Query()] = None,
    limit: Limit = 50,
    next: Cursor = None,
) -> Page[PlanRead]:
    """Plans in your scope by id, with their latest and approved versions."""
    rows = await service.list_plans(
        session=session,
        principal=principal,
        area_code=area,
        hazard=hazard.value if hazard else None,
        after=after_uuid(next),
        limit=limit + 1,
    )
    rows, cursor = page_of(rows, limit, lambda r: [str(r[0].id)])
    versions = await service.list_versions(
        session=session, principal=principal, plan_ids=[p.id for p, _ in rows]
    )
    items = [PlanRead.of(p, a, [v for v in versions if v.plan_id == p.id]) for p, a in rows]
    return Page[PlanRead](items=items, next=cursor)


@router.get("/plans/{plan_id}", response_model=PlanRead)
async def get_plan(plan_id: uuid.UUID, principal: CurrentUser, session: SessionDep) -> PlanRead:
    return await _plan_read(session, principal, plan_id)


async def _plan_read(session: AsyncSession, principal: Principal, plan_id: uuid.UUID) -> PlanRead:
    plan = await service.get_plan(session=session, principal=principal, plan_id=plan_id)
    area = (await service.plan_areas(session, [plan]))[plan.area_id]
    versions = await service.list_versions(session=session, principal=principal, plan_id=plan.id)
    return PlanRead.of(plan, area, versions)


@router.get("/plans/{plan_id}/versions", response_model=Page[PlanVersionSummary])
async def list_versions(
    plan_id: uuid.UUID, principal: CurrentUser, session: SessionDep
) -> Page[PlanVersionSummary]:
    """Every version of the plan, oldest first (drafts only for coordinators)."""
    plan = await service.get_plan(session=session, principal=principal, plan_id=plan_id)
    versions = await service.list_versions(session=session, principal=principal, plan_id=plan_id)
    return Page[PlanVersionSummary](items=[PlanVersionSummary.of(v, plan) for v in versions])


@router.post(
    "/plans/{plan_id}/versions",
    status_code=201,
    response_model=PlanVersionRead,
    description=YAML_NOTE,
)
async def create_version(
    plan_id: uuid.UUID, body: VersionCreate, principal: CurrentUser, session: SessionDep
) -> PlanVersionRead:
    version = await service.new_version(
        session=session,
        principal=principal,
        plan_id=plan_id,
        document=body.document,
        from_version=body.from_version,
    )
    return await _version_read(session, principal, version.id)


async def _version_read(
    session: AsyncSession, principal: Principal, version_id: uuid.UUID
) -> PlanVersionRead:
    version, plan = await service.get_version(
        session=session, principal=principal, version_id=version_id
    )
    return PlanVersionRead.of(version, plan)


@router.get("/plan-versions/{version_id}", response_model=PlanVersionRead)
async def get_version(
    version_id: uuid.UUID, principal: CurrentUser, session: SessionDep, format: FormatQuery = "json"
) -> PlanVersionRead | Response:
    """A version with its document; ``?format=yaml`` gives ``document:`` in YAML, ready to
    edit and send back (PATCH, Content-Type: application/yaml) while it is a draft."""
    read = await _version_read(session, principal, version_id)
    if format == "yaml":
        head = f"plan {read.plan_id} version {read.version} ({read.status}), {read.hazard}"
        return yaml_response({"document": read.document}, header=head)
    return read


@router.patch("/plan-versions/{version_id}", response_model=PlanVersionRead, description=YAML_NOTE)
async def update_version(
    version_id: uuid.UUID, body: VersionUpdate, principal: CurrentUser, session: SessionDep
) -> PlanVersionRead:
    """Merge changes into a draft (409 once approved: approved versions are immutable)."""
    await service.update_draft(
        session=session, principal=principal, version_id=version_id, patch=body.document
    )
    return await _version_read(session, principal, version_id)


@router.post("/plan-versions/{version_id}/approve", response_model=PlanVersionRead)
async def approve_version(
    version_id: uuid.UUID, principal: CurrentUser, session: SessionDep
) -> PlanVersionRead:
    """Approve a draft; the plan's previously approved version is retired."""
    await service.approve(session=session, principal=principal, version_id=version_id)
    return await _version_read(session, principal, version_id)


@router.get("/plan-versions/{version_id}/diff", response_model=DiffRead)
async def diff_version(
    version_id: uuid.UUID,
    principal: CurrentUser,
    session: SessionDep,
    against: AgainstQuery = None,
) -> DiffRead:
    """What changed from ``against`` (default: the previous version, or the handbook a
    first version started from) to this version."""
    diff = await service.diff_versions(
        session=session, principal=principal, version_id=version_id, against_id=against
    )
    return DiffRead.model_validate(diff)
