"""Plan versions: new drafts, draft edits, approval (immutable from then on) and diffs."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.auth.roles import Principal
from core.errors import Conflict, Invalid
from core.registry.areas.models import Area
from plans.documents import merge_patch
from plans.models import Plan, PlanVersion, VersionStatus
from plans.rules import (
    acting,
    checked_document,
    emit_version,
    ensure_writer,
    get_plan,
    get_version,
    user_id,
)

IMMUTABLE = "approved versions are immutable; create a new version"


async def add_version(
    *,
    session: AsyncSession,
    principal: Principal | None,
    plan: Plan,
    document: dict[str, Any],
    template: str | None,
) -> PlanVersion:
    """Append a draft numbered after the plan's last version; ``plan_version.created``."""
    last = await session.scalar(
        select(func.max(PlanVersion.version)).where(PlanVersion.plan_id == plan.id)
    )
    version = PlanVersion(
        plan_id=plan.id,
        version=(last or 0) + 1,
        status=VersionStatus.draft.value,
        document=document,
        template=template,
        created_by=user_id(principal),
        created_at=clock.now(),
    )
    session.add(version)
    await session.flush()
    await emit_version(session, "plan_version.created", plan, version)
    return version


async def new_version(
    *,
    session: AsyncSession,
    principal: Principal | None,
    plan_id: uuid.UUID,
    document: dict[str, Any] | None = None,
    from_version: int | None = None,
) -> PlanVersion:
    """A new draft: ``document`` (validated) if given, else a copy of version number
    ``from_version`` (default: the latest), checked again when it is edited or approved.
    409 while the plan has a draft."""
    who = acting(principal)
    plan = await get_plan(session=session, principal=who, plan_id=plan_id)
    ensure_writer(who, plan.area_path)
    versions = list(
        await session.scalars(select(PlanVersion).where(PlanVersion.plan_id == plan.id))
    )
    draft = next((v for v in versions if v.status == VersionStatus.draft), None)
    if draft is not None:
        msg = f"version {draft.version} is still a draft; edit or approve it first"
        raise Conflict(msg, draft_id=str(draft.id))
    template = None
    if document is not None:
        area = await session.get(Area, plan.area_id)
        assert area is not None
        data = await checked_document(
            session=session, principal=who, data=document, area=area, hazard=plan.hazard,
            loc=("body", "document"),
        )  # fmt: skip
    else:
        wanted = from_version or max(v.version for v in versions)
        source = next((v for v in versions if v.version == wanted), None)
        if source is None:
            raise Invalid.field(("body", "from_version"), f"this plan has no version {wanted}")
        data, template = source.document, source.template
    return await add_version(
        session=session, principal=principal, plan=plan, document=data, template=template
    )


async def update_draft(
    *,
    session: AsyncSession,
    principal: Principal | None,
    version_id: uuid.UUID,
    patch: dict[str, Any],
) -> PlanVersion:
    """Merge ``patch`` (RFC 7396) into a draft; the result must validate (422 naming
    ``("body", "document", …)``). 409 for approved and retired versions."""
    who = acting(principal)
    version, plan = await get_version(session=session, principal=who, version_id=version_id)
    ensure_writer(who, plan.area_path)
    if version.status != VersionStatus.draft:
        raise Conflict(IMMUTABLE, version_status=version.status)
    area = await session.get(Area, plan.area_id)
    assert area is not None
    data = await checked_document(
        session=session, principal=who, data=merge_patch(version.document, patch), area=area,
        hazard=plan.hazard, loc=("body", "document"),
    )  # fmt: skip
    done = await session.execute(
        update(PlanVersion)
        .where(PlanVersion.id == version.id, PlanVersion.status == VersionStatus.draft.value)
        .values(document=data)
    )
    if done.rowcount != 1:
        raise Conflict(IMMUTABLE)
    plan.updated_at = clock.now()
    await session.flush()
    await session.refresh(version)
    await emit_version(session, "plan_version.updated", plan, version, fields=sorted(patch))
    return version


async def approve(
    *, session: AsyncSession, principal: Principal | None, version_id: uuid.UUID
) -> PlanVersion:
    """Approve a draft (checked again against stored items, depots and grids: 422 naming
    ``("document", …)``); the previously approved version is retired. 409 unless a draft."""
    who = acting(principal)
    version, plan = await get_version(session=session, principal=who, version_id=version_id)
    ensure_writer(who, plan.area_path)
    if version.status != VersionStatus.draft:
        raise Conflict(f"version {version.version} is {version.status}; only a draft is approved")
    area = await session.get(Area, plan.area_id)
    assert area is not None
    data = await checked_document(
        session=session, principal=who, data=version.document, area=area,
        hazard=plan.hazard, loc=("document",),
    )  # fmt: skip
    retired = await session.scalar(
        select(PlanVersion.id).where(
            PlanVersion.plan_id == plan.id, PlanVersion.status == VersionStatus.approved.value
        )
    )
    now = clock.now()
    await session.execute(
        update(PlanVersion)
        .where(PlanVersion.plan_id == plan.id, PlanVersion.status == VersionStatus.approved.value)
        .values(status=VersionStatus.retired.value)
    )
    done = await session.execute(
        update(PlanVersion)
        .where(PlanVersion.id == version.id, PlanVersion.status == VersionStatus.draft.value)
        .values(
            status=VersionStatus.approved.value,
            approved_by=user_id(principal),
            approved_at=now,
            document=data,
        )
    )
    if done.rowcount != 1:
        raise Conflict(f"version {version.version} was changed meanwhile; reload it")
    plan.title, plan.updated_at = data["title"], now
    await session.flush()
    await session.refresh(version)
    await emit_version(session, "plan_version.approved", plan, version, retired_id=retired)
    return version
