"""The memo of :mod:`core.incidents.match_memo`: per-need refreshes, order, when it reads all.

The drill test (``tests/plans/drills/test_match_memo.py``) compares a memo with a full read
after every tick on both engines; these cover what a drill does not reach.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

import core.incidents.match_memo as match_memo
from core import clock
from core.auth.roles import SYSTEM
from core.clock import ManualClock
from core.db import Database
from core.events.models import OutboxEvent
from core.events.outbox import EventIn, emit_many
from core.incidents.match_load import load
from core.incidents.match_memo import MEMOS, Memo, NeedState, Subset, _merge
from core.incidents.match_overrides import add_override
from core.incidents.match_schemas import OverrideCreate
from core.incidents.matching import match_in_session, match_incident
from core.incidents.need_models import Need
from core.stock.reserve import reserve_lines
from tests.core.incidents.match_world import HERE, depot, match_world, need, stock, volunteer
from tests.plans.drills.test_match_memo import batch_of


async def _both(db: Database, incident_id: uuid.UUID) -> tuple[Any, Any]:
    """The batch through the incident's memo, and read whole, in one read transaction."""
    now = clock.now()
    async with db.reader() as s:
        kept = batch_of(await load(s, incident_id, now, keep=True))
        fresh = batch_of(await load(s, incident_id, now, keep=False))
    return kept, fresh


async def _event(s: AsyncSession, incident_id: uuid.UUID, kind: str, **data: Any) -> None:
    await emit_many(s, [EventIn(kind, data, [f"incident:{incident_id}"])])


