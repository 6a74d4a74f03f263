"""Stock routes (mounted under /api/v1): lots, ledger moves, reservations for needs.

Scope and roles: see :mod:`core.stock.access`. Services live in :mod:`core.stock.ledger`
and :mod:`core.stock.reserve`; this module parses, checks scope, calls them, answers.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.scope import scope_clause
from core.http.deps import CurrentUser, SessionDep
from core.http.listing import Cursor, Limit, Page, after_int, after_uuid, page_of
from core.registry.areas.rules import area_in_scope_or_invalid
from core.registry.items.models import Item
from core.stock import access as acc
from core.stock import api_schemas as s
from core.stock import ledger, reserve
from core.stock.models import Lot, Move

router = APIRouter(tags=["stock"])
_LOT = select(*Lot.__table__.c, Item.code.label("item_code")).join(Item, Item.id == Lot.item_id)


async def _lot_out(session: AsyncSession, lot_id: uuid.UUID) -> s.LotRead:
    row = (await session.execute(_LOT.where(Lot.id == lot_id))).one()
    return s.LotRead.of(row, row.item_code)


@router.get("/stock/lots", response_model=Page[s.LotRead])
async def list_lots(
    principal: CurrentUser,
    session: SessionDep,
    depot: Annotated[uuid.UUID | None, Query(description="Depot id.")] = None,
    item: Annotated[str | None, Query(description="Item code.")] = None,
    area: Annotated[str | None, Query(pattern=r"^\d{12}$", description="Subtree.")] = None,
    expiring_within_days: Annotated[int | None, Query(ge=0, le=3650)] = None,
    drill: Annotated[bool, Query(description="Drill stock instead of real.")] = False,
    limit: Limit = 50,
    next: Cursor = None,
) -> Page[s.LotRead]:
    """Lots in your scope by id (oldest first); ``available`` = on hand − reserved."""
    stmt = _LOT.where(scope_clause(principal, Lot.area_path), Lot.is_drill == drill)
    if depot is not None:
        stmt = stmt.where(Lot.depot_id == depot)
    if item is not None:
        stmt = stmt.where(Lot.item_id == await acc.item_id_of(session, item, ("query", "item")))
    if area is not None:
        found = await area_in_scope_or_invalid(
            session=session, principal=principal, code=area, loc=("query", "area")
        )
        stmt = stmt.where(Lot.area_path.startswith(found.area_path, autoescape=True))
    if expiring_within_days is not None:
        until = ledger.today() + timedelta(days=expiring_within_days)
        stmt = stmt.where(Lot.expires_on.is_not(None), Lot.expires_on <= until)
    after = after_uuid(next)
    if after is not None:
        stmt = stmt.where(Lot.id > after)
    rows = list(await session.execute(stmt.order_by(Lot.id).limit(limit + 1)))
    rows, cursor = page_of(rows, limit, lambda r: [str(r.id)])
    return Page[s.LotRead](items=[s.LotRead.of(r, r.item_code) for r in rows], next=cursor)


@router.post("/stock/lots", status_code=201, response_model=s.LotRead)
async def receive_lot(body: s.LotCreate, principal: CurrentUser, session: SessionDep) -> s.LotRead:
    """Receive a lot into a depot in your scope (admin, coordinator)."""
    acc.ensure_writer(principal)
    await acc.depot_in_scope(session, principal, body.depot_id, ("body", "depot_id"))
    item_id = await acc.item_id_of(session, body.item_code, ("body", "item_code"))
    if body.fund_id is not None:
        await acc.fund_in_scope(session, principal, body.fund_id, ("body", "fund_id"))
    with acc.in_body():
        lot_id = await ledger.receive(
            session=session, actor_id=principal.user_id, depot_id=body.depot_id,
            item_id=item_id, quantity=body.quantity,
            received_on=body.received_on or ledger.today(), expires_on=body.expires_on,
            source=body.source.value, donor=body.donor, donor_anonymous=body.donor_anonymous,
            fund_id=body.fund_id, is_drill=body.is_drill,
        )  # fmt: skip
    return await _lot_out(session, lot_id)


@router.get("/stock/lots/{lot_id}", response_model=s.LotRead)
async def get_lot(lot_id: uuid.UUID, principal: CurrentUser, session: SessionDep) -> s.LotRead:
    await acc.lot_in_scope(session, principal, lot_id)
    return await _lot_out(session, lot_id)


@router.post("/stock/lots/{lot_id}/transfer", status_code=201, response_model=s.LotRead)
async def transfer_lot(
    lot_id: uuid.UUID, body: s.TransferIn, principal: CurrentUser, session: SessionDep
) -> s.LotRead:
    """Move free stock to another depot in your scope; answers the new lot."""
    await acc.lot_in_scope(session, principal, lot_id, write=True)
    await acc.depot_in_scope(session, principal, body.to_depot_id, ("body", "to_depot_id"))
    with acc.in_body():
        new_id = await ledger.transfer(
            session=session, actor_id=principal.user_id, lot_id=lot_id,
            to_depot_id=body.to_depot_id, quantity=body.quantity,
        )  # fmt: skip
    return await _lot_out(session, new_id)


@router.post("/stock/lots/{lot_id}/adjust", response_model=s.LotRead)
async def adjust_lot(
    lot_id: uuid.UUID, body: s.AdjustIn, principal: CurrentUser, session: SessionDep
) -> s.LotRead:
    """Correct the on-hand count after a stock count; 409 if a decrease exceeds free stock."""
    await acc.lot_in_scope(session, principal, lot_id, write=True)
    with acc.in_body():
        await ledger.adjust(session=session, actor_id=principal.user_id, lot_id=lot_id,
                            delta=body.delta, reason=body.reason)  # fmt: skip
    return await _lot_out(session, lot_id)


@router.post("/stock/lots/{lot_id}/write-off", response_model=s.LotRead)
async def write_off_lot(
    lot_id: uuid.UUID, body: s.WriteOffIn, principal: CurrentUser, session: SessionDep
) -> s.LotRead:
    """Take free stock out for good (expired, damaged …); 409 beyond free stock."""
    await acc.lot_in_scope(session, principal, lot_id, write=True)
    with acc.in_body():
        await ledger.write_off(session=session, actor_id=principal.user_id, lot_id=lot_id,
                               quantity=body.quantity, reason=body.reason)  # fmt: skip
    return await _lot_out(session, lot_id)


@router.post("/stock/reservations", status_code=201, response_model=s.ReservationsOut)
async def reserve_stock(
    body: s.ReservationCreate, principal: CurrentUser, session: SessionDep
) -> s.ReservationsOut:
    """Reserve lines for a need; short stock is 409 with ``available`` unless partial."""
    acc.ensure_writer(principal)
    need = await acc.need_in_scope(session, principal, body.need_id, ("body", "need_id"))
    lines, codes = [], {}
    for i, line in enumerate(body.lines):
        item_id = await acc.item_id_of(session, line.item_code, ("body", "lines", i, "item_code"))
        await acc.depot_in_scope(
            session, principal, line.depot_id, ("body", "lines", i, "depot_id")
        )
        lines.append((item_id, line.depot_id, line.quantity))
        codes[item_id] = line.item_code
    with acc.in_body():
        results = await reserve.reserve_lines(
            session=session, actor_id=principal.user_id, need_id=need.id, lines=lines,
            allow_partial=body.allow_partial, is_drill=bool(need.is_drill),
        )  # fmt: skip
    out = [
        s.ReservationLineOut(
            item_code=codes[r.item_id],
            item_id=r.item_id,
            depot_id=r.depot_id,
            requested=r.requested,
            reserved=r.reserved,
            reservation_id=r.reservation_id,
            lots=[s.LotTakeOut(lot_id=t.lot_id, quantity=t.quantity) for t in r.lots],
        )
        for r in results
    ]
    return s.ReservationsOut(need_id=need.id, lines=out)


@router.post("/stock/reservations/{reservation_id}/release", response_model=s.ReservationDone)
async def release_reservation(
    reservation_id: uuid.UUID, principal: CurrentUser, session: SessionDep,
    body: s.ReleaseIn | None = None,
) -> s.ReservationDone:  # fmt: skip
    """Give back what an active reservation holds; 409 if it is not active."""
    await acc.reservation_in_scope(session, principal, reservation_id)
    reason = body.reason if body else ""
    with acc.in_body():
        q = await reserve.release(session=session, actor_id=principal.user_id,
                                  reservation_id=reservation_id, reason=reason)  # fmt: skip
    return s.ReservationDone(reservation_id=reservation_id, quantity=q)


@router.post("/stock/reservations/{reservation_id}/issue", response_model=s.ReservationDone)
async def issue_reservation(
    reservation_id: uuid.UUID, principal: CurrentUser, session: SessionDep,
    body: s.IssueIn | None = None,
) -> s.ReservationDone:  # fmt: skip
    """Hand out reserved stock (all that is left by default); 409 beyond what is held."""
    await acc.reservation_in_scope(session, principal, reservation_id)
    with acc.in_body():
        q = await reserve.issue(session=session, actor_id=principal.user_id,
                                reservation_id=reservation_id,
                                quantity=body.quantity if body else None)  # fmt: skip
    return s.ReservationDone(reservation_id=reservation_id, quantity=q)


@router.get("/stock/moves", response_model=Page[s.MoveRead])
async def list_moves(
    principal: CurrentUser,
    session: SessionDep,
    depot: Annotated[uuid.UUID | None, Query(description="Depot id.")] = None,
    from_: Annotated[AwareDatetime | None, Query(alias="from", description="At or after.")] = None,
    to: Annotated[AwareDatetime | None, Query(description="Before.")] = None,
    drill: Annotated[bool, Query(description="Drill moves instead of real.")] = False,
    limit: Limit = 50,
    next: Cursor = None,
) -> Page[s.MoveRead]:
    """Ledger rows in your scope by id, for spot checks (``from`` ≤ at < ``to``)."""
    stmt = select(Move).where(scope_clause(principal, Move.area_path), Move.is_drill == drill)
    if depot is not None:
        stmt = stmt.where(Move.depot_id == depot)
    if from_ is not None:
        stmt = stmt.where(Move.at >= from_)
    if to is not None:
        stmt = stmt.where(Move.at < to)
    after_id = after_int(next)
    if after_id is not None:
        stmt = stmt.where(Move.id > after_id)
    rows = list((await session.scalars(stmt.order_by(Move.id).limit(limit + 1))).all())
    rows, cursor = page_of(rows, limit, lambda m: [m.id])
    return Page[s.MoveRead](items=[s.MoveRead.of(m) for m in rows], next=cursor)
