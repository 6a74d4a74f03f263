"""Who may touch which stock: scope checks for the stock routes.

Rules (area scope is the depot's ``area_path``, see :mod:`core.auth.scope`):

* admin: everywhere, read and write;
* coordinator: reads and writes inside their area subtree;
* every other role (auditor, grid worker, volunteer, household contact): reads inside
  their subtree, never writes (403);
* outside the caller's subtree a lot or reservation is 404 (not disclosed); a depot,
  need, fund or item named in a body is 422 naming that field.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import Principal, Role
from core.auth.scope import ensure_in_scope, in_scope
from core.errors import FieldError, Forbidden, Invalid
from core.incidents.need_models import Need
from core.registry.depots.models import Depot
from core.registry.items.models import Item
from core.registry.orgs.models import CommunityFund
from core.stock.models import Lot, Reservation

WRITERS = frozenset({Role.admin, Role.coordinator})


def ensure_writer(principal: Principal) -> None:
    """403 unless the caller's role may change stock."""
    if principal.role not in WRITERS:
        raise Forbidden(f"role {principal.role.value} may not change stock")


async def lot_in_scope(
    session: AsyncSession, principal: Principal, lot_id: uuid.UUID, *, write: bool = False
) -> Any:
    """The lot's columns, 404 outside the caller's scope; 403 if ``write`` and read-only."""
    row = (await session.execute(select(*Lot.__table__.c).where(Lot.id == lot_id))).first()
    ensure_in_scope(principal, row.area_path if row else None, what="lot")
    if write:
        ensure_writer(principal)
    return row


async def reservation_in_scope(
    session: AsyncSession, principal: Principal, reservation_id: uuid.UUID
) -> None:
    """404 outside the caller's scope; 403 for read-only roles (reservations are written)."""
    path = await session.scalar(
        select(Reservation.area_path).where(Reservation.id == reservation_id)
    )
    ensure_in_scope(principal, path, what="reservation")
    ensure_writer(principal)


async def depot_in_scope(
    session: AsyncSession, principal: Principal, depot_id: uuid.UUID, loc: Sequence[str | int]
) -> str:
    """The depot's area path; 422 naming ``loc`` when absent or outside the scope."""
    path = await session.scalar(select(Depot.area_path).where(Depot.id == depot_id))
    if path is None or not in_scope(principal, path):
        raise Invalid.field(loc, f"no depot {depot_id}")
    return path


async def item_id_of(session: AsyncSession, code: str, loc: Sequence[str | int]) -> uuid.UUID:
    """The catalogue item with ``code``; 422 naming ``loc`` if unknown."""
    item_id = await session.scalar(select(Item.id).where(Item.code == code))
    if item_id is None:
        raise Invalid.field(loc, f"unknown item code {code}")
    return item_id


async def need_in_scope(
    session: AsyncSession, principal: Principal, need_id: uuid.UUID, loc: Sequence[str | int]
) -> Any:
    """The need's (id, is_drill); 422 naming ``loc`` when absent or outside the scope."""
    row = (
        await session.execute(
            select(Need.id, Need.is_drill, Need.area_path).where(Need.id == need_id)
        )
    ).first()
    if row is None or not in_scope(principal, row.area_path):
        raise Invalid.field(loc, f"no need {need_id}")
    return row


async def fund_or_404(session: AsyncSession, principal: Principal, fund_id: uuid.UUID) -> None:
    """404 unless the community fund exists inside the caller's scope (a fund in the path)."""
    path = await session.scalar(select(CommunityFund.area_path).where(CommunityFund.id == fund_id))
    ensure_in_scope(principal, path, what="community fund")


async def fund_in_scope(
    session: AsyncSession, principal: Principal, fund_id: uuid.UUID, loc: Sequence[str | int]
) -> None:
    """422 naming ``loc`` unless the community fund exists inside the caller's scope."""
    path = await session.scalar(select(CommunityFund.area_path).where(CommunityFund.id == fund_id))
    if path is None or not in_scope(principal, path):
        raise Invalid.field(loc, f"no community fund {fund_id}")


@contextmanager
def in_body(prefix: Sequence[str | int] = ("body",)) -> Iterator[None]:
    """Re-raise a service's :class:`Invalid` with its field paths under ``body``."""
    try:
        yield
    except Invalid as exc:
        errors = [FieldError((*prefix, *e.loc), e.msg) for e in exc.errors]
        raise Invalid(exc.detail, errors=errors, **exc.extra) from exc
