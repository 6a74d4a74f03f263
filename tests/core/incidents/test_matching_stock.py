"""Matching with stock: splits across depots, scarcity, drill stock, greedy vs optimum."""

from __future__ import annotations

import logging

from sqlalchemy import select

from core.incidents.match_models import MatchBatch, Task, TaskLine
from core.incidents.need_models import Need
from core.stock.models import Lot, Reservation
from tests.core.incidents.match_world import (
    HERE,
    depot,
    match_world,
    need,
    proposed,
    run,
    stock,
    tasks_of,
    today_plus,
    volunteer,
)
from tests.core.stock.test_ledger import assert_ledger_matches, lot_counts


async def _lines(session, need_id) -> dict:
    """depot id → {item id: quantity} of the need's tasks, from the task lines."""
    out: dict = {}
    rows = await session.execute(
        select(
            Task.depot_id,
            TaskLine.item_id,
            TaskLine.quantity,
            Reservation.quantity,
            Reservation.depot_id,
        )
        .join(TaskLine, TaskLine.task_id == Task.id)
        .join(Reservation, Reservation.id == TaskLine.reservation_id)
        .where(Task.need_id == need_id)
    )
    for depot_id, item, q, reserved, res_depot in rows:
        assert q == reserved and res_depot == depot_id  # the line is its reservation
        out.setdefault(depot_id, {})[item] = q
    return out


async def test_a_split_across_two_depots(session, database) -> None:
    w = await match_world(session)
    near = await depot(session, w, HERE[0], HERE[1] + 0.01)
    far = await depot(session, w, HERE[0], HERE[1] + 0.03)
    lot_near, lot_far = (
        await stock(session, near, w.water, 20),
        await stock(session, far, w.water, 20),
    )
    await volunteer(session, w, HERE[0], HERE[1] + 0.005)
    await volunteer(session, w, HERE[0], HERE[1] + 0.025)
    n = await need(session, w, items={w.water: 30})
    summary = await run(session, database, w.real)
    assert (summary.tasks, summary.assigned, summary.matched) == (2, 2, 1)
    assert await _lines(session, n) == {near: {w.water: 20}, far: {w.water: 10}}
    assert await lot_counts(session, lot_near) == (20, 20)
    assert await lot_counts(session, lot_far) == (20, 10)
    for lot in (lot_near, lot_far):
        await assert_ledger_matches(session, lot)
    assert await session.scalar(select(Need.status).where(Need.id == n)) == "matched"
    tasks = list(await session.scalars(select(Task).where(Task.need_id == n)))
    assert {t.status for t in tasks} == {"assigned"}


async def test_short_stock_reserves_what_there_is_and_the_need_stays_open(
    session, database
) -> None:
    w = await match_world(session)
    d = await depot(session, w, HERE[0], HERE[1] + 0.01)
    await stock(session, d, w.water, 12)
    await stock(session, d, w.water, 50)
    await volunteer(session, w)
    n = await need(session, w, items={w.water: 100})
    summary = await run(session, database, w.real)
    assert (summary.tasks, summary.assigned, summary.matched) == (1, 1, 0)
    assert await _lines(session, n) == {d: {w.water: 62}}
    assert await session.scalar(select(Need.status).where(Need.id == n)) == "open"


async def test_expired_lots_are_not_used(session, database) -> None:
    w = await match_world(session)
    d = await depot(session, w, HERE[0], HERE[1] + 0.01)
    expired = await stock(session, d, w.water, 50)
    await session.execute(
        Lot.__table__.update()
        .where(Lot.id == expired)
        .values(expires_on=today_plus(-1), received_on=today_plus(-40))
    )
    await volunteer(session, w)
    n = await need(session, w, items={w.water: 10})
    summary = await run(session, database, w.real)
    assert (summary.tasks, summary.assigned) == (0, 0)
    assert await _lines(session, n) == {}


async def test_drill_needs_take_only_their_drills_stock(session, database) -> None:
    w = await match_world(session)
    d = await depot(session, w, HERE[0], HERE[1] + 0.01)
    real_lot = await stock(session, d, w.water, 100)
    other = await stock(session, d, w.water, 100, drill=True, drill_incident=w.real)  # not a drill
    shadow = await stock(session, d, w.water, 5, drill=True, drill_incident=w.drill)
    await volunteer(session, w)
    n = await need(session, w, drill=True, items={w.water: 8})
    summary = await run(session, database, w.drill)
    assert summary.tasks == 1
    assert await _lines(session, n) == {d: {w.water: 5}}
    assert await lot_counts(session, shadow) == (5, 5)
    assert await lot_counts(session, real_lot) == (100, 0)
    assert await lot_counts(session, other) == (100, 0)


