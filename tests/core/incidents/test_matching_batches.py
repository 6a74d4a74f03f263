"""Batch after batch: pending offers may be withdrawn, accepted work never moves, a batch
with nothing new writes nothing, open tasks re-enter, and every assignment says why."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from core import clock
from core.events.models import OutboxEvent, OutboxStream
from core.geo.distance import haversine_m
from core.geo.routing import SPEED_MPS, TERRAIN_FACTOR
from core.incidents.match_models import Assignment, MatchBatch, Task, TaskLine
from core.incidents.need_models import Need
from core.registry.volunteers.models import Volunteer
from core.stock import reserve
from core.stock.models import Reservation
from tests.core.incidents.match_world import (
    HERE,
    depot,
    match_world,
    need,
    proposed,
    rows,
    run,
    stock,
    volunteer,
)


async def _assignment(session, need_id) -> Assignment:
    stmt = select(Assignment).where(Assignment.need_id == need_id).order_by(Assignment.id)
    return list(await session.scalars(stmt))[-1]


async def test_a_pending_offer_is_withdrawn_for_a_much_better_volunteer(session, database) -> None:
    w = await match_world(session)
    far = await volunteer(session, w, HERE[0], HERE[1] + 0.05)  # 5.6 km
    n = await need(session, w)
    await run(session, database, w.real)
    first = await _assignment(session, n)
    assert first.volunteer_id == far
    near = await volunteer(session, w, HERE[0], HERE[1] + 0.001)
    summary = await run(session, database, w.real)
    assert (summary.withdrawn, summary.assigned, summary.tasks) == (1, 1, 0)
    await session.refresh(first)
    assert first.status == "withdrawn"
    second = await _assignment(session, n)
    assert (second.volunteer_id, second.task_id, second.attempt) == (near, first.task_id, 2)
    ev = await session.scalar(select(OutboxEvent).where(OutboxEvent.type == "assignment.withdrawn"))
    streams = set(
        await session.scalars(select(OutboxStream.stream).where(OutboxStream.seq == ev.seq))
    )
    assert f"volunteer:{far}" in streams and f"incident:{w.real}" in streams


async def test_a_small_gain_keeps_the_pending_offer(session, database) -> None:
    w = await match_world(session)
    first_vol = await volunteer(session, w, HERE[0], HERE[1] + 0.01)
    n = await need(session, w)
    await run(session, database, w.real)
    await volunteer(session, w, HERE[0], HERE[1] + 0.008)  # ≈ 0.3 km less road: under the bonus
    summary = await run(session, database, w.real)
    assert summary.withdrawn == 0 and summary.batch_id is None
    assert await proposed(session, n) == {n: first_vol}


async def test_accepted_work_is_never_touched(session, database) -> None:
    w = await match_world(session)
    far = await volunteer(session, w, HERE[0], HERE[1] + 0.05)
    n = await need(session, w)
    await run(session, database, w.real)
    a = await _assignment(session, n)
    await session.execute(update(Assignment).where(Assignment.id == a.id).values(status="accepted"))
    await session.execute(update(Need).where(Need.id == n).values(status="open"))  # reopened
    await volunteer(session, w, HERE[0], HERE[1] + 0.001)
    other = await need(session, w, HERE[0], HERE[1] + 0.05)  # right at the busy volunteer
    before = await rows(session, Assignment)
    summary = await run(session, database, w.real)
    assert summary.withdrawn == 0 and summary.assigned == 1  # only the new need
    await session.refresh(a)
    assert a.status == "accepted" and a.volunteer_id == far
    assert await rows(session, Assignment) == before + 1
    assert far not in (await proposed(session, other)).values()  # their one slot is taken


async def test_a_second_batch_with_nothing_new_writes_nothing(session, database) -> None:
    w = await match_world(session)
    d = await depot(session, w, HERE[0], HERE[1] + 0.01)
    await stock(session, d, w.water, 5)
    await volunteer(session, w)
    await volunteer(session, w, HERE[0], HERE[1] + 0.01)
    await need(session, w, items={w.water: 10})  # stays open: short of stock
    await need(session, w, HERE[0], HERE[1] + 0.02, kind="visit")
    first = await run(session, database, w.real)
    assert first.assigned == 2 and first.batch_id is not None
    models = (Task, TaskLine, Assignment, Reservation, MatchBatch, OutboxEvent)
    counts = [await rows(session, m) for m in models]
    again = await run(session, database, w.real)
    assert again.batch_id is None and (again.tasks, again.assigned, again.withdrawn) == (0, 0, 0)
    assert [await rows(session, m) for m in models] == counts


async def test_the_explanation(session, database) -> None:
    w = await match_world(session)
    chosen = await volunteer(
        session, w, HERE[0], HERE[1] + 0.01, skills=("cooking",), languages=("iii", "cmn")
    )
    runner = await volunteer(
        session, w, HERE[0], HERE[1] + 0.02, skills=("cooking",), languages=("iii",)
    )
    await volunteer(session, w, HERE[0], HERE[1] + 0.001, languages=("iii",))  # no skill
    n = await need(session, w, skills=("cooking",), languages=("iii", "bca"), severity=4)
    summary = await run(session, database, w.real)
    a = await _assignment(session, n)
    r = a.reason
    metres = haversine_m(HERE[0], HERE[1] + 0.01, *HERE) * TERRAIN_FACTOR
    assert a.volunteer_id == chosen and a.status == "proposed" and a.attempt == 1
    assert r["distance_m"] == pytest.approx(metres, abs=0.1) == a.distance_m
    assert r["eta_s"] == pytest.approx(metres / SPEED_MPS["vehicle"], abs=0.1)
    assert r["skills_matched"] == ["cooking"] and r["languages_matched"] == ["iii"]
    assert r["priority"] == pytest.approx(40, abs=0.5) and r["candidates_considered"] == 2
    assert r["runner_up"]["volunteer_id"] == str(runner)
    assert r["runner_up"]["distance_m"] == pytest.approx(2 * metres, rel=0.01)
    assert r["solver"] == "min_cost_flow" and r["batch_id"] == str(summary.batch_id)
    assert r["neighbour"] is False and r["depot_id"] is None
    assert a.batch_id == summary.batch_id


@pytest.mark.parametrize("first", [True, False], ids=["neighbours_first", "plain"])
async def test_neighbours_first(session, database, first) -> None:
    """A neighbour living 0.8 km away beats a volunteer standing 0.5 km away (live
    position; home 5 km away) for a neighbours-first need, and only for one."""
    w = await match_world(session)
    neighbour = await volunteer(session, w, HERE[0], HERE[1] + 0.007)
    passer_by = await volunteer(session, w, HERE[0], HERE[1] + 0.045)
    await session.execute(
        update(Volunteer)
        .where(Volunteer.id == passer_by)
        .values(live_lon=HERE[0], live_lat=HERE[1] + 0.0045, live_at=clock.now())
    )
    n = await need(session, w, kind="visit", neighbours_first=first)
    await run(session, database, w.real)
    assert await proposed(session, n) == {n: neighbour if first else passer_by}
    assert (await _assignment(session, n)).reason["neighbour"] is first


async def test_an_open_task_re_enters_without_new_stock(session, database) -> None:
    w = await match_world(session)
    d = await depot(session, w, HERE[0], HERE[1] + 0.01)
    await stock(session, d, w.water, 50)
    first_vol = await volunteer(session, w)
    second_vol = await volunteer(session, w, HERE[0], HERE[1] + 0.03)
    n = await need(session, w, items={w.water: 10})
    await run(session, database, w.real)
    a = await _assignment(session, n)
    assert a.volunteer_id == first_vol
    # What the realtime issue does on a decline: assignment declined, task and need open.
    await session.execute(update(Assignment).where(Assignment.id == a.id).values(status="declined"))
    await session.execute(update(Task).where(Task.id == a.task_id).values(status="open"))
    await session.execute(update(Need).where(Need.id == n).values(status="open"))
    reservations = await rows(session, Reservation)
    summary = await run(session, database, w.real)
    assert (summary.tasks, summary.assigned, summary.matched) == (0, 1, 1)
    b = await _assignment(session, n)
    assert (b.task_id, b.volunteer_id, b.attempt) == (a.task_id, second_vol, 2)
    assert await rows(session, Reservation) == reservations
    assert await session.scalar(select(Task.status).where(Task.id == a.task_id)) == "assigned"


async def test_stock_reserved_by_hand_is_adopted_by_a_task(session, database) -> None:
    w = await match_world(session)
    d = await depot(session, w, HERE[0], HERE[1] + 0.04)
    await depot(session, w, HERE[0], HERE[1] + 0.01)  # nearer, but the stock is reserved at d
    await stock(session, d, w.water, 50)
    await volunteer(session, w)
    n = await need(session, w, items={w.water: 10})
    (res,) = await reserve.reserve_lines(
        session=session, actor_id=None, need_id=n, lines=[(w.water, d, 10)]
    )
    summary = await run(session, database, w.real)
    assert (summary.tasks, summary.assigned, summary.matched) == (1, 1, 1)
    line = (
        await session.execute(
            select(TaskLine.reservation_id, Task.depot_id).join(Task, Task.id == TaskLine.task_id)
        )
    ).one()
    assert tuple(line) == (res.reservation_id, d)
    assert await rows(session, Reservation) == 1


async def test_a_task_whose_stock_expired_is_cancelled(session, database) -> None:
    w = await match_world(session)
    d = await depot(session, w, HERE[0], HERE[1] + 0.01)
    await stock(session, d, w.water, 50)
    n = await need(session, w, items={w.water: 10})
    await run(session, database, w.real)  # no volunteer yet: the task waits, open
    (task,) = await session.scalars(select(Task).where(Task.need_id == n))
    assert task.status == "open"
    rid = await session.scalar(select(Reservation.id))
    await reserve.release(
        session=session, actor_id=None, reservation_id=rid, reason="expired", status="expired"
    )
    await volunteer(session, w)
    summary = await run(session, database, w.real)
    assert (summary.tasks, summary.assigned) == (1, 1)
    await session.refresh(task)
    assert task.status == "cancelled"
    assert await rows(session, Reservation) == 2
