"""The batch entry point: many needs in one transaction, each all or nothing, set-based writes."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import event, select, update

from core import clock
from core.errors import Invalid
from core.events.models import OutboxEvent, Timer
from core.incidents.models import Incident, IncidentArea
from core.incidents.need_models import Need
from core.registry.areas.models import Area
from core.stock import reserve
from core.stock.expiry import EXPIRY_TIMER, timer_key
from core.stock.models import Lot, Move, Reservation, ReservationLot
from tests.core.incidents.needs_world import make_incident
from tests.core.stock.test_ledger import (
    assert_ledger_matches,
    count,
    days,
    lot_counts,
    make_need,
    receive,
    stock_world,
)


async def _needs(session, w, n: int, *, drill: bool = False) -> list[uuid.UUID]:
    return [await make_need(session, w.incident, w.path, drill) for _ in range(n)]


async def test_a_short_need_writes_nothing_and_the_others_go_ahead(session) -> None:
    w = await stock_world(session)
    water = await receive(session, w, 10)
    rice = await receive(session, w, 3, item_id=w.rice)
    a, b, c = await _needs(session, w, 3)
    before = (await count(session, Move), await count(session, OutboxEvent))
    done = await reserve.reserve_batch(session=session, actor_id=None, requests=[
        (a, [(w.water, w.depot, 4), (w.rice, w.depot, 2)]),
        (b, [(w.water, w.depot, 5), (w.rice, w.depot, 2)]),  # rice short: only 1 left
        (c, [(w.water, w.depot, 6)]),  # gets the water b gave back
    ])  # fmt: skip
    assert [d.ok for d in done] == [True, False, True]
    assert done[1].lines == [] and done[1].short is not None
    assert (done[1].short.index, done[1].short.available) == (1, 1)
    assert done[1].short.item_id == w.rice
    assert await lot_counts(session, water) == (10, 10)
    assert await lot_counts(session, rice) == (3, 2)
    by_need = Counter(await session.scalars(select(Reservation.need_id)))
    assert by_need == {a: 2, c: 1}
    assert await count(session, ReservationLot) == 3
    assert (await count(session, Move), await count(session, OutboxEvent)) == (
        before[0] + 3,
        before[1] + 3,
    )
    assert b not in set(await session.scalars(select(Move.need_id)))
    for lot in (water, rice):
        await assert_ledger_matches(session, lot)


async def test_allow_partial_takes_what_there_is_per_line(session) -> None:
    w = await stock_world(session)
    water = await receive(session, w, 5)
    a, b = await _needs(session, w, 2)
    done = await reserve.reserve_batch(session=session, actor_id=None, allow_partial=True,
                                       requests=[(a, [(w.water, w.depot, 4)]),
                                                 (b, [(w.water, w.depot, 4)])])  # fmt: skip
    assert [(d.ok, [r.reserved for r in d.lines]) for d in done] == [(True, [4]), (True, [1])]
    assert await lot_counts(session, water) == (5, 5)


async def test_a_batch_of_40_needs_is_one_insert_per_table_and_one_update_per_lot(session) -> None:
    w = await stock_world(session)
    await receive(session, w, 500)
    await receive(session, w, 500, item_id=w.rice)
    needs = await _needs(session, w, 40)
    seen: Counter[str] = Counter()

    def count_inserts(conn, cursor, statement, params, context, executemany) -> None:  # type: ignore[no-untyped-def]
        words = statement.split()
        if words[0].upper() == "INSERT" or words[0].upper() == "UPDATE":
            seen[f"{words[0].upper()} {words[2 if words[0].upper() == 'INSERT' else 1]}"] += 1

    sync_engine = session.bind.engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", count_inserts)
    try:
        done = await reserve.reserve_batch(session=session, actor_id=None, requests=[
            (n, [(w.water, w.depot, 2), (w.rice, w.depot, 3)]) for n in needs])  # fmt: skip
    finally:
        event.remove(sync_engine, "before_cursor_execute", count_inserts)
    assert all(d.ok for d in done) and await count(session, Reservation) == 80
    for table in ("stock_reservation", "stock_reservation_lot", "stock_move", "outbox",
                  "outbox_stream", "timer"):  # fmt: skip
        assert seen[f"INSERT {table}"] == 1, (table, seen)
    assert seen["UPDATE stock_lot"] == 2  # one conditional UPDATE per lot, not per line


async def test_bad_input_names_the_request_and_writes_nothing(session) -> None:
    w = await stock_world(session)
    lot = await receive(session, w, 10)
    a, b = await _needs(session, w, 2)
    cases = [
        ([(a, [(w.water, w.depot, 1)]), (b, [(uuid.uuid4(), w.depot, 1)])],
         ("requests", 1, "lines", 0, "item_id")),
        ([(a, [(w.water, w.depot, 1), (w.water, uuid.uuid4(), 1)])],
         ("requests", 0, "lines", 1, "depot_id")),
        ([(a, [(w.water, w.depot, 1)]), (uuid.uuid4(), [(w.water, w.depot, 1)])],
         ("requests", 1, "need_id")),
        ([(b, [(w.water, w.depot, -1)])], ("requests", 0, "lines", 0, "quantity")),
    ]  # fmt: skip
    for requests, loc in cases:
        with pytest.raises(Invalid) as err:
            await reserve.reserve_batch(session=session, actor_id=None, requests=requests)
        assert err.value.errors[0].loc == loc
    assert await count(session, Move) == 1 and await count(session, Reservation) == 0
    assert await lot_counts(session, lot) == (10, 0)


async def _drill(session, w) -> tuple[uuid.UUID, uuid.UUID]:
    """The world's live drill, and a second live drill over the same township."""
    mine = await session.scalar(select(Need.incident_id).where(Need.id == w.drill_need))
    township = await session.scalar(select(Area).join(IncidentArea, IncidentArea.area_id == Area.id)
                                    .where(IncidentArea.incident_id == mine))  # fmt: skip
    return mine, await make_incident(session, [township], drill=True, title="另一演练")


