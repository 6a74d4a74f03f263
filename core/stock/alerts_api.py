"""Stock alert, minimum and audit routes (mounted under /api/v1 by core/app.py).

Area-scoped like every stock route (:mod:`core.stock.access`): lists hold only rows in
the caller's subtree; ``area=<code>`` narrows to that area and below.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import Principal, Role
from core.errors import Forbidden, Invalid
from core.http.deps import CurrentUser, SessionDep
from core.http.listing import Cursor, Limit, Page, decode_cursor, page_of
from core.registry.areas.rules import area_in_scope_or_invalid
from core.stock import access as acc
from core.stock import alerts as svc
from core.stock import alerts_schemas as s
from core.stock.audit import audit

router = APIRouter(tags=["stock"])
AUDITORS = frozenset({Role.admin, Role.coordinator, Role.auditor})
AreaQuery = Annotated[str | None, Query(pattern=r"^\d{12}$", description="Subtree.")]


async def area_path_of(session: AsyncSession, principal: Principal, code: str | None) -> str | None:
    """The area path of ``area=<code>`` (422 naming query.area outside the scope)."""
    if code is None:
        return None
    found = await area_in_scope_or_invalid(
        session=session, principal=principal, code=code, loc=("query", "area")
    )
    return found.area_path


@router.get("/stock/alerts", response_model=s.AlertsRead)
async def stock_alerts(
    principal: CurrentUser,
    session: SessionDep,
    days: Annotated[int, Query(ge=0, le=3650, description="Expiring within N days.")] = 30,
    area: AreaQuery = None,
) -> s.AlertsRead:
    """Real lots expiring within ``days`` (and expired ones still holding stock), and
    depots whose available stock of an item is below its minimum."""
    path = await area_path_of(session, principal, area)
    found = await svc.alerts(session=session, principal=principal, days=days, area_path=path)
    return s.AlertsRead.of(found)


@router.put("/stock/minimums", response_model=s.MinimumRead)
async def put_minimum(
    body: s.MinimumIn, principal: CurrentUser, session: SessionDep
) -> s.MinimumRead:
    """Set the least a depot in your scope should hold of an item (admin, coordinator)."""
    acc.ensure_writer(principal)
    path = await acc.depot_in_scope(session, principal, body.depot_id, ("body", "depot_id"))
    item_id = await acc.item_id_of(session, body.item_code, ("body", "item_code"))
    await svc.set_minimum(session=session, depot_id=body.depot_id, item_id=item_id,
                          minimum=body.minimum, area_path=path)  # fmt: skip
    return s.MinimumRead(depot_id=body.depot_id, item_code=body.item_code, area_path=path,
                         minimum=body.minimum)  # fmt: skip


@router.get("/stock/minimums", response_model=Page[s.MinimumRead])
async def list_minimums(
    principal: CurrentUser,
    session: SessionDep,
    depot: Annotated[uuid.UUID | None, Query(description="Depot id.")] = None,
    limit: Limit = 50,
    next: Cursor = None,
) -> Page[s.MinimumRead]:
    """Minimums of depots in your scope, by depot id then item code."""
    key, after = decode_cursor(next), None
    if key is not None:
        try:
            after = (uuid.UUID(key[0]), str(key[1])) if len(key) == 2 else None
        except (TypeError, ValueError, AttributeError):
            after = None
        if after is None:
            raise Invalid.field(("query", "next"), "not a cursor from this API")
    rows = await svc.list_minimums(session=session, principal=principal, depot_id=depot,
                                   after=after, limit=limit + 1)  # fmt: skip
    rows, cursor = page_of(rows, limit, lambda r: [str(r[0]), r[1]])
    items = [s.MinimumRead(depot_id=d, item_code=c, area_path=p, minimum=m) for d, c, p, m in rows]
    return Page[s.MinimumRead](items=items, next=cursor)


@router.get("/stock/audit", response_model=s.AuditRead)
async def stock_audit(
    principal: CurrentUser, session: SessionDep, area: AreaQuery = None
) -> s.AuditRead:
    """Recompute every real lot, reservation and community fund in your scope from its
    ledger; list each drift (admin, coordinators, auditors; ids and counts only)."""
    if principal.role not in AUDITORS:
        raise Forbidden(f"role {principal.role.value} may not audit stock")
    path = await area_path_of(session, principal, area)
    return s.AuditRead.of(await audit(session=session, principal=principal, area_path=path))