async def test_priority_wins_stock_under_scarcity(session, database) -> None:
    w = await match_world(session)
    d = await depot(session, w, HERE[0], HERE[1] + 0.01)
    await stock(session, d, w.water, 10)
    await volunteer(session, w)
    await volunteer(session, w)
    mild = await need(session, w, HERE[0], HERE[1] + 0.011, severity=2, items={w.water: 10})
    severe = await need(session, w, HERE[0], HERE[1] + 0.03, severity=5, items={w.water: 10})
    await run(session, database, w.real)
    assert await _lines(session, severe) == {d: {w.water: 10}}
    assert await _lines(session, mild) == {}


async def test_priority_wins_the_only_volunteer(session, database) -> None:
    w = await match_world(session)
    v = await volunteer(session, w)
    mild = await need(session, w, HERE[0], HERE[1] + 0.001, severity=2, kind="visit")
    severe = await need(session, w, HERE[0], HERE[1] + 0.04, severity=5, kind="visit")
    await run(session, database, w.real)
    assert await proposed(session) == {severe: v}
    assert mild not in await proposed(session)


async def _greedy_trap(session, w) -> tuple:
    """Greedy gives the urgent need its nearest volunteer, who was the only one able to
    reach the other need; the optimum serves both."""
    n1 = await need(session, w, severity=4, kind="visit")
    n2 = await need(session, w, HERE[0], HERE[1] + 0.03, severity=3, kind="visit")
    v1 = await volunteer(session, w, HERE[0], HERE[1] + 0.01)  # 1.1 km of n1, 2.2 km of n2
    v2 = await volunteer(session, w, HERE[0], HERE[1] - 0.015, max_km=3)  # 1.7 / 5 km
    return n1, n2, v1, v2


async def test_the_optimum_serves_what_greedy_cannot(session, database) -> None:
    w = await match_world(session)
    n1, n2, v1, v2 = await _greedy_trap(session, w)
    summary = await run(session, database, w.real)
    assert summary.solver == "min_cost_flow" and summary.assigned == 2
    assert await proposed(session) == {n1: v2, n2: v1}


async def test_past_the_budget_greedy_is_used_and_logged(session, database, caplog) -> None:
    w = await match_world(session)
    n1, _, v1, _ = await _greedy_trap(session, w)
    with caplog.at_level(logging.WARNING, logger="huzhu.matching"):
        summary = await run(session, database, w.real, budget_s=0)
    assert summary.solver == "greedy" and summary.assigned == 1
    assert await proposed(session) == {n1: v1}
    assert any("greedy" in r.getMessage() for r in caplog.records)
    batch = await session.scalar(select(MatchBatch).where(MatchBatch.id == summary.batch_id))
    assert batch.solver == "greedy" and batch.assigned == 1
    assert batch.load_ms >= 0 and batch.solve_ms >= 0 and batch.write_ms > 0


class _CountingSearch:
    """The real candidate search, counting the points it is asked about for volunteers."""

    def __init__(self, inner) -> None:
        self.inner, self.points = inner, 0

    def __getattr__(self, name: str):
        found = getattr(self.inner, name)
        if not name.startswith("volunteer"):
            return found

        async def counted(session, **kw):
            self.points += len(kw["points"])
            return await found(session, **kw)

        return counted


async def test_a_need_no_depot_can_serve_is_not_searched(session, database, monkeypatch) -> None:
    """A need wanting only items no depot holds gets no stock arc, hence no task: it is
    left out before the volunteer search (the prune would drop it after); a need wanting a
    held item, or pinned to a volunteer, is searched and served."""
    from core.incidents import matching
    from tests.core.incidents.test_matching_overrides import _override

    searches: list[_CountingSearch] = []

    def counting(*args, **kw):
        searches.append(_CountingSearch(matching_search(*args, **kw)))
        return searches[-1]

    matching_search = matching.candidate_search
    monkeypatch.setattr(matching, "candidate_search", counting)
    w = await match_world(session)
    await stock(session, await depot(session, w, HERE[0], HERE[1] + 0.01), w.water, 20)
    await volunteer(session, w, HERE[0], HERE[1] + 0.005)
    pinned = await volunteer(session, w, HERE[0], HERE[1] + 0.02)
    served = await need(session, w, items={w.water: 5})
    waiting = await need(session, w, HERE[0], HERE[1] + 0.001, items={w.rice: 5})
    pin = await need(session, w, HERE[0], HERE[1] + 0.002, items={w.rice: 2})
    await _override(session, pin, "pin", volunteer_id=pinned)
    summary = await run(session, database, w.real)
    assert [s.points for s in searches] == [2]  # served and pin, not waiting
    assert summary.tasks == 1 and await _lines(session, served) != {}
    assert await tasks_of(session, waiting) == [] and await tasks_of(session, pin) == []