def _count_reads(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    calls: list[Any] = []
    read = match_memo._read

    async def counted(session: Any, incident_id: uuid.UUID, ids: Any) -> Any:
        calls.append(ids)
        return await read(session, incident_id, ids)

    monkeypatch.setattr(match_memo, "_read", counted)
    return calls


async def test_a_reservation_on_no_task_is_adopted_through_the_memo(
    committed: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with committed.transaction() as s:
        w = await match_world(s)
        n = await need(s, w, items={w.water: 2, w.rice: 1})
        d = await depot(s, w, HERE[0] + 0.01, HERE[1])
        await stock(s, d, w.water, 10)
    kept, fresh = await _both(committed, w.real)  # the first batch reads every need
    assert kept == fresh and kept[2] == [] and kept[1] == [(n, {w.water: 2, w.rice: 1})]
    calls = _count_reads(monkeypatch)
    async with committed.transaction() as s:  # a coordinator reserves by hand: no task
        await reserve_lines(session=s, actor_id=None, need_id=n, lines=[(w.water, d, 2)])
    kept, fresh = await _both(committed, w.real)
    assert calls[0] == [n]  # only the need its stock.reserved event names
    assert kept == fresh
    (adopted,) = kept[2]
    assert adopted[:3] == (None, n, d) and [line[1:] for line in adopted[6]] == [(w.water, 2)]
    assert kept[1] == [(n, {w.rice: 1})]  # what the reservation holds is no longer wanted


async def test_overrides_and_who_let_a_need_go_come_through_the_memo(
    committed: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with committed.transaction() as s:
        w = await match_world(s)
        n = await need(s, w)
        v1, v2 = await volunteer(s, w), await volunteer(s, w, HERE[0] + 0.01, HERE[1])
        await _event(s, w.real, "test.marked")  # the outbox's first row: a head to start from
    await _both(committed, w.real)
    calls = _count_reads(monkeypatch)
    async with committed.transaction() as s:
        for kind, vid in (("forbid", v1), ("pin", v2)):
            await add_override(session=s, principal=SYSTEM, need_id=n,
                               data=OverrideCreate(kind=kind, volunteer_id=vid))  # fmt: skip
    now = clock.now()
    async with committed.reader() as s:
        kept = await load(s, w.real, now, keep=True)
        assert kept is not None and calls == [[n]]
        o = kept.overrides[n]
        assert (o.forbid_vols, o.pin_vol) == ({v1}, v2)
        fresh = await load(s, w.real, now, keep=False)
        assert fresh is not None and fresh.overrides == kept.overrides


async def test_events_of_other_needs_leave_the_memo_alone(
    committed: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with committed.transaction() as s:
        w = await match_world(s)
        mine = await need(s, w)
        other = await need(s, w, drill=True, items={w.water: 1})  # the drill incident's
        d = await depot(s, w, HERE[0] + 0.01, HERE[1])
        await stock(s, d, w.water, 5, drill=True)
    await _both(committed, w.real)
    calls = _count_reads(monkeypatch)
    async with committed.transaction() as s:
        await reserve_lines(session=s, actor_id=None, need_id=other, lines=[(w.water, d, 1)],
                            is_drill=True)  # fmt: skip
    kept, fresh = await _both(committed, w.real)
    assert calls[0] == [other] and kept == fresh  # asked for, but not one of this incident's
    assert [row[0] for row in kept[0]] == [mine]


async def test_an_outbox_of_another_epoch_or_gone_back_means_a_full_read(
    committed: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with committed.transaction() as s:
        w = await match_world(s)
        await need(s, w)
        await _event(s, w.real, "test.marked")
        await s.execute(update(OutboxEvent).values(epoch="first"))
    await _both(committed, w.real)
    calls = _count_reads(monkeypatch)
    async with committed.transaction() as s:  # a restored database: a new epoch
        await s.execute(update(OutboxEvent).values(epoch="restored"))
    await _both(committed, w.real)
    async with committed.reader() as s:
        memo = MEMOS.of(s, w.real)
    assert calls[0] is None and memo.head is not None and memo.head[1] == "restored"
    memo.head = (memo.head[0] + 1_000, memo.head[1])  # the outbox went back
    await _both(committed, w.real)
    assert calls[2] is None  # (calls[1], calls[3]: the fresh reads beside)


async def test_a_batch_in_a_callers_transaction_keeps_no_memo(committed: Database) -> None:
    async with committed.transaction() as s:
        w = await match_world(s)
        await need(s, w)
        assert (await load(s, w.real, clock.now())) is not None
        assert w.real not in {key[1] for key in MEMOS._by_incident}


async def test_a_worker_refreshes_stored_priorities_every_five_minutes(
    committed: Database,
) -> None:
    with clock.use_clock(ManualClock(clock.now())) as manual:
        async with committed.transaction() as s:
            w = await match_world(s)
            first = await need(s, w, severity=2)  # stored at creation: 20
            await volunteer(s, w)
            await volunteer(s, w, HERE[0] + 0.01, HERE[1])
        manual.advance(timedelta(minutes=4))
        async with committed.transaction() as s:
            later = await need(s, w, severity=2)
            await _event(s, w.real, "need.created", id=later)

        async def batch_after(minutes: float) -> list[float]:
            manual.advance(timedelta(minutes=minutes))
            await match_incident(database=committed, incident_id=w.real)
            async with committed.reader() as s:
                got = dict(list(await s.execute(select(Need.id, Need.priority))))
            return [pytest.approx(float(got[n]), abs=1e-5) for n in (first, later)]

        assert await batch_after(2) == [20.6, 20.0]  # +6: the first refresh; later 0.2 behind
        assert await batch_after(3.5) == [20.6, 20.0]  # later 0.55 behind, but 3.5 min since
        assert await batch_after(2) == [21.15, 20.75]  # 5.5 min since: both refreshed
        async with committed.transaction() as s:  # a coordinator's batch: refreshed anyway
            manual.advance(timedelta(minutes=6))
            await match_in_session(session=s, database=committed, incident_id=w.real)
            got = dict(list(await s.execute(select(Need.id, Need.priority))))
            assert [got[first], got[later]] == pytest.approx([21.75, 21.35], abs=1e-5)


def test_merge_replaces_in_place_drops_the_closed_and_keeps_id_order() -> None:
    a, b, c, d = sorted(uuid.uuid4() for _ in range(4))
    memo = Memo(needs={b: NeedState("open"), c: NeedState("open"), d: NeedState("open")})
    _merge(memo, [b, d], {b: NeedState("matched")})  # d closed
    assert list(memo.needs) == [b, c] and memo.needs[b].status == "matched"
    _merge(memo, [a, d], {a: NeedState("open"), d: NeedState("open")})  # a: back, before b
    assert list(memo.needs) == [a, b, c, d]


def test_a_subset_keeps_id_order_whatever_order_needs_join_and_leave() -> None:
    ids = [uuid.UUID(int=i) for i in (5, 1, 9, 3, 7)]
    subset = Subset()
    for nid in ids:
        subset.put(nid, NeedState(str(nid.int)))
    assert [n.int for n in subset.ids()] == [1, 3, 5, 7, 9]
    subset.put(ids[2], None)  # 9 leaves
    assert [n.int for n in subset.ids()] == [1, 3, 5, 7]
    subset.put(uuid.UUID(int=42), None)  # never in: nothing happens
    subset.put(ids[1], NeedState("again"))  # 1 stays where it is, with its new state
    kept = subset.ids()
    assert subset.ids() is kept  # the same ids: not made again
    subset.put(uuid.UUID(int=2), NeedState("2"))
    assert [(n.int, s.status) for n, s in subset.items()] == [
        (1, "again"), (2, "2"), (3, "3"), (5, "5"), (7, "7")]  # fmt: skip
    assert [n.int for n in subset.ids()] == [1, 2, 3, 5, 7]


def test_a_memo_settles_its_subsets_from_the_needs_read_anew() -> None:
    a, b, c = (uuid.UUID(int=i) for i in (1, 2, 3))
    memo = Memo(needs={a: NeedState("open"), b: NeedState("matched"), c: NeedState("open")})
    memo.needs[b].tasks.append(object())  # type: ignore[arg-type]
    memo.needs[c].turned_down.append(uuid.UUID(int=99))
    memo.settle(None)
    assert [n for n, _ in memo.tasked.items()] == [b]
    assert [n for n, _ in memo.special.items()] == [c]
    memo.needs[a] = NeedState("open", loose=[(a, a, a, 1)])  # read anew: loose stock
    del memo.needs[b]  # no longer live
    memo.settle([a, b])
    assert [n for n, _ in memo.tasked.items()] == []
    assert [n for n, _ in memo.loose.items()] == [a]
    assert [n for n, _ in memo.special.items()] == [c]
