"""Plans and their versions: the rules. No FastAPI here; services flush, never commit.

Who may do what:

* admin: anything, anywhere (``principal=None`` is the system: CLI, demo loader).
* coordinator: creates plans for areas in their subtree, their own root included (a
  county coordinator keeps the county's plan), edits drafts and approves them there.
* grid worker, volunteer, household contact, auditor: read plans in their scope, and
  only approved and retired versions (drafts are 404 to them); no writes (403).

Objects outside the caller's scope are 404. A version is a draft, then approved
(immutable from then on: edits are 409), then retired when a later version is approved.
A plan has at most one draft at a time and exactly one approved version once approved.
Events ``plan.created``, ``plan_version.created``/``updated``/``approved`` go to the
stream ``area:<area_path>``. Versions live in :mod:`plans.versions`, diffs in
:mod:`plans.compare`, the document rules in :mod:`plans.schema` and :mod:`plans.checks`.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.auth.roles import Principal
from core.auth.scope import scope_clause
from core.errors import Conflict, FieldError, Invalid
from core.registry.areas.models import Area
from core.registry.areas.rules import area_in_scope_or_invalid, flush_or_conflict
from plans.compare import diff_versions
from plans.documents import merge_patch
from plans.models import Plan, PlanVersion
from plans.rules import (
    acting,
    checked_document,
    emit_version,
    ensure_writer,
    get_plan,
    get_version,
    sees_drafts,
)
from plans.templates import load_template, template_names
from plans.versions import add_version, approve, new_version, update_draft
from plans.vocab import Hazard

__all__ = [
    "approve",
    "create_plan",
    "diff_versions",
    "get_plan",
    "get_version",
    "list_plans",
    "list_versions",
    "new_version",
    "plan_areas",
    "update_draft",
]


async def create_plan(
    *,
    session: AsyncSession,
    principal: Principal | None,
    area_code: str,
    hazard: str,
    template: str | None = None,
    document: dict[str, Any] | None = None,
    loc: tuple[str, ...] = ("body",),
) -> tuple[Plan, PlanVersion]:
    """A plan for ``hazard`` at ``area_code`` and its version 1 (a draft): the template
    (default: the hazard's handbook) with ``document`` merged over it (RFC 7396).

    Errors name ``loc + (field,)``, the document's ``loc + ("document", …)``. 409 if the
    area already has a plan for this hazard. Emits ``plan.created`` and
    ``plan_version.created``.
    """
    who = acting(principal)
    area = await area_in_scope_or_invalid(
        session=session, principal=who, code=area_code, loc=(*loc, "area_code")
    )
    ensure_writer(who, area.area_path)
    if hazard not in Hazard.__members__:
        raise Invalid.field((*loc, "hazard"), f"unknown hazard {hazard!r}")
    name = template if template is not None else hazard
    if name not in template_names():
        raise Invalid.field((*loc, "template"), f"no plan template named {name!r}")
    base = load_template(name)
    if base.get("hazard") != hazard:
        msg = f"template {name} is for {base.get('hazard')}, not {hazard}"
        raise Invalid.field((*loc, "template"), msg)
    data = merge_patch(base, document) if document is not None else base
    existing = await session.scalar(
        select(Plan.id).where(Plan.area_id == area.id, Plan.hazard == hazard)
    )
    if existing is not None:
        msg = f"{area.name} already has a {hazard} plan ({existing}); add a version to it"
        raise Conflict(msg, errors=[FieldError((*loc, "hazard"), msg)], plan_id=str(existing))
    stored_doc = await checked_document(
        session=session, principal=who, data=data, area=area, hazard=hazard,
        loc=(*loc, "document"),
    )  # fmt: skip
    now = clock.now()
    plan = Plan(
        area_id=area.id, area_path=area.area_path, hazard=hazard,
        title=stored_doc["title"], created_at=now, updated_at=now,
    )  # fmt: skip
    msg = f"{area.name} already has a {hazard} plan"
    await flush_or_conflict(session, plan, msg, (*loc, "hazard"))
    version = await add_version(
        session=session, principal=principal, plan=plan, document=stored_doc, template=name
    )
    await emit_version(session, "plan.created", plan, version, area_code=area.code)
    return plan, version


async def list_plans(
    *,
    session: AsyncSession,
    principal: Principal,
    area_code: str | None = None,
    hazard: str | None = None,
    after: uuid.UUID | None = None,
    limit: int,
) -> list[tuple[Plan, Area]]:
    """Plans in scope with their areas, ordered by id (keyset: ``after`` is the last id).

    ``area_code``: plans of that area and the areas below it.
    """
    stmt = (
        select(Plan, Area)
        .join(Area, Area.id == Plan.area_id)
        .where(scope_clause(principal, Plan.area_path))
    )
    if area_code is not None:
        root = await area_in_scope_or_invalid(
            session=session, principal=principal, code=area_code, loc=("query", "area")
        )
        stmt = stmt.where(Plan.area_path.startswith(root.area_path, autoescape=True))
    if hazard is not None:
        stmt = stmt.where(Plan.hazard == hazard)
    if after is not None:
        stmt = stmt.where(Plan.id > after)
    rows = await session.execute(stmt.order_by(Plan.id).limit(limit))
    return [(plan, area) for plan, area in rows.all()]


async def plan_areas(session: AsyncSession, plans: list[Plan]) -> dict[uuid.UUID, Area]:
    """The areas of ``plans`` by area id (one query)."""
    ids = {p.area_id for p in plans}
    return {a.id: a for a in await session.scalars(select(Area).where(Area.id.in_(ids)))}


async def list_versions(
    *,
    session: AsyncSession,
    principal: Principal,
    plan_ids: list[uuid.UUID] | None = None,
    plan_id: uuid.UUID | None = None,
) -> list[PlanVersion]:
    """Versions of one plan (checked in scope) or of already-listed ``plan_ids``, by
    plan and number; drafts only for writers."""
    if plan_id is not None:
        await get_plan(session=session, principal=principal, plan_id=plan_id)
        plan_ids = [plan_id]
    stmt = select(PlanVersion).where(PlanVersion.plan_id.in_(plan_ids or []))
    if not sees_drafts(principal):
        stmt = stmt.where(PlanVersion.status != "draft")
    stmt = stmt.order_by(PlanVersion.plan_id, PlanVersion.version)
    return list((await session.scalars(stmt)).all())