async def _one(session, need: uuid.UUID, line: tuple, **kw) -> list[reserve.NeedReservation]:  # type: ignore[no-untyped-def]
    return await reserve.reserve_batch(session=session, actor_id=None, requests=[(need, [line])],
                                       **kw)  # fmt: skip


async def test_shadow_lots_serve_only_their_own_drill_and_real_lots_no_drill(session) -> None:
    w = await stock_world(session)
    mine, other = await _drill(session, w)
    real = await receive(session, w, 10, expires_on=days(1))
    theirs = await receive(session, w, 10, is_drill=True, expires_on=days(2))
    own = await receive(session, w, 3, is_drill=True, expires_on=days(3))
    shared = await receive(session, w, 10, is_drill=True, expires_on=days(4))
    for lot, incident in ((theirs, other), (own, mine)):
        await session.execute(update(Lot).where(Lot.id == lot).values(drill_incident_id=incident))
    (done,) = await _one(session, w.drill_need, (w.water, w.depot, 5), is_drill=True)
    assert [(t.lot_id, t.quantity) for t in done.lines[0].lots] == [(own, 3), (shared, 2)]
    other_need = await make_need(session, other, w.path, True)
    (done,) = await _one(session, other_need, (w.water, w.depot, 12), is_drill=True)
    assert [(t.lot_id, t.quantity) for t in done.lines[0].lots] == [(theirs, 10), (shared, 2)]
    assert await lot_counts(session, real) == (10, 0)
    (done,) = await _one(session, w.need, (w.water, w.depot, 11))
    assert done.short is not None and done.short.available == 10  # drill lots never count
    with pytest.raises(Invalid) as err:
        await _one(session, w.need, (w.water, w.depot, 1), is_drill=True)
    assert err.value.errors[0].loc == ("is_drill",)


async def test_every_reservation_gets_an_expiry_timer_shortened_by_a_live_drill(session) -> None:
    w = await stock_world(session)
    await receive(session, w, 10)
    await receive(session, w, 10, is_drill=True)
    mine, _ = await _drill(session, w)
    await session.execute(update(Incident).where(Incident.id == mine).values(speedup=4.0))
    now = clock.now()
    (real,) = await reserve.reserve_lines(session=session, actor_id=None, need_id=w.need,
                                          lines=[(w.water, w.depot, 2)])  # fmt: skip
    (drill,) = await reserve.reserve_lines(session=session, actor_id=None, need_id=w.drill_need,
                                           lines=[(w.water, w.depot, 2)], is_drill=True,
                                           hold=timedelta(minutes=40))  # fmt: skip
    timers = {
        t.key: t for t in await session.scalars(select(Timer).where(Timer.kind == EXPIRY_TIMER))
    }
    assert set(timers) == {timer_key(real.reservation_id), timer_key(drill.reservation_id)}
    assert timers[timer_key(real.reservation_id)].due_at - now >= timedelta(minutes=120)
    assert timers[timer_key(real.reservation_id)].due_at - now < timedelta(minutes=121)
    due = timers[timer_key(drill.reservation_id)].due_at - now
    assert timedelta(minutes=10) <= due < timedelta(minutes=11)
    assert timers[timer_key(drill.reservation_id)].payload["hold_s"] == 600
