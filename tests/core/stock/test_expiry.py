"""Reservation expiry by durable timer: only while the need is open, once, across workers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from core import clock
from core.db import Database
from core.events.models import OutboxEvent, Timer
from core.events.timers import fire_due
from core.incidents.need_models import Need
from core.stock import reserve
from core.stock.expiry import EXPIRY_TIMER, timer_key
from core.stock.models import Lot, Move, Reservation
from tests.core.firing import both_ways
from tests.core.stock.test_ledger import (
    assert_ledger_matches,
    lot_counts,
    make_need,
    receive,
    stock_world,
)

START = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
HOLD = timedelta(minutes=120)  # the default of HUZHU_RESERVATION_HOLD_MINUTES


@pytest.fixture
def manual() -> Iterator[clock.ManualClock]:
    with clock.use_clock(clock.ManualClock(START)) as c:
        yield c


async def _reserved(db: Database, quantity: int = 4) -> tuple[object, uuid.UUID, uuid.UUID]:
    """Committed: a world, a lot of 10 and a reservation of ``quantity`` for the real need."""
    async with db.transaction() as s:
        w = await stock_world(s)
        lot = await receive(s, w, 10)
        (res,) = await reserve.reserve_lines(session=s, actor_id=None, need_id=w.need,
                                             lines=[(w.water, w.depot, quantity)])  # fmt: skip
    return w, lot, res.reservation_id


async def _need_status(db: Database, need_id: uuid.UUID, status: str) -> None:
    async with db.transaction() as s:
        await s.execute(update(Need).where(Need.id == need_id).values(status=status))


async def _state(db: Database, rid: uuid.UUID, lot: uuid.UUID) -> tuple[str, tuple[int, int]]:
    async with db.reader() as s:
        await assert_ledger_matches(s, lot)
        status = await s.scalar(select(Reservation.status).where(Reservation.id == rid))
        return status, await lot_counts(s, lot)


async def _releases(db: Database, rid: uuid.UUID) -> list[tuple[str, str]]:
    async with db.reader() as s:
        rows = await s.execute(select(Move.kind, Move.reason).where(
            Move.reservation_id == rid, Move.kind == "release"))  # fmt: skip
        return [tuple(r) for r in rows]


async def _events(db: Database, kind: str) -> int:
    async with db.reader() as s:
        found = select(func.count()).select_from(OutboxEvent).where(OutboxEvent.type == kind)
        return int(await s.scalar(found) or 0)


async def test_an_open_need_lets_its_stock_go_after_the_hold(committed, manual) -> None:
    _, lot, rid = await _reserved(committed)
    manual.advance(HOLD - timedelta(minutes=1))
    assert await fire_due(committed, worker="w1") == 0
    assert await _state(committed, rid, lot) == ("active", (10, 4))
    manual.advance(timedelta(minutes=2))
    assert await fire_due(committed, worker="w1") == 1
    assert await _state(committed, rid, lot) == ("expired", (10, 0))
    assert await _releases(committed, rid) == [("release", "expired")]
    assert await _events(committed, "stock.expired") == 1


async def test_a_matched_need_keeps_its_stock_and_the_timer_is_rearmed(committed, manual) -> None:
    w, lot, rid = await _reserved(committed)
    await _need_status(committed, w.need, "matched")
    manual.advance(HOLD + timedelta(minutes=1))
    assert await fire_due(committed, worker="w1") == 1
    assert await _state(committed, rid, lot) == ("active", (10, 4))
    async with committed.reader() as s:
        pending = (await s.execute(select(Timer.key, Timer.due_at).where(
            Timer.kind == EXPIRY_TIMER, Timer.claimed_by.is_(None)))).all()  # fmt: skip
    assert [tuple(p) for p in pending] == [(timer_key(rid), clock.now() + HOLD)]
    await _need_status(committed, w.need, "open")  # the volunteer declined
    manual.advance(HOLD)
    assert await fire_due(committed, worker="w1") == 1
    assert await _state(committed, rid, lot) == ("expired", (10, 0))


async def test_a_closed_need_releases_its_stock(committed, manual) -> None:
    w, lot, rid = await _reserved(committed)
    await _need_status(committed, w.need, "cancelled")
    manual.advance(HOLD)
    assert await fire_due(committed, worker="w1") == 1
    assert await _state(committed, rid, lot) == ("released", (10, 0))
    assert await _releases(committed, rid) == [("release", "need closed")]
    assert await _events(committed, "stock.expired") == 0


async def test_two_workers_and_a_second_firing_expire_it_once(committed, manual) -> None:
    _, lot, rid = await _reserved(committed)
    manual.advance(HOLD)
    fired = await asyncio.gather(fire_due(committed, worker="a"), fire_due(committed, worker="b"))
    assert sorted(fired) == [0, 1]
    assert await fire_due(committed, worker="a") == 0
    assert await _state(committed, rid, lot) == ("expired", (10, 0))
    assert await _releases(committed, rid) == [("release", "expired")]
    assert await _events(committed, "stock.expired") == 1


async def test_a_reservation_released_by_hand_is_left_alone(committed, manual) -> None:
    w, lot, rid = await _reserved(committed)
    async with committed.transaction() as s:
        await reserve.release(session=s, actor_id=None, reservation_id=rid, reason="by hand")
    async with committed.transaction() as s:  # new stock taken meanwhile must stay put
        line = (w.water, w.depot, 3)
        (other,) = await reserve.reserve_lines(session=s, actor_id=None, need_id=w.need,
                                               lines=[line], hold=HOLD * 2)  # fmt: skip
    manual.advance(HOLD)
    assert await fire_due(committed, worker="w1") == 1  # claimed, and did nothing
    assert await _state(committed, rid, lot) == ("released", (10, 3))
    assert await _releases(committed, rid) == [("release", "by hand")]
    assert await _events(committed, "stock.expired") == 0
    assert await _state(committed, other.reservation_id, lot) == ("active", (10, 3))


firing = both_ways(EXPIRY_TIMER)  # through the set handler, and one by one


async def test_expiries_due_together_each_get_their_own_outcome(committed, manual, firing) -> None:
    """Open need → expired; closed need → released; matched need → re-armed; a
    reservation released by hand → left alone — all in one firing, either way."""
    async with committed.transaction() as s:
        w = await stock_world(s)
        lot = await receive(s, w, 20)
        needs = [w.need] + [await make_need(s, w.incident, w.path, False) for _ in range(3)]
        rids = []
        for need, q in zip(needs, (1, 2, 3, 4), strict=True):
            (res,) = await reserve.reserve_lines(session=s, actor_id=None, need_id=need,
                                                 lines=[(w.water, w.depot, q)])  # fmt: skip
            rids.append(res.reservation_id)
    await _need_status(committed, needs[1], "fulfilled")
    await _need_status(committed, needs[2], "matched")
    async with committed.transaction() as s:
        await reserve.release(session=s, actor_id=None, reservation_id=rids[3], reason="by hand")
    manual.advance(HOLD)
    assert await fire_due(committed, worker="w1") == 4
    statuses = [(await _state(committed, rid, lot))[0] for rid in rids]
    assert statuses == ["expired", "released", "active", "released"]
    async with committed.reader() as s:
        assert await lot_counts(s, lot) == (20, 3)  # only the matched need's 3 still held
    assert await _releases(committed, rids[0]) == [("release", "expired")]
    assert await _releases(committed, rids[1]) == [("release", "need closed")]
    assert await _releases(committed, rids[3]) == [("release", "by hand")]
    assert await _events(committed, "stock.expired") == 1
    assert await _events(committed, "stock.released") == 2  # the closed need's and by hand
    async with committed.reader() as s:
        pending = (await s.execute(select(Timer.key, Timer.due_at).where(
            Timer.kind == EXPIRY_TIMER, Timer.claimed_by.is_(None)))).all()  # fmt: skip
    assert [tuple(p) for p in pending] == [(timer_key(rids[2]), clock.now() + HOLD)]
    assert await fire_due(committed, worker="w1") == 0


async def test_a_set_that_cannot_be_released_whole_falls_back_to_one_by_one(
    committed, manual
) -> None:
    """A lot holding less than its reservations say fails the set release; fired one by one,
    the healthy reservation still expires and the broken one is left for a person."""
    async with committed.transaction() as s:
        w = await stock_world(s)
        good_lot = await receive(s, w, 10)
        bad_lot = await receive(s, w, 10, depot_id=w.depot2)
        (good,) = await reserve.reserve_lines(session=s, actor_id=None, need_id=w.need,
                                              lines=[(w.water, w.depot, 2)])  # fmt: skip
        (bad,) = await reserve.reserve_lines(session=s, actor_id=None, need_id=w.need,
                                             lines=[(w.water, w.depot2, 5)])  # fmt: skip
        await s.execute(update(Lot).where(Lot.id == bad_lot).values(reserved=1))
    manual.advance(HOLD)
    assert await fire_due(committed, worker="w1") == 2
    async with committed.reader() as s:
        assert await s.scalar(select(Reservation.status).where(
            Reservation.id == good.reservation_id)) == "expired"  # fmt: skip
        assert await s.scalar(select(Reservation.status).where(
            Reservation.id == bad.reservation_id)) == "active"  # fmt: skip
        assert await lot_counts(s, good_lot) == (10, 0)
        assert await lot_counts(s, bad_lot) == (10, 1)
