"""UUIDv7s made in SQL, on both engines: random per row, or numbered under a drill."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import ManualClock, use_clock
from core.ids import SequentialIds, use_ids, uuid7
from plans.sqlids import uuid7_sql

START = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


def _numbers() -> object:
    return union_all(*(select(literal(n).label("n")) for n in (30, 10, 20))).subquery()


async def _ids(session: AsyncSession) -> dict[int, uuid.UUID]:
    rows = _numbers()
    result = await session.execute(select(rows.c.n, uuid7_sql(order_by=rows.c.n)))
    return {n: made for n, made in result}


async def test_random_sql_ids_are_version_7_and_distinct(session: AsyncSession) -> None:
    made = await _ids(session)
    assert len(set(made.values())) == 3
    assert all(u.version == 7 and u.variant == uuid.RFC_4122 for u in made.values())


async def test_sequential_sql_ids_number_the_rows_in_order(session: AsyncSession) -> None:
    with use_clock(ManualClock(START)), use_ids(SequentialIds()):
        before = uuid7()
        made = await _ids(session)
        after = uuid7()
    in_order = [made[10], made[20], made[30]]
    assert all(u.version == 7 and u.variant == uuid.RFC_4122 for u in in_order)
    assert [before, *in_order, after] == sorted([before, *in_order, after])
    assert {u.int >> 80 for u in in_order} == {int(START.timestamp() * 1000)}
    counters = [u.int & ((1 << 62) - 1) for u in in_order]
    assert counters == [counters[0], counters[0] + 1, counters[0] + 2]
    with use_clock(ManualClock(START)), use_ids(SequentialIds()):
        uuid7()
        assert await _ids(session) == made  # the same calls make the same ids
