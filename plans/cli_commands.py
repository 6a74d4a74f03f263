"""What ``huzhu plan …`` does; core/cli.py wires these and prints their results.

Each returns data (dicts, lists, or YAML text) and raises :class:`~core.errors.DomainError`
for bad input; the database ones take a session and act as the system (an admin).

* ``huzhu plan templates`` → :func:`plan_templates`
* ``huzhu plan new AREA_CODE HAZARD [--template NAME]`` → :func:`plan_new`
* ``huzhu plan show PLAN_ID [--version N] [--yaml]`` → :func:`plan_show`
* ``huzhu plan validate FILE.yaml`` → :func:`plan_validate` (offline, no database)
* ``huzhu plan approve VERSION_ID`` → :func:`plan_approve`
* ``huzhu plan diff V1 V2`` → :func:`plan_diff`
* ``huzhu plan readiness PLAN_OR_VERSION [--json]`` → :func:`plan_readiness`
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import SYSTEM
from core.errors import Invalid, NotFound
from plans import service
from plans.documents import from_yaml, parse_document, to_yaml
from plans.models import PlanVersion
from plans.readiness import plan_version_for, readiness
from plans.schemas import PlanRead, PlanVersionRead
from plans.templates import list_templates


def plan_templates() -> list[dict[str, str]]:
    """The shipped handbooks: name, hazard, category, title, source."""
    return [asdict(t) for t in list_templates()]


async def plan_new(
    *, session: AsyncSession, area_code: str, hazard: str, template: str | None = None
) -> dict[str, Any]:
    """Create a plan from a handbook; its version 1 is a draft."""
    plan, version = await service.create_plan(
        session=session, principal=None, area_code=area_code, hazard=hazard, template=template,
        loc=(),
    )  # fmt: skip
    return {
        "plan_id": str(plan.id),
        "version_id": str(version.id),
        "version": version.version,
        "status": version.status,
        "area_code": area_code,
        "hazard": hazard,
        "template": version.template,
    }


async def plan_show(
    *, session: AsyncSession, plan_id: uuid.UUID, version: int | None = None, as_yaml: bool = False
) -> dict[str, Any] | str:
    """A plan and one version with its document (default: the latest version)."""
    plan = await service.get_plan(session=session, principal=SYSTEM, plan_id=plan_id)
    areas = await service.plan_areas(session, [plan])
    versions = await service.list_versions(session=session, principal=SYSTEM, plan_id=plan.id)
    chosen = [v for v in versions if version is None or v.version == version]
    if not chosen:
        raise NotFound(f"plan {plan_id} has no version {version}")
    shown: PlanVersion = chosen[-1]
    data = {
        "plan": PlanRead.of(plan, areas[plan.area_id], versions).model_dump(mode="json"),
        "version": PlanVersionRead.of(shown, plan).model_dump(mode="json"),
    }
    if as_yaml:
        head = f"plan {plan.id} version {shown.version} ({shown.status}), {plan.hazard}"
        return to_yaml({"document": shown.document}, header=head)
    return data


def plan_validate(path: Path) -> dict[str, Any]:
    """Check a plan file (YAML or JSON; a document, or ``document:`` wrapping one) without a
    database: structure, vocabularies and the shipped item catalogue. Depots and grids are
    checked when the plan is saved. Errors name the path inside the file."""
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if path.suffix == ".json" else from_yaml(text, loc=("file",))
    except json.JSONDecodeError as exc:
        raise Invalid.field(("file",), f"not valid JSON: {exc}") from exc
    loc: tuple[str, ...] = ()
    if isinstance(data, dict) and set(data) <= {"document", "area_code", "hazard", "template"}:
        if "document" not in data:
            raise Invalid.field(("document",), "no plan document in this file")
        data, loc = data["document"], ("document",)
    doc = parse_document(data, loc=loc)
    return {
        "file": str(path),
        "title": doc.title,
        "hazard": doc.hazard.value,
        "category": doc.category.value if doc.category else None,
        "levels": [lv.level for lv in doc.levels],
        "materials": len(doc.materials),
        "volunteer_skills": len(doc.volunteer_skills),
        "checkin_deadlines": len(doc.checkin_deadlines_minutes),
        "shelters": len(doc.shelters),
        "assembly_points": len(doc.assembly_points),
    }


async def plan_approve(*, session: AsyncSession, version_id: uuid.UUID) -> dict[str, Any]:
    """Approve a draft version (its plan's approved version is retired)."""
    version = await service.approve(session=session, principal=None, version_id=version_id)
    retired = await session.scalar(
        select(PlanVersion.version)
        .where(PlanVersion.plan_id == version.plan_id, PlanVersion.status == "retired")
        .order_by(PlanVersion.version.desc())
    )
    return {
        "version_id": str(version.id),
        "plan_id": str(version.plan_id),
        "version": version.version,
        "status": version.status,
        "last_retired_version": retired,
    }


async def plan_diff(*, session: AsyncSession, v1: uuid.UUID, v2: uuid.UUID) -> dict[str, Any]:
    """What changed from version ``v1`` to version ``v2`` (ids)."""
    diff = await service.diff_versions(
        session=session, principal=SYSTEM, version_id=v2, against_id=v1
    )
    return json.loads(json.dumps(diff, default=str))


async def plan_readiness(*, session: AsyncSession, ref: uuid.UUID) -> dict[str, Any]:
    """The readiness report of a plan (its approved version) or of a version id."""
    try:
        plan, version = await plan_version_for(session=session, principal=SYSTEM, plan_id=ref)
    except NotFound:
        try:
            _, owner = await service.get_version(session=session, principal=SYSTEM, version_id=ref)
        except NotFound:
            raise NotFound(f"no plan or plan version {ref}") from None
        plan, version = await plan_version_for(
            session=session, principal=SYSTEM, plan_id=owner.id, version_id=ref
        )
    report = await readiness(session=session, plan=plan, version=version)
    return report.model_dump(mode="json")
