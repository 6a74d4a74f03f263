"""The dispatch state machine on both engines: the happy path, declines, refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core import clock
from core.config import get_settings
from core.errors import Conflict, Forbidden, NotFound
from core.events.models import Timer
from core.incidents import dispatch
from core.incidents.dispatch_close import offer_key
from core.incidents.dispatch_offer import OFFER_TIMER, offer_proposed
from core.incidents.need_status import transition_needs
from core.stock.models import Reservation
from tests.core.incidents.dispatch_world import (
    as_coordinator,
    as_volunteer,
    assignment,
    count_events,
    events,
    need_status,
    of_need,
    offered,
    task_status,
)
from tests.core.incidents.match_world import (
    HERE,
    depot,
    match_world,
    need,
    proposed,
    run,
    stock,
    volunteer,
)
from tests.core.stock.test_ledger import assert_ledger_matches, lot_counts


async def test_offer_accept_pick_up_and_done(session, database) -> None:
    w = await match_world(session)
    d = await depot(session, w, HERE[0], HERE[1] + 0.01)
    lot = await stock(session, d, w.water, 20)
    v = await volunteer(session, w, HERE[0], HERE[1] + 0.005)
    n = await need(session, w, items={w.water: 5})
    await run(session, database, w.real)
    now = clock.now()
    (aid,) = await offer_proposed(session=session, incident_id=w.real, now=now)
    a = await assignment(session, aid)
    assert a.status == "offered" and a.volunteer_id == v
    assert a.offer_deadline == now + timedelta(seconds=get_settings().offer_seconds)
    timer = (await session.execute(select(Timer).where(Timer.key == offer_key(aid)))).scalar_one()
    assert timer.kind == OFFER_TIMER and timer.due_at == a.offer_deadline
    (offer,) = await events(session, "assignment.offered")
    assert offer["id"] == str(aid) and offer["need_id"] == str(n) and offer["attempt"] == 1
    assert offer["need"]["kind"] == "supplies" and offer["need"]["lon"] == HERE[0]
    assert offer["items"] == [
        {"item_id": str(w.water), "name": offer["items"][0]["name"], "name_en": offer["items"][0][
            "name_en"], "unit": offer["items"][0]["unit"], "quantity": 5}
    ]  # fmt: skip
    assert offer["depot"]["id"] == str(d) and offer["distance_m"] == a.distance_m
    assert offer["deadline"].startswith(a.offer_deadline.isoformat()[:19])

    me = await as_volunteer(session, v, w)
    (out,) = await dispatch.respond(session=session, principal=me, assignment_ids=[aid],
                                    action="accept")  # fmt: skip
    assert (out.status, out.changed) == ("accepted", True)
    assert await need_status(session, n) == "in_progress"
    await session.refresh(timer)
    assert timer.claimed_by == "cancelled"

    assert await lot_counts(session, lot) == (20, 5)
    await dispatch.report_status(session=session, principal=me, assignment_ids=[aid],
                                 status="picked_up")  # fmt: skip
    assert await lot_counts(session, lot) == (15, 0)
    await assert_ledger_matches(session, lot)
    res = await session.scalar(select(Reservation.status).where(Reservation.need_id == n))
    assert res == "issued"
    for status in ("en_route", "arrived", "done"):
        await dispatch.report_status(session=session, principal=me, assignment_ids=[aid],
                                     status=status)  # fmt: skip
    assert (await assignment(session, aid)).status == "done"
    assert await task_status(session, a.task_id) == "done"
    assert await need_status(session, n) == "fulfilled"
    for kind in ("accepted", "picked_up", "en_route", "arrived", "done"):
        assert await count_events(session, f"assignment.{kind}") == 1


async def test_decline_reopens_and_the_next_batch_asks_someone_else(session, database) -> None:
    w = await match_world(session)
    d = await depot(session, w, HERE[0], HERE[1] + 0.01)
    lot = await stock(session, d, w.water, 20)
    first = await volunteer(session, w, HERE[0], HERE[1] + 0.002)
    second = await volunteer(session, w, HERE[0], HERE[1] + 0.03)
    n = await need(session, w, items={w.water: 5})
    (aid,) = await offered(session, database, w)
    assert (await assignment(session, aid)).volunteer_id == first
    assert await need_status(session, n) == "matched"
    await dispatch.respond(session=session, principal=await as_volunteer(session, first, w),
                           assignment_ids=[aid], action="decline", reason="busy")  # fmt: skip
    a = await assignment(session, aid)
    assert a.status == "declined" and await task_status(session, a.task_id) == "open"
    assert await need_status(session, n) == "open"
    assert await lot_counts(session, lot) == (20, 5)  # the need keeps its stock
    timer = await session.scalar(select(Timer.claimed_by).where(Timer.key == offer_key(aid)))
    assert timer == "cancelled"
    (ev,) = await events(session, "assignment.declined")
    assert ev["reason"] == "busy" and ev["from"] == "offered"
    await run(session, database, w.real)
    assert await proposed(session, n) == {n: second}
    assert await lot_counts(session, lot) == (20, 5)  # no second reservation


async def test_late_accept_is_refused_and_duplicate_accept_is_idempotent(session, database) -> None:
    w = await match_world(session)
    v1 = await volunteer(session, w)
    v2 = await volunteer(session, w, HERE[0], HERE[1] + 0.01)
    n1 = await need(session, w, kind="visit")
    n2 = await need(session, w, HERE[0], HERE[1] + 0.01, kind="visit")
    ids = await offered(session, database, w)
    by_vol = {(await assignment(session, a)).volunteer_id: a for a in ids}
    late = clock.now() + timedelta(seconds=get_settings().offer_seconds + 1)
    with pytest.raises(Conflict, match="the offer expired at"):
        await dispatch.respond(session=session, principal=await as_volunteer(session, v1, w),
                               assignment_ids=[by_vol[v1]], action="accept", now=late)  # fmt: skip
    me = await as_volunteer(session, v2, w)
    for _ in range(2):
        (out,) = await dispatch.respond(session=session, principal=me,
                                        assignment_ids=[by_vol[v2]], action="accept")  # fmt: skip
    assert out.changed is False and out.status == "accepted"
    assert await count_events(session, "assignment.accepted") == 1
    assert {await need_status(session, n1), await need_status(session, n2)} == {
        "matched",
        "in_progress",
    }


async def test_nobody_acts_on_anothers_assignment(session, database) -> None:
    w = await match_world(session)
    v1 = await volunteer(session, w)
    v2 = await volunteer(session, w, HERE[0], HERE[1] + 0.5, max_km=200)
    await need(session, w, kind="visit")
    (aid,) = await offered(session, database, w)
    assert (await assignment(session, aid)).volunteer_id == v1
    for action in ("accept", "decline"):
        with pytest.raises(NotFound):
            await dispatch.respond(session=session, principal=await as_volunteer(session, v2, w),
                                   assignment_ids=[aid], action=action)  # fmt: skip
    with pytest.raises(Forbidden):  # their own, but cancelling is a coordinator's
        await dispatch.cancel(
            session=session, principal=await as_volunteer(session, v1, w), assignment_ids=[aid]
        )
    with pytest.raises(NotFound):  # a coordinator of the other county
        other = await as_coordinator(session, w.tc.county_b.code)
        await dispatch.cancel(session=session, principal=other, assignment_ids=[aid])
    assert (await assignment(session, aid)).status == "offered"


async def test_illegal_transitions_name_what_is_allowed(session, database) -> None:
    w = await match_world(session)
    v = await volunteer(session, w)
    await need(session, w, kind="visit")
    (aid,) = await offered(session, database, w)
    me = await as_volunteer(session, v, w)
    with pytest.raises(Conflict) as err:
        await dispatch.report_status(session=session, principal=me, assignment_ids=[aid],
                                     status="arrived")  # fmt: skip
    assert err.value.extra["current"] == "offered"
    assert err.value.extra["allowed"] == sorted(
        ["accepted", "declined", "expired", "withdrawn", "cancelled"]
    )
    await dispatch.respond(session=session, principal=me, assignment_ids=[aid], action="accept")
    await dispatch.report_status(session=session, principal=me, assignment_ids=[aid],
                                 status="en_route")  # no depot: straight on  # fmt: skip
    with pytest.raises(Conflict) as err:
        await dispatch.report_status(session=session, principal=me, assignment_ids=[aid],
                                     status="done")  # fmt: skip
    assert "en_route" in str(err.value) and err.value.extra["allowed"] == [
        "arrived", "cancelled", "failed"]  # fmt: skip
    await dispatch.report_status(session=session, principal=me, assignment_ids=[aid],
                                 status="en_route")  # the same again: nothing  # fmt: skip
    assert await count_events(session, "assignment.en_route") == 1


async def test_failed_and_cancelled_put_the_task_back(session, database) -> None:
    w = await match_world(session)
    vols = [await volunteer(session, w, HERE[0], HERE[1] + 0.01 * i) for i in range(3)]
    needs = [await need(session, w, HERE[0], HERE[1] + 0.01 * i, kind="visit") for i in range(3)]
    ids = await offered(session, database, w)
    assert len(ids) == 3  # one batch function call offered them all
    await dispatch.respond(session=session, principal=None, assignment_ids=ids, action="accept")
    assert [await need_status(session, n) for n in needs] == ["in_progress"] * 3
    by_need = {(await assignment(session, a)).need_id: a for a in ids}
    a0, a1 = by_need[needs[0]], by_need[needs[1]]
    await dispatch.report_status(session=session, principal=await as_volunteer(session, vols[0], w),
                                 assignment_ids=[a0], status="failed")  # fmt: skip
    coord = await as_coordinator(session, w.c["C1"].code)
    await dispatch.cancel(session=session, principal=coord, assignment_ids=[a1], reason="moved")
    for aid, n, status in ((a0, needs[0], "failed"), (a1, needs[1], "cancelled")):
        a = await assignment(session, aid)
        assert a.status == status and await task_status(session, a.task_id) == "open"
        assert await need_status(session, n) == "open"


async def test_a_cancelled_need_takes_its_volunteer_off(session, database) -> None:
    w = await match_world(session)
    await volunteer(session, w)
    n = await need(session, w, kind="visit")
    (aid,) = await offered(session, database, w)
    await transition_needs(session=session, principal=None, need_ids=[n], to="cancelled")
    a = await assignment(session, aid)
    assert a.status == "cancelled" and await task_status(session, a.task_id) == "cancelled"
    (ev,) = await events(session, "assignment.cancelled")
    assert ev["reason"] == "need cancelled" and ev["from"] == "offered"
    timer = await session.scalar(select(Timer.claimed_by).where(Timer.key == offer_key(aid)))
    assert timer == "cancelled"


async def test_offer_all_incidents_and_nothing_twice(session, database) -> None:
    w = await match_world(session)
    await volunteer(session, w)
    await volunteer(session, w, HERE[0], HERE[1] + 0.01)
    await need(session, w, kind="visit")
    await need(session, w, drill=True, kind="visit")
    await run(session, database, w.real)
    await run(session, database, w.drill)
    ids = await offer_proposed(session=session)
    assert len(ids) == 2
    assert await offer_proposed(session=session) == []
    assert len(await of_need(session, (await assignment(session, ids[0])).need_id)) == 1
