"""Fund ledger routes (mounted under /api/v1): a community fund's money in and out.

Scope is the fund's area: a fund outside the caller's subtree is 404; admins and
coordinators write, every role reads in its scope (auditors included). The rules live in
:mod:`core.stock.funds`.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime
from sqlalchemy import select

from core.http.deps import CurrentUser, SessionDep
from core.http.listing import Cursor, Limit, Page, after_int, page_of
from core.registry.orgs.models import CommunityFund
from core.stock import access as acc
from core.stock import funds
from core.stock import funds_schemas as s
from core.stock.models import FundMove

router = APIRouter(tags=["stock"])


@router.post("/community-funds/{fund_id}/moves", status_code=201, response_model=s.FundMoveDone)
async def record_move(
    fund_id: uuid.UUID, body: s.FundMoveCreate, principal: CurrentUser, session: SessionDep
) -> s.FundMoveDone:
    """Money in (donation, grant) or out (purchase naming its lot, service); money out
    beyond the balance is 409 with ``available``. Admin and coordinators only."""
    await acc.fund_or_404(session, principal, fund_id)
    acc.ensure_writer(principal)
    with acc.in_body():
        move_id = await funds.record_move(
            session=session, actor_id=principal.user_id, fund_id=fund_id, kind=body.kind.value,
            amount_fen=body.amount_fen, description=body.description, is_drill=body.is_drill,
            donor=body.donor, donor_anonymous=body.donor_anonymous, at=body.at,
            lot_id=body.lot_id,
        )  # fmt: skip
    move = (await session.execute(select(FundMove).where(FundMove.id == move_id))).scalar_one()
    balance = await session.scalar(
        select(CommunityFund.balance_fen).where(CommunityFund.id == fund_id)
    )
    return s.FundMoveDone(**s.FundMoveRead.of(move).model_dump(), balance_fen=int(balance or 0))


@router.get("/community-funds/{fund_id}/moves", response_model=Page[s.FundMoveRead])
async def list_fund_moves(
    fund_id: uuid.UUID,
    principal: CurrentUser,
    session: SessionDep,
    from_: Annotated[AwareDatetime | None, Query(alias="from", description="At or after.")] = None,
    to: Annotated[AwareDatetime | None, Query(description="Before.")] = None,
    drill: Annotated[bool, Query(description="Drill moves instead of real.")] = False,
    limit: Limit = 50,
    next: Cursor = None,
) -> Page[s.FundMoveRead]:
    """The fund's ledger rows by id (``from`` ≤ at < ``to``); anonymous donors hidden."""
    await acc.fund_or_404(session, principal, fund_id)
    stmt = select(FundMove).where(FundMove.fund_id == fund_id, FundMove.is_drill == drill)
    if from_ is not None:
        stmt = stmt.where(FundMove.at >= from_)
    if to is not None:
        stmt = stmt.where(FundMove.at < to)
    after = after_int(next)
    if after is not None:
        stmt = stmt.where(FundMove.id > after)
    rows = list((await session.scalars(stmt.order_by(FundMove.id).limit(limit + 1))).all())
    rows, cursor = page_of(rows, limit, lambda m: [m.id])
    return Page[s.FundMoveRead](items=[s.FundMoveRead.of(m) for m in rows], next=cursor)
