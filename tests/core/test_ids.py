"""Id sources: random UUIDv7s in production, sequential ones under a drill's clock."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

from core.clock import ManualClock, use_clock
from core.ids import BLOCK, RandomIds, SequentialIds, id_source, use_ids, uuid7

START = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


def _ms(value: uuid.UUID) -> int:
    return value.int >> 80


def test_random_ids_are_version_7_on_the_wall_clock_and_distinct() -> None:
    before = time.time_ns() // 1_000_000
    made = [uuid7() for _ in range(1000)]
    after = time.time_ns() // 1_000_000
    assert all(u.version == 7 and u.variant == uuid.RFC_4122 for u in made)
    assert all(before <= _ms(u) <= after for u in made)
    assert len(set(made)) == 1000
    assert isinstance(id_source(), RandomIds)


def test_sequential_ids_follow_the_installed_clock_and_sort_as_made() -> None:
    clock = ManualClock(START)
    with use_clock(clock), use_ids(SequentialIds()):
        first = [uuid7() for _ in range(3)]
        clock.advance(60)
        later = uuid7()
    made = [*first, later]
    assert all(u.version == 7 and u.variant == uuid.RFC_4122 for u in made)
    assert made == sorted(made) and len(set(made)) == 4
    assert {_ms(u) for u in first} == {int(START.timestamp() * 1000)}
    assert _ms(later) == int(START.timestamp() * 1000) + 60_000
    assert isinstance(id_source(), RandomIds)  # the context put the random source back


def test_two_sequential_sources_make_the_same_ids() -> None:
    def run() -> tuple[list[uuid.UUID], tuple[int, int | None]]:
        with use_clock(ManualClock(START)), use_ids(SequentialIds()) as ids:
            first = [uuid7(), uuid7()]
            block = ids.block()
            return [*first, uuid7()], block

    assert run() == run()


def test_a_block_leaves_room_for_a_statement_s_rows() -> None:
    ids = SequentialIds()
    with use_clock(ManualClock(START)):
        before = ids.uuid7()
        ms, base = ids.block()
        after = ids.uuid7()
    assert ms == int(START.timestamp() * 1000) and base is not None
    assert (before.int & ((1 << 62) - 1)) == base
    assert (after.int & ((1 << 62) - 1)) == base + BLOCK + 1
    assert RandomIds().block()[1] is None
