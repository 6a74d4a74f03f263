"""A batch's needs: the unchanging part read once per process, the status every batch."""

from __future__ import annotations

import uuid

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Database
from core.incidents.match_memo import MAX_INCIDENTS
from core.incidents.match_needs import STATIC, StaticNeeds
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
