"""A Hypothesis state machine over the stock ledger, on both engines.

Every step commits its own transaction through the real service functions; after each
step every lot's counts equal its ledger sums, ``0 <= reserved <= on_hand``, each active
reservation's lots hold exactly what it has left, and the total on hand matches a model.
Hypothesis' runner is synchronous, so it runs in a worker thread and hands each step's
coroutine back to the test's event loop (which owns the engine).
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from core.db import Database
from core.errors import Conflict, Invalid
from core.stock import ledger, reserve
from core.stock.models import Lot, Move, Reservation, ReservationLot
from tests.core.stock.test_ledger import StockWorld, make_item, stock_world

SETTINGS = settings(
    max_examples=40,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,  # the same examples on every CI run
)
Run = Callable[[Coroutine[Any, Any, Any]], Any]
REFUSED = object()


def machine_for(
    db: Database, w: StockWorld, run: Run, done: Counter[str]
) -> type[RuleBasedStateMachine]:
    depots = [w.depot, w.depot2]

    async def step(fn: Callable[..., Coroutine[Any, Any, Any]], **kwargs: Any) -> Any:
        async with db.transaction() as session:
            return await fn(session=session, actor_id=None, **kwargs)

    def call(fn: Callable[..., Coroutine[Any, Any, Any]], **kwargs: Any) -> Any:
        """The function's result, or REFUSED when it refused (409/422) and wrote nothing."""
        try:
            result = run(step(fn, **kwargs))
        except (Conflict, Invalid):
            return REFUSED
        done[fn.__name__] += 1
        return result

    class LedgerMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.item = run(self._new_item())
            self.lots: list[uuid.UUID] = []
            self.reservations: list[uuid.UUID] = []
            self.total = 0  # the model: on hand across every lot of the item

        async def _new_item(self) -> uuid.UUID:
            async with db.transaction() as session:
                return await make_item(session, f"T-{uuid.uuid4().hex[:12]}")

        @rule(q=st.integers(1, 50), expiry=st.sampled_from([None, -3, 5, 60]),
              depot=st.integers(0, 1), drill=st.booleans())  # fmt: skip
        def receive(self, q: int, expiry: int | None, depot: int, drill: bool) -> None:
            t = ledger.today()
            expires = None if expiry is None else t + timedelta(days=expiry)
            lot = call(ledger.receive, depot_id=depots[depot], item_id=self.item, quantity=q,
                       received_on=t - timedelta(days=10), source="purchase", is_drill=drill,
                       expires_on=expires)  # fmt: skip
            assert lot is not REFUSED
            self.lots.append(lot)
            self.total += q

        @rule(q=st.integers(1, 25), depot=st.integers(0, 1), drill=st.booleans(),
              partial=st.booleans())  # fmt: skip
        def reserve(self, q: int, depot: int, drill: bool, partial: bool) -> None:
            got = call(reserve.reserve_lines, need_id=w.drill_need if drill else w.need,
                       lines=[(self.item, depots[depot], q)], allow_partial=partial,
                       is_drill=drill)  # fmt: skip
            for res in [] if got is REFUSED else got:
                assert res.reserved <= q and (partial or res.complete)
                if res.reservation_id:
                    self.reservations.append(res.reservation_id)

        @precondition(lambda self: bool(self.reservations))
        @rule(i=st.integers(0, 1000))
        def release(self, i: int) -> None:
            if self.reservations:
                rid = self.reservations[i % len(self.reservations)]
                call(reserve.release, reservation_id=rid, reason="test")

        @precondition(lambda self: bool(self.reservations))
        @rule(i=st.integers(0, 1000), q=st.none() | st.integers(1, 30))
        def issue(self, i: int, q: int | None) -> None:
            if self.reservations:
                rid = self.reservations[i % len(self.reservations)]
                issued = call(reserve.issue, reservation_id=rid, quantity=q)
                self.total -= 0 if issued is REFUSED else issued

        @precondition(lambda self: bool(self.lots))
        @rule(i=st.integers(0, 1000), q=st.integers(1, 30), to=st.integers(0, 1))
        def transfer(self, i: int, q: int, to: int) -> None:
            if self.lots:
                lot = self.lots[i % len(self.lots)]
                new = call(ledger.transfer, lot_id=lot, to_depot_id=depots[to], quantity=q)
                if new is not REFUSED:
                    self.lots.append(new)

        @precondition(lambda self: bool(self.lots))
        @rule(i=st.integers(0, 1000), delta=st.integers(-20, 20).filter(bool))
        def adjust(self, i: int, delta: int) -> None:
            if self.lots:
                lot = self.lots[i % len(self.lots)]
                if call(ledger.adjust, lot_id=lot, delta=delta, reason="count") is REFUSED:
                    assert delta < 0
                else:
                    self.total += delta

        @precondition(lambda self: bool(self.lots))
        @rule(i=st.integers(0, 1000), q=st.integers(1, 20))
        def write_off(self, i: int, q: int) -> None:
            if self.lots:
                lot = self.lots[i % len(self.lots)]
                if call(ledger.write_off, lot_id=lot, quantity=q, reason="damaged") is not REFUSED:
                    self.total -= q

        @invariant()
        def ledger_matches_lots(self) -> None:
            lots, sums, held = run(self._read())
            assert set(lots) == set(self.lots)
            for lot_id, (on_hand, reserved) in lots.items():
                assert 0 <= reserved <= on_hand
                assert sums.get(lot_id, (0, 0)) == (on_hand, reserved)
            assert sum(on_hand for on_hand, _ in lots.values()) == self.total
            for status, left, on_lots in held:
                assert on_lots == (left if status == "active" else 0)

        async def _read(self) -> tuple[dict, dict, list]:
            async with db.reader() as s:
                lots = {
                    r[0]: (r[1], r[2])
                    for r in await s.execute(
                        select(Lot.id, Lot.on_hand, Lot.reserved).where(Lot.item_id == self.item)
                    )
                }
                sums = {
                    r[0]: (int(r[1]), int(r[2]))
                    for r in await s.execute(
                        select(
                            Move.lot_id, func.sum(Move.on_hand_delta), func.sum(Move.reserved_delta)
                        )
                        .where(Move.item_id == self.item)
                        .group_by(Move.lot_id)
                    )
                }
                held = list(
                    await s.execute(
                        select(
                            Reservation.status,
                            Reservation.quantity - Reservation.issued,
                            func.coalesce(func.sum(ReservationLot.quantity), 0),
                        )
                        .outerjoin(ReservationLot, ReservationLot.reservation_id == Reservation.id)
                        .where(Reservation.item_id == self.item)
                        .group_by(Reservation.id)
                    )
                )
            return lots, sums, held  # fmt: skip

    return LedgerMachine


async def test_ledger_state_machine(committed: Database) -> None:
    async with committed.transaction() as session:
        w = await stock_world(session)
    loop = asyncio.get_running_loop()

    def run(coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, loop).result()

    done: Counter[str] = Counter()
    machine = machine_for(committed, w, run, done)
    await asyncio.to_thread(run_state_machine_as_test, machine, settings=SETTINGS)
    every = {"receive", "reserve_lines", "release", "issue", "transfer", "adjust", "write_off"}
    assert set(done) == every, done  # each operation succeeded at least once
