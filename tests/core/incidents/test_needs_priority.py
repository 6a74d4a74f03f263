"""The priority formula (pure) and its set-based refresh (both engines)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core import clock
from core.clock import ManualClock
from core.incidents.need_models import Need, NeedKind, NeedSource
from core.incidents.need_schemas import NeedCreate
from core.incidents.needs import create_needs, transition_needs
from core.incidents.priority import (
    TAG_WEIGHTS,
    priority,
    refresh_priorities,
    vulnerability_score,
    waiting_bonus,
)
from core.registry.vocab import VULNERABILITY_TAGS
from tests.core.incidents.needs_world import build_world

START = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def test_every_vulnerability_tag_has_a_weight() -> None:
    assert set(TAG_WEIGHTS) == set(VULNERABILITY_TAGS)


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ([], 0.0),
        (["dibao"], 2.0),
        (["aged_80_plus", "living_alone"], 10 + 3),  # max + half of the rest
        (["bedridden", "infant"], 12 + 4),
        (["bedridden", "dialysis", "aged_80_plus", "disabled"], 20.0),  # capped
        (["aged_80_plus", "aged_80_plus"], 15.0),  # two members aged 80+
        (["no_such_tag"], 0.0),
    ],
)
def test_vulnerability_score(tags: list[str], expected: float) -> None:
    assert vulnerability_score(tags) == pytest.approx(expected)


def test_waiting_bonus_grows_then_stops() -> None:
    assert waiting_bonus(0) == 0
    assert waiting_bonus(-5) == 0  # a clock skew never lowers priority
    assert waiting_bonus(45) == pytest.approx(4.5)
    assert waiting_bonus(300) == 30
    assert waiting_bonus(10_000) == 30


def test_priority_formula() -> None:
    assert priority(3, 0, 0) == 30
    assert priority(5, 16, 60) == pytest.approx(50 + 16 + 6)
    # an old minor need climbs, but a severity step outweighs an hour's wait
    assert priority(2, 0, 60) < priority(3, 0, 0)
    assert priority(2, 0, 300) > priority(4, 0, 0)


async def test_refresh_recomputes_open_and_matched_needs(session) -> None:
    with clock.use_clock(ManualClock(START)) as manual:
        w = await build_world(session)
        rows = [
            NeedCreate(kind=NeedKind.supplies, household_id=w.h["h1"], severity=3),
            NeedCreate(kind=NeedKind.visit, person_id=w.p["丁"], severity=2),
            NeedCreate(kind=NeedKind.other, household_id=w.h["h2"], severity=1),
        ]
        ids = await create_needs(
            session=session, principal=None, incident_id=w.inc["live"], rows=rows,
            source=NeedSource.coordinator,
        )  # fmt: skip
        drill_ids = await create_needs(
            session=session, principal=None, incident_id=w.inc["drill"], rows=rows[:1],
            source=NeedSource.coordinator,
        )  # fmt: skip
        await transition_needs(session=session, principal=None, need_ids=ids[2:], to="matched")
        await transition_needs(session=session, principal=None, need_ids=ids[2:], to="in_progress")
        stored = await _priorities(session, ids)
        assert stored == pytest.approx([30 + 16, 20 + 10, 10])  # at creation: no wait
        manual.advance(timedelta(minutes=95))
        touched = await refresh_priorities(
            session=session, incident_id=w.inc["live"], now=clock.now()
        )
    assert touched == 2  # the in-progress need no longer waits
    after = await _priorities(session, ids)
    assert after == pytest.approx([priority(3, 16, 95), priority(2, 10, 95), 10], abs=1e-6)
    assert await _priorities(session, drill_ids) == pytest.approx([46])  # other incident


async def test_a_refresh_rewrites_only_priorities_half_a_point_or_more_behind(session) -> None:
    with clock.use_clock(ManualClock(START)) as manual:
        w = await build_world(session)
        (nid,) = await create_needs(
            session=session, principal=None, incident_id=w.inc["live"],
            rows=[NeedCreate(kind=NeedKind.visit, household_id=w.h["h1"], severity=2)],
            source=NeedSource.coordinator,
        )  # fmt: skip
        (created,) = await _priorities(session, [nid])
        manual.advance(timedelta(minutes=4))  # 0.4 of a point behind: left as it is
        assert await refresh_priorities(session=session, incident_id=w.inc["live"],
                                        now=clock.now()) == 0  # fmt: skip
        assert await _priorities(session, [nid]) == pytest.approx([created])
        manual.advance(timedelta(minutes=2))
        assert await refresh_priorities(session=session, incident_id=w.inc["live"],
                                        now=clock.now()) == 1  # fmt: skip
        assert await _priorities(session, [nid]) == pytest.approx([created + 0.6], abs=1e-6)
        assert await refresh_priorities(session=session, incident_id=w.inc["live"],
                                        now=clock.now()) == 0  # fmt: skip


async def _priorities(session, ids) -> list[float]:
    stmt = select(Need.id, Need.priority).where(Need.id.in_(ids))
    found = dict((await session.execute(stmt.execution_options(populate_existing=True))).all())
    return [found[i] for i in ids]
