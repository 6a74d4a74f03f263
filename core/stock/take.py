"""Taking stock from lots for a batch of reservations, first-expiry-first-out.

One FEFO query reads the batch's candidate lots and their free stock (a hint only). The
batch is first planned in memory against those hints, then each lot is taken by ONE
conditional UPDATE for everything the batch takes from it (``… WHERE on_hand - reserved
>= :q``, checked by its row count; DESIGN.md "Known traps: Stock"), in lot-id order so
concurrent batches lock lots in the same order. If another transaction got there first
(an UPDATE matches no row), the lots already taken are given back and the batch runs line
by line, each take its own conditional UPDATE with a re-read and retry on a lost race.

A need is all or nothing unless ``allow_partial``: when one of its lines is short, what it
took is given back (compensating UPDATEs on rows this transaction holds locked — cheaper
than a savepoint per need, as only the short path pays) and its outcome says what was
``available``; the other needs go ahead.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Collection, Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.ids import uuid7
from core.stock.ledger import today
from core.stock.models import Lot
from core.stock.schemas import LotTake, NeedReservation, ReservationResult, ShortLine

Line = tuple[uuid.UUID, uuid.UUID, int]  # (item_id, depot_id, quantity)
Requests = Sequence[tuple[uuid.UUID, Sequence[Line]]]
Take = Callable[[list[Any], int, uuid.UUID], Awaitable[list[LotTake]]]
Undo = Callable[[list[LotTake]], Awaitable[None]]
_FREE = Lot.on_hand - Lot.reserved
_T = Lot.__table__
_GIVE_BACK = (update(_T).where(_T.c.id == bindparam("b_id"))
              .values(reserved=_T.c.reserved - bindparam("b_q")))  # fmt: skip


async def take_for(
    session: AsyncSession, requests: Requests, incident_of: dict[uuid.UUID, uuid.UUID], *,
    is_drill: bool, allow_partial: bool,
) -> list[NeedReservation]:  # fmt: skip
    """Take the stock of every request; one outcome per request, in order."""
    lots, hint = await _candidates(session, requests, is_drill, set(incident_of.values()))
    plan = dict(hint)

    async def plan_take(candidates: list[Any], quantity: int, incident: uuid.UUID) -> list:
        takes, left = [], quantity
        for lot in candidates:
            if left and lot.drill_incident_id in (None, incident) and plan[lot.id] > 0:
                takes.append(LotTake(lot.id, min(left, plan[lot.id])))
                plan[lot.id] -= takes[-1].quantity
                left -= takes[-1].quantity
        return takes

    async def plan_undo(takes: list[LotTake]) -> None:
        _restore(plan, takes)

    planned = await _allocate(requests, incident_of, lots, allow_partial, plan_take, plan_undo)
    totals = Counter[uuid.UUID]()
    for nr in planned:
        for r in nr.lines:
            for t in r.lots:
                totals[t.lot_id] += t.quantity
    taken: list[LotTake] = []
    for lot_id in sorted(totals):
        if not await _grab(session, lot_id, totals[lot_id]):
            break  # lost a race: give back, then line by line from fresh hints
        taken.append(LotTake(lot_id, totals[lot_id]))
    else:
        return planned
    await _give_back(session, taken)
    fresh = await session.execute(select(Lot.id, _FREE).where(Lot.id.in_(list(hint))))
    hint = {lot_id: int(free) for lot_id, free in fresh}

    async def take(candidates: list[Any], quantity: int, incident: uuid.UUID) -> list:
        return await _take(session, candidates, hint, quantity, incident)

    async def undo(takes: list[LotTake]) -> None:
        await _give_back(session, takes)
        _restore(hint, takes)

    return await _allocate(requests, incident_of, lots, allow_partial, take, undo)


async def _allocate(
    requests: Requests, incident_of: dict[uuid.UUID, uuid.UUID],
    lots: dict[tuple[uuid.UUID, uuid.UUID], list[Any]], allow_partial: bool, take: Take,
    undo: Undo,
) -> list[NeedReservation]:  # fmt: skip
    """Go through the needs in order, line by line, with ``take`` and ``undo``."""
    out: list[NeedReservation] = []
    for need_id, lines in requests:
        results: list[ReservationResult] = []
        short = None
        for j, (item_id, depot_id, quantity) in enumerate(lines):
            takes = await take(lots[(depot_id, item_id)], quantity, incident_of[need_id])
            got = sum(t.quantity for t in takes)
            if got < quantity and not allow_partial:
                short = ShortLine(j, item_id, depot_id, quantity, got)
                await undo([t for r in results for t in r.lots] + takes)
                results = []
                break
            rid = uuid7() if got else None
            results.append(ReservationResult(item_id, depot_id, quantity, got, rid, takes))
        out.append(NeedReservation(need_id, results, short))
    return out


def serving(*, is_drill: bool, incidents: Collection[uuid.UUID]) -> ColumnElement[bool]:
    """Lots with free, unexpired stock that may serve needs of ``incidents``: real lots for
    real needs; for drill needs drill lots of no drill or of that drill (shadow lots)."""
    clause = and_(Lot.is_drill == is_drill, _FREE > 0,
                  or_(Lot.expires_on.is_(None), Lot.expires_on >= today()))  # fmt: skip
    if is_drill:
        clause = and_(clause, or_(Lot.drill_incident_id.is_(None),
                                  Lot.drill_incident_id.in_(list(incidents))))  # fmt: skip
    return clause


async def _candidates(
    session: AsyncSession, requests: Requests, is_drill: bool, incidents: set[uuid.UUID]
) -> tuple[dict[tuple[uuid.UUID, uuid.UUID], list[Any]], dict[uuid.UUID, int]]:
    """The unexpired lots with free stock for the batch's (depot, item) pairs, FEFO, in one
    query; and each lot's free quantity as read. Drill needs take drill lots of no drill
    or of their own incident (``drill_incident_id``); real needs only real lots."""
    pairs = list({(d, i) for _, lines in requests for i, d, _ in lines})
    lots: dict[tuple[uuid.UUID, uuid.UUID], list[Any]] = defaultdict(list)
    if not pairs:
        return lots, {}
    stmt = (
        select(Lot.id, Lot.depot_id, Lot.item_id, Lot.drill_incident_id, _FREE.label("free"))
        .where(tuple_(Lot.depot_id, Lot.item_id).in_(pairs),
               serving(is_drill=is_drill, incidents=incidents))
        .order_by(Lot.expires_on.is_(None), Lot.expires_on, Lot.received_on, Lot.id)
    )  # fmt: skip
    hint: dict[uuid.UUID, int] = {}
    for row in await session.execute(stmt):
        lots[(row.depot_id, row.item_id)].append(row)
        hint[row.id] = int(row.free)
    return lots, hint


async def _grab(session: AsyncSession, lot_id: uuid.UUID, quantity: int) -> bool:
    result = await session.execute(
        update(Lot).where(Lot.id == lot_id, Lot.on_hand - Lot.reserved >= quantity)
        .values(reserved=Lot.reserved + quantity, updated_at=clock.now())
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    return result.rowcount == 1


async def _take(
    session: AsyncSession, candidates: list[Any], hint: dict[uuid.UUID, int], quantity: int,
    incident_id: uuid.UUID,
) -> list[LotTake]:  # fmt: skip
    """Take up to ``quantity`` from the candidate lots in FEFO order, one UPDATE a lot."""
    takes: list[LotTake] = []
    left = quantity
    for lot in candidates:
        if left == 0:
            break
        if lot.drill_incident_id not in (None, incident_id) or hint[lot.id] <= 0:
            continue
        want, tries = min(left, hint[lot.id]), 3
        while want > 0 and not await _grab(session, lot.id, want):  # the UPDATE is the check
            # Lost a race: another transaction took some. Re-read as a hint, try again.
            hint[lot.id] = int(await session.scalar(select(_FREE).where(Lot.id == lot.id)) or 0)
            tries -= 1
            want = min(left, hint[lot.id]) if tries else 0
        if want > 0:
            takes.append(LotTake(lot.id, want))
            hint[lot.id] -= want
            left -= want
    return takes


async def _give_back(session: AsyncSession, takes: Sequence[LotTake]) -> None:
    """Undo takes made in this transaction (their rows are locked by it): one statement."""
    if takes:
        await session.execute(_GIVE_BACK, [{"b_id": t.lot_id, "b_q": t.quantity} for t in takes])


def _restore(hint: dict[uuid.UUID, int], takes: Sequence[LotTake]) -> None:
    for t in takes:
        hint[t.lot_id] += t.quantity
