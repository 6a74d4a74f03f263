"""Reservations: FEFO, partial vs 409 (nothing written), drill separation, release, issue."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from core.errors import Conflict, Invalid, NotFound
from core.events.models import OutboxEvent, OutboxStream
from core.stock import reserve
from core.stock.models import Move, Reservation, ReservationLot
from tests.core.stock.test_ledger import (
    assert_ledger_matches,
    count,
    days,
    lot_counts,
    receive,
    stock_world,
)


async def test_fefo_takes_earliest_expiry_first_and_skips_expired(session) -> None:
    w = await stock_world(session)
    late = await receive(session, w, 10, expires_on=days(200))
    never = await receive(session, w, 10, expires_on=None)
    soon = await receive(session, w, 10, expires_on=days(5))
    expired = await receive(session, w, 10, received_on=days(-60), expires_on=days(-1))
    (res,) = await reserve.reserve_lines(session=session, actor_id=None, need_id=w.need,
                                         lines=[(w.water, w.depot, 15)])  # fmt: skip
    assert res.complete and res.reserved == 15
    assert [(t.lot_id, t.quantity) for t in res.lots] == [(soon, 10), (late, 5)]
    assert await lot_counts(session, expired) == (10, 0)
    assert await lot_counts(session, never) == (10, 0)
    (res2,) = await reserve.reserve_lines(session=session, actor_id=None, need_id=w.need,
                                          lines=[(w.water, w.depot, 10)])  # fmt: skip
    assert [(t.lot_id, t.quantity) for t in res2.lots] == [(late, 5), (never, 5)]
    for lot in (late, never, soon, expired):
        await assert_ledger_matches(session, lot)
    ev = await session.scalar(select(OutboxEvent).order_by(OutboxEvent.seq.desc()).limit(1))
    assert ev.type == "stock.reserved"
    streams = set(
        await session.scalars(select(OutboxStream.stream).where(OutboxStream.seq == ev.seq))
    )
    assert streams == {f"area:{w.path}", f"incident:{w.incident}"}


async def test_short_stock_is_409_with_available_and_nothing_written(session) -> None:
    w = await stock_world(session)
    lot = await receive(session, w, 7)
    rice = await receive(session, w, 50, item_id=w.rice)
    before = (await count(session, Move), await count(session, OutboxEvent))
    with pytest.raises(Conflict) as err:
        lines = [(w.rice, w.depot, 20), (w.water, w.depot, 9)]
        await reserve.reserve_lines(session=session, actor_id=None, need_id=w.need, lines=lines)
    assert err.value.status == 409
    assert err.value.extra == {"available": 7, "item_id": str(w.water), "depot_id": str(w.depot)}
    assert (await count(session, Move), await count(session, OutboxEvent)) == before
    assert await count(session, Reservation) == 0 and await count(session, ReservationLot) == 0
    assert await lot_counts(session, lot) == (7, 0) and await lot_counts(session, rice) == (50, 0)


async def test_allow_partial_reserves_what_there_is(session) -> None:
    w = await stock_world(session)
    lot = await receive(session, w, 7)
    got = await reserve.reserve_lines(session=session, actor_id=None, need_id=w.need,
                                      lines=[(w.water, w.depot, 9), (w.rice, w.depot, 3)],
                                      allow_partial=True)  # fmt: skip
    assert [(r.reserved, r.complete) for r in got] == [(7, False), (0, False)]
    assert got[1].reservation_id is None
    assert await lot_counts(session, lot) == (7, 7)
    assert await session.scalar(select(Reservation.quantity)) == 7


async def test_drill_lots_never_serve_real_needs_and_vice_versa(session) -> None:
    w = await stock_world(session)
    drill_lot = await receive(session, w, 10, is_drill=True)
    with pytest.raises(Conflict) as err:
        await reserve.reserve_lines(session=session, actor_id=None, need_id=w.need,
                                    lines=[(w.water, w.depot, 1)])  # fmt: skip
    assert err.value.extra["available"] == 0
    real_lot = await receive(session, w, 10)
    (res,) = await reserve.reserve_lines(session=session, actor_id=None, need_id=w.drill_need,
                                         lines=[(w.water, w.depot, 4)], is_drill=True)  # fmt: skip
    assert [t.lot_id for t in res.lots] == [drill_lot]
    assert await lot_counts(session, real_lot) == (10, 0)
    with pytest.raises(Invalid) as bad:
        await reserve.reserve_lines(session=session, actor_id=None, need_id=w.drill_need,
                                    lines=[(w.water, w.depot, 1)])  # fmt: skip
    assert bad.value.errors[0].loc == ("is_drill",)
    assert await session.scalar(select(Move.is_drill).where(Move.kind == "reserve")) is True


@pytest.mark.parametrize(
    ("line", "loc"),
    [
        ("bad_item", ("lines", 0, "item_id")),
        ("bad_depot", ("lines", 0, "depot_id")),
        ("zero", ("lines", 0, "quantity")),
        ("bad_need", ("need_id",)),
    ],
)
async def test_reserve_bad_input(session, line, loc) -> None:
    w = await stock_world(session)
    await receive(session, w, 10)
    lines = {"bad_item": (uuid.uuid4(), w.depot, 1), "bad_depot": (w.water, uuid.uuid4(), 1),
             "zero": (w.water, w.depot, 0), "bad_need": (w.water, w.depot, 1)}  # fmt: skip
    need = uuid.uuid4() if line == "bad_need" else w.need
    before = await count(session, Move)
    with pytest.raises(Invalid) as err:
        await reserve.reserve_lines(session=session, actor_id=None, need_id=need,
                                    lines=[lines[line]])  # fmt: skip
    assert err.value.errors[0].loc == loc
    assert await count(session, Move) == before


async def test_release_gives_back_and_only_once(session) -> None:
    w = await stock_world(session)
    a = await receive(session, w, 5, expires_on=days(10))
    b = await receive(session, w, 5, expires_on=days(20))
    (res,) = await reserve.reserve_lines(session=session, actor_id=None, need_id=w.need,
                                         lines=[(w.water, w.depot, 8)])  # fmt: skip
    rid = res.reservation_id
    assert await reserve.release(session=session, actor_id=None, reservation_id=rid,
                                 reason="need cancelled") == 8  # fmt: skip
    assert await lot_counts(session, a) == (5, 0) and await lot_counts(session, b) == (5, 0)
    assert await session.scalar(select(Reservation.status)) == "released"
    with pytest.raises(Conflict):
        await reserve.release(session=session, actor_id=None, reservation_id=rid, reason="again")
    with pytest.raises(NotFound):
        await reserve.release(session=session, actor_id=None, reservation_id=uuid.uuid4(),
                              reason="x")  # fmt: skip
    for lot in (a, b):
        await assert_ledger_matches(session, lot)


async def test_issue_partly_then_rest_and_never_more(session) -> None:
    w = await stock_world(session)
    a = await receive(session, w, 5, expires_on=days(10))
    b = await receive(session, w, 5, expires_on=days(20))
    (res,) = await reserve.reserve_lines(session=session, actor_id=None, need_id=w.need,
                                         lines=[(w.water, w.depot, 8)])  # fmt: skip
    rid = res.reservation_id
    assert await reserve.issue(session=session, actor_id=None, reservation_id=rid, quantity=6) == 6
    assert await lot_counts(session, a) == (0, 0) and await lot_counts(session, b) == (4, 2)
    with pytest.raises(Conflict) as err:
        await reserve.issue(session=session, actor_id=None, reservation_id=rid, quantity=3)
    assert err.value.extra["available"] == 2
    assert await reserve.issue(session=session, actor_id=None, reservation_id=rid) == 2
    row = (await session.execute(select(Reservation.issued, Reservation.status))).one()
    assert tuple(row) == (8, "issued")
    assert await lot_counts(session, b) == (2, 0)
    with pytest.raises(Conflict):
        await reserve.issue(session=session, actor_id=None, reservation_id=rid)
    with pytest.raises(Conflict):
        await reserve.release(session=session, actor_id=None, reservation_id=rid, reason="late")
    for lot in (a, b):
        await assert_ledger_matches(session, lot)
    ev = await session.scalar(select(OutboxEvent).order_by(OutboxEvent.seq.desc()).limit(1))
    assert ev.type == "stock.issued" and ev.payload["quantity"] == 2


async def test_issuing_many_lines_at_once_is_issuing_them_one_after_the_other(session) -> None:
    """Two lines of one reservation and one of another: the second line of the first takes
    what the first line left in its earliest lot, then the next; one stock.issued event
    per line, in order; a line past what is left is a 409 and leaves nothing written."""
    from core.stock.release import issue_many

    w = await stock_world(session)
    a = await receive(session, w, 5, expires_on=days(10))
    b = await receive(session, w, 5, expires_on=days(20))
    rice = await receive(session, w, 4, item_id=w.rice)
    first, second = await reserve.reserve_lines(
        session=session, actor_id=None, need_id=w.need,
        lines=[(w.water, w.depot, 8), (w.rice, w.depot, 4)],
    )  # fmt: skip
    r1, r2 = first.reservation_id, second.reservation_id
    before = (await count(session, Move), await count(session, OutboxEvent))
    with pytest.raises(Conflict) as err:
        await issue_many(session=session, actor_id=None, lines=[(r1, 6), (r2, 1), (r1, 3)])
    assert err.value.extra["available"] == 2
    assert (await count(session, Move), await count(session, OutboxEvent)) == before
    assert await issue_many(
        session=session, actor_id=None, lines=[(r1, 3), (r2, None), (r1, 4)]
    ) == [3, 4, 4]
    assert await lot_counts(session, a) == (0, 0) and await lot_counts(session, b) == (3, 1)
    assert await lot_counts(session, rice) == (0, 0)
    issued = await session.execute(select(Reservation.id, Reservation.issued, Reservation.status))
    assert {tuple(r) for r in issued} == {(r1, 7, "active"), (r2, 4, "issued")}
    events = list(await session.scalars(
        select(OutboxEvent).where(OutboxEvent.type == "stock.issued").order_by(OutboxEvent.seq)
    ))  # fmt: skip
    assert [(e.payload["reservation_id"], e.payload["quantity"]) for e in events] == [
        (str(r1), 3), (str(r2), 4), (str(r1), 4)]  # fmt: skip
    moves = list(await session.execute(
        select(Move.lot_id, Move.on_hand_delta).where(Move.kind == "issue").order_by(Move.id)
    ))  # fmt: skip
    assert [tuple(m) for m in moves] == [(a, -3), (rice, -4), (a, -2), (b, -2)]
    for lot in (a, b, rice):
        await assert_ledger_matches(session, lot)


async def test_reserved_stock_cannot_be_transferred_or_written_off(session) -> None:
    from core.stock import ledger

    w = await stock_world(session)
    lot = await receive(session, w, 10)
    await reserve.reserve_lines(session=session, actor_id=None, need_id=w.need,
                                lines=[(w.water, w.depot, 8)])  # fmt: skip
    with pytest.raises(Conflict) as err:
        await ledger.transfer(session=session, actor_id=None, lot_id=lot, to_depot_id=w.depot2,
                              quantity=3)  # fmt: skip
    assert err.value.extra["available"] == 2
    with pytest.raises(Conflict):
        await ledger.write_off(session=session, actor_id=None, lot_id=lot, quantity=3,
                               reason="damaged")  # fmt: skip
    assert await lot_counts(session, lot) == (10, 8)


async def test_concurrent_reservations_never_over_reserve(committed) -> None:
    import asyncio

    async with committed.transaction() as s:
        w = await stock_world(s)
        lot = await receive(s, w, 10)

    async def grab() -> str:
        try:
            async with committed.transaction() as s:
                await reserve.reserve_lines(session=s, actor_id=None, need_id=w.need,
                                            lines=[(w.water, w.depot, 8)])  # fmt: skip
                await asyncio.sleep(0.05)  # hold the transaction open while the other tries
            return "ok"
        except Conflict as err:
            return f"409:{err.extra['available']}"

    outcomes = sorted(await asyncio.gather(grab(), grab()))
    assert outcomes == ["409:2", "ok"]
    async with committed.reader() as s:
        assert await lot_counts(s, lot) == (10, 8)
        await assert_ledger_matches(s, lot)
