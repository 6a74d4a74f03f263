"""Shared by the plan services: who writes, lookups in scope, checks against stored rows."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import SYSTEM, Principal, Role
from core.auth.scope import ensure_in_scope, in_scope
from core.errors import ErrorList, Forbidden, Invalid, NotFound
from core.events.outbox import emit
from core.registry.areas.models import Area, AreaLevel, Grid
from core.registry.depots.models import Depot, DepotKind
from core.registry.items.models import Item
from plans.documents import parse_document, stored
from plans.models import Plan, PlanVersion, VersionStatus

WRITERS = frozenset({Role.admin, Role.coordinator})

PLACE_KINDS = {
    "shelters": frozenset({DepotKind.shelter.value}),
    "assembly_points": frozenset({DepotKind.assembly_point.value, DepotKind.shelter.value}),
}
Loc = Sequence[str | int]


def acting(principal: Principal | None) -> Principal:
    """``principal`` or :data:`SYSTEM` for ``None``."""
    return principal or SYSTEM


def user_id(principal: Principal | None) -> uuid.UUID | None:
    """The id to record in ``created_by``/``approved_by`` (none for the system)."""
    return None if principal is None or principal is SYSTEM else principal.user_id


def ensure_writer(principal: Principal, area_path: str) -> None:
    """403 unless an admin or a coordinator whose subtree (root included) holds the plan."""
    if principal.role not in WRITERS:
        raise Forbidden(f"role {principal.role.value} may not change plans")
    if not in_scope(principal, area_path):  # callers look the plan up in scope first
        raise NotFound("plan not found")


def sees_drafts(principal: Principal) -> bool:
    """Writers see drafts; other roles only approved and retired versions."""
    return principal.role in WRITERS


async def get_plan(*, session: AsyncSession, principal: Principal, plan_id: uuid.UUID) -> Plan:
    """A plan in the principal's scope; 404 otherwise."""
    plan = await session.get(Plan, plan_id)
    if plan is None:
        raise NotFound("plan not found")
    ensure_in_scope(principal, plan.area_path, what="plan")
    return plan


async def get_version(
    *, session: AsyncSession, principal: Principal, version_id: uuid.UUID
) -> tuple[PlanVersion, Plan]:
    """A version (and its plan) the principal may read; 404 otherwise."""
    version = await session.get(PlanVersion, version_id)
    if version is None:
        raise NotFound("plan version not found")
    plan = await session.get(Plan, version.plan_id)
    assert plan is not None
    ensure_in_scope(principal, plan.area_path, what="plan version")
    if version.status == VersionStatus.draft and not sees_drafts(principal):
        raise NotFound("plan version not found")
    return version, plan


async def catalogue_codes(session: AsyncSession) -> set[str]:
    """The item codes a plan's materials may name: the stored catalogue."""
    return set((await session.scalars(select(Item.code))).all())


async def checked_document(
    *,
    session: AsyncSession,
    principal: Principal,
    data: Any,
    area: Area,
    hazard: str,
    loc: Loc,
) -> dict[str, Any]:
    """Validate ``data`` for a plan of ``hazard`` at ``area``; the stored JSON form.

    Beyond :func:`~plans.documents.parse_document`: materials name stored items; shelters
    and assembly points are depots the principal sees, of the right kind, in the plan's
    area or an area above it; grid workers name grids of the plan's area (a community).
    """
    codes = await catalogue_codes(session)
    doc = parse_document(data, loc=loc, item_codes=codes, hazard=hazard)
    errors = ErrorList()
    for field in ("shelters", "assembly_points"):
        ids = [p.depot_id for p in getattr(doc, field)]
        depots = {d.id: d for d in await session.scalars(select(Depot).where(Depot.id.in_(ids)))}
        for i, depot_id in enumerate(ids):
            where = (*loc, field, i, "depot_id")
            depot = depots.get(depot_id)
            if depot is None or not in_scope(principal, depot.area_path):
                errors.add(where, f"no depot with id {depot_id}")
            elif not (
                depot.area_path.startswith(area.area_path)
                or area.area_path.startswith(depot.area_path)
            ):
                errors.add(where, f"depot {depot.name} lies outside {area.name} and above it")
            elif depot.kind not in PLACE_KINDS[field]:
                kinds = " or ".join(sorted(PLACE_KINDS[field]))
                errors.add(where, f"depot {depot.name} is a {depot.kind}, not a {kinds}")
    codes_given = [g.grid_code for g in doc.contact_tree.grid_workers]
    if codes_given and area.level != AreaLevel.community:
        errors.add((*loc, "contact_tree", "grid_workers"), "only a community plan names grids")
    elif codes_given:
        stmt = select(Grid.code).where(Grid.community_id == area.id)
        known = set((await session.scalars(stmt.where(Grid.code.in_(codes_given)))).all())
        for i, code in enumerate(codes_given):
            if code not in known:
                where = (*loc, "contact_tree", "grid_workers", i, "grid_code")
                errors.add(where, f"{area.name} has no grid {code}")
    if errors.errors:
        detail = f"invalid plan document: {len(errors.errors)} problem(s)"
        raise Invalid(detail, errors=errors.errors)
    return stored(doc)


async def emit_version(
    session: AsyncSession, type_: str, plan: Plan, version: PlanVersion, **data: Any
) -> None:
    """A ``plan.*``/``plan_version.*`` event on the stream ``area:<area_path>``."""
    payload = {
        "plan_id": plan.id,
        "version_id": version.id,
        "version": version.version,
        "status": version.status,
        "hazard": plan.hazard,
        "area_path": plan.area_path,
        **data,
    }
    await emit(session, type=type_, data=payload, streams=[f"area:{plan.area_path}"])
