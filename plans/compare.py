"""Diffs between stored plan versions (see :mod:`plans.diff` for the change shape)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import Principal
from core.errors import Invalid, NotFound
from plans.diff import count_changes, diff_documents
from plans.documents import parse_document, stored
from plans.models import PlanVersion, VersionStatus
from plans.rules import get_version, sees_drafts
from plans.templates import load_template, template_names


async def diff_versions(
    *,
    session: AsyncSession,
    principal: Principal,
    version_id: uuid.UUID,
    against_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """Changes from ``against_id`` (default: the previous version of the same plan, or
    for a first version the handbook it started from) to ``version_id``."""
    version, _ = await get_version(session=session, principal=principal, version_id=version_id)
    before, side = await _against(session, principal, version, against_id)
    changes = diff_documents(before, version.document)
    this = {"version_id": version.id, "plan_id": version.plan_id, "version": version.version}
    return {"version": this, "against": side, "counts": count_changes(changes), "changes": changes}


async def _against(
    session: AsyncSession, principal: Principal, version: PlanVersion, against_id: uuid.UUID | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    other: PlanVersion | None = None
    if against_id is not None:
        try:
            other, _ = await get_version(
                session=session, principal=principal, version_id=against_id
            )
        except NotFound as exc:
            msg = f"no plan version with id {against_id}"
            raise Invalid.field(("query", "against"), msg) from exc
    else:
        stmt = select(PlanVersion).where(
            PlanVersion.plan_id == version.plan_id, PlanVersion.version < version.version
        )
        if not sees_drafts(principal):
            stmt = stmt.where(PlanVersion.status != VersionStatus.draft.value)
        other = await session.scalar(stmt.order_by(PlanVersion.version.desc()).limit(1))
    if other is not None:
        side = {"version_id": other.id, "plan_id": other.plan_id, "version": other.version}
        return other.document, side
    name = version.template
    if name is not None and name in template_names():
        return stored(parse_document(load_template(name), loc=("template",))), {"template": name}
    return {}, {}
