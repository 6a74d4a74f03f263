"""A batch's needs: the unchanging part read once per process, the status every batch."""

from __future__ import annotations

import uuid

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Database
from core.incidents.match_batch import NeedRow
from core.incidents.match_memo import MAX_INCIDENTS, Memo, NeedState
from core.incidents.match_needs import STATIC, StaticNeed, StaticNeeds, _update_rows
from core.incidents.matching import match_incident
from core.incidents.need_models import Need
from tests.core.incidents.match_world import (
    HERE,
    depot,
    match_world,
    need,
    run,
    stock,
    volunteer,
)


async def test_a_need_is_read_whole_once_and_its_status_every_batch(session, database) -> None:
    w = await match_world(session)
    n = await need(session, w, items={w.water: 2})
    await stock(session, await depot(session, w, HERE[0] + 0.01, HERE[1]), w.water, 10)
    first = await run(session, database, w.real)
    assert first.needs == 1 and n in STATIC.of(session, w.real)
    cached = STATIC.of(session, w.real)[n]
    assert (cached.row.lon, cached.row.lat, cached.items) == (HERE[0], HERE[1], ((w.water, 2),))
    await session.execute(update(Need).where(Need.id == n).values(status="cancelled"))
    assert (await run(session, database, w.real)).needs == 0  # the status is read anew
    await session.execute(update(Need).where(Need.id == n).values(status="open"))
    await volunteer(session, w)
    again = await run(session, database, w.real)
    assert again.needs == 1 and again.assigned == 1


async def test_a_need_seen_only_by_a_rolled_back_transaction_never_enters_a_batch(
    committed,
) -> None:
    async with committed.transaction() as s:
        w = await match_world(s)
        await volunteer(s, w)
    async with committed.engine.connect() as conn:
        outer = await conn.begin()
        s = AsyncSession(bind=conn, join_transaction_mode="create_savepoint")
        ghost = await need(s, w)
        assert (await run(s, committed, w.real)).needs == 1
        await s.close()
        await outer.rollback()
    assert ghost in STATIC.of(s, w.real)  # cached, but no longer in the database
    summary = await match_incident(database=committed, incident_id=w.real)
    assert summary.needs == 0 and summary.assigned == 0


async def test_a_process_keeps_the_needs_of_the_most_recently_matched_incidents(
    tmp_path,
) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/one.db")
    s = AsyncSession(bind=db.engine)  # never connects: the cache only asks which database
    cache = StaticNeeds()
    first, *others = [uuid.uuid4() for _ in range(MAX_INCIDENTS + 1)]
    cache.of(s, first)[uuid.uuid4()] = None  # type: ignore[assignment]
    for i in others[:-1]:
        cache.of(s, i)
    cache.of(s, first)  # used again: kept
    cache.of(s, others[-1])  # one too many: the least recently used goes
    assert len(cache.of(s, first)) == 1
    assert cache.of(s, others[0]) == {}
    await db.dispose()


def _static(nid: uuid.UUID, wants: dict[uuid.UUID, int]) -> StaticNeed:
    row = NeedRow(nid, 0.0, 0.0, "p", (), (), 0.0, False, "", has_items=bool(wants))
    items = tuple(wants.items())
    return StaticNeed(row, items, items)


def test_the_memos_demand_stays_in_id_order_as_needs_join_leave_and_want_again() -> None:
    """Kept from batch to batch: whatever the order of changes, the remaining demand is the
    open needs' in id order, as a full read gives it."""
    water, rice = uuid.UUID(int=100), uuid.UUID(int=101)
    ids = [uuid.UUID(int=i) for i in range(1, 6)]
    known = {nid: _static(nid, {water: 2}) for nid in ids}
    memo = Memo(needs={nid: NeedState("open") for nid in ids[:4]})

    def change(todo: list[uuid.UUID], **states: NeedState) -> list[uuid.UUID]:
        for key, state in states.items():
            memo.needs[ids[int(key[1:])]] = state
        _update_rows(memo, known, todo, full=False)
        return list(memo.demand)

    _update_rows(memo, known, list(memo.needs), full=True)
    assert list(memo.demand) == ids[:4]
    # need 1 fully held, need 4 new (after the last): no reordering needed
    held = NeedState("open", held=[(water, 2)])
    assert change([ids[1], ids[4]], n1=held, n4=NeedState("open")) == [*ids[:1], *ids[2:]]
    # need 1's hold runs out: it wants again, between 0 and 2
    assert change([ids[1]], n1=NeedState("open")) == ids
    # need 2 matched, need 3 closed (no longer live), need 0 wants rice too
    del memo.needs[ids[3]]
    known[ids[0]] = _static(ids[0], {water: 2, rice: 1})
    assert change([ids[2], ids[3], ids[0]], n2=NeedState("matched")) == [ids[0], ids[1], ids[4]]
    assert memo.demand[ids[0]] == {water: 2, rice: 1}
    assert memo.demand == {n: s.left for n, s in memo.needs.items() if s.left}


def test_the_needs_wanting_no_items_are_the_open_visits_in_id_order() -> None:
    ids = [uuid.UUID(int=i) for i in range(1, 5)]
    water = uuid.UUID(int=100)
    known = {nid: _static(nid, {} if i % 2 else {water: 1}) for i, nid in enumerate(ids)}
    memo = Memo(needs={nid: NeedState("open") for nid in ids})
    _update_rows(memo, known, ids, full=True)
    memo.settle(None)
    assert memo.bare.ids() == (ids[1], ids[3])  # 0 and 2 want water
    memo.needs[ids[1]] = NeedState("matched")
    _update_rows(memo, known, [ids[1]], full=False)
    memo.settle([ids[1]])
    assert memo.bare.ids() == (ids[3],)
