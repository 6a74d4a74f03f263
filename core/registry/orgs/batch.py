"""Batch creation of organizations: validate every row, then one multi-row INSERT.

Used by the one-item API (a list of one, errors at ``("body", field)``) and by the demo
loader and importers (errors at ``("rows", i, field)``). All or nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.auth.roles import SYSTEM, Principal
from core.auth.scope import in_scope
from core.errors import Conflict, ErrorList, FieldError
from core.events.outbox import emit_many
from core.ids import uuid7
from core.registry.areas.models import Area
from core.registry.orgs.models import Organization
from core.registry.orgs.rules import (
    Loc,
    areas_by_code,
    body_loc,
    check_kind_rules,
    detail,
    duplicates,
    ensure_writer,
    org_event,
    row_loc,
)
from core.registry.orgs.schemas import OrgCreate


async def create_organizations(
    *, session: AsyncSession, principal: Principal | None, rows: Sequence[OrgCreate]
) -> list[uuid.UUID]:
    """Insert many organizations in one statement; ``organization.created`` for each.

    ``principal=None`` is the system. All or nothing: 422 naming ``("rows", i, field)``
    for rule errors, 409 for names or credit codes already taken.
    """
    return await _create(session, principal or SYSTEM, rows, row_loc)


async def create_organization(
    *, session: AsyncSession, principal: Principal, data: OrgCreate
) -> Organization:
    """One organization (errors name ``("body", field)``); the batch code with one row."""
    (org_id,) = await _create(session, principal, [data], lambda _: body_loc)
    org = await session.get(Organization, org_id)
    assert org is not None
    return org


async def _create(
    session: AsyncSession,
    principal: Principal,
    rows: Sequence[OrgCreate],
    locs: Callable[[int], Loc],
) -> list[uuid.UUID]:
    ensure_writer(principal, "organizations")
    errors = ErrorList()
    if not rows:
        errors.add(("rows",), "no rows to create")
    areas = await areas_by_code(session, {r.area_code for r in rows})
    for i, row in enumerate(rows):
        loc = locs(i)
        area = areas.get(row.area_code)
        if area is None or not in_scope(principal, area.area_path):
            errors.add(loc("area_code"), f"no area with code {row.area_code}")
        check_kind_rules(
            kind=row.kind,
            category=row.category,
            registration=row.registration,
            public_fundraising=row.public_fundraising,
            area_level=area.level if area is not None else None,
            loc=loc,
            errors=errors,
        )
    for field in ("name", "credit_code"):
        for i, j in duplicates([getattr(r, field) for r in rows]).items():
            errors.add(locs(i)(field), f"duplicate of row {j}")
    errors.raise_if_any(detail(errors))
    await ensure_free(session, rows, locs)
    now = clock.now()
    values = [_values(row, areas[row.area_code], now) for row in rows]
    try:
        async with session.begin_nested():
            await session.execute(insert(Organization), values)
    except IntegrityError as exc:
        raise Conflict("an organization name or credit code was taken concurrently") from exc
    await emit_many(session, [_created(v) for v in values])
    return [v["id"] for v in values]


def _values(row: OrgCreate, area: Area, now: Any) -> dict[str, Any]:
    data = row.model_dump(mode="json", exclude={"area_code"})
    return {
        **data,
        "id": uuid7(),
        "area_id": area.id,
        "area_path": area.area_path,
        "created_at": now,
        "updated_at": now,
    }


def _created(v: dict[str, Any]) -> Any:
    return org_event(
        "organization.created",
        id=v["id"],
        name=v["name"],
        area_path=v["area_path"],
        kind=v["kind"],
        category=v["category"],
    )


async def ensure_free(
    session: AsyncSession,
    rows: Sequence[Any],
    locs: Callable[[int], Loc],
    *,
    exclude: uuid.UUID | None = None,
) -> None:
    """409 naming every row (anything with ``name``, ``credit_code``) whose name or
    credit code another organization holds; ``exclude`` is the organization being edited."""
    conflicts: list[FieldError] = []
    for field, column in (("name", Organization.name), ("credit_code", Organization.credit_code)):
        wanted = {getattr(r, field) for r in rows} - {None}
        if not wanted:
            continue
        stmt = select(column).where(column.in_(sorted(wanted)))
        if exclude is not None:
            stmt = stmt.where(Organization.id != exclude)
        taken = set((await session.scalars(stmt)).all())
        for i, row in enumerate(rows):
            if getattr(row, field) in taken:
                label = "name" if field == "name" else "credit code"
                msg = f"an organization with {label} {getattr(row, field)} already exists"
                conflicts.append(FieldError(locs(i)(field), msg))
    if conflicts:
        raise Conflict(conflicts[0].msg, errors=conflicts)
