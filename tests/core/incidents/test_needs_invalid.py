"""Bad input when raising needs: 4xx naming the field, nothing written; and batch size."""

from __future__ import annotations

import collections

import pytest
from pydantic import ValidationError
from sqlalchemy import event, select

from core.errors import Conflict, Invalid, NotFound
from core.incidents.need_models import Need, NeedKind, NeedSource
from core.incidents.need_schemas import NeedCreate, NeedItemIn
from core.incidents.needs import create_needs
from tests.core.incidents.needs_world import RICE, WATER, build_world, counts, with_users


async def _raise(session, principal, incident_id, *rows):
    return await create_needs(
        session=session, principal=principal, incident_id=incident_id, rows=list(rows),
        source=NeedSource.coordinator,
    )  # fmt: skip


async def test_unknown_item_and_repeated_item_name_the_line(session) -> None:
    w = await build_world(session)
    before = await counts(session)
    rows = [
        NeedCreate(kind=NeedKind.supplies, household_id=w.h["h1"],
                   items=[NeedItemIn(item_code="WATER-GOLD", quantity=1)]),
        NeedCreate(kind=NeedKind.supplies, household_id=w.h["h2"],
                   items=[NeedItemIn(item_code=RICE, quantity=1),
                          NeedItemIn(item_code=RICE, quantity=2)]),
    ]  # fmt: skip
    with pytest.raises(Invalid) as err:
        await _raise(session, None, w.inc["live"], *rows)
    locs = [e.loc for e in err.value.errors]
    assert locs == [("rows", 0, "items", 0, "item_code"), ("rows", 1, "items", 1, "item_code")]
    assert await counts(session) == before


async def test_person_outside_the_household(session) -> None:
    w = await build_world(session)
    row = NeedCreate(kind=NeedKind.medical, household_id=w.h["h1"], person_id=w.p["丙"])
    with pytest.raises(Invalid) as err:
        await _raise(session, None, w.inc["live"], row)
    assert err.value.errors[0].loc == ("rows", 0, "person_id")
    assert "outside the household" in err.value.errors[0].msg


async def test_places_outside_the_incident(session) -> None:
    w = await build_world(session)
    before = await counts(session)
    rows = [
        NeedCreate(kind=NeedKind.other, household_id=w.h["h4"]),  # A4 is not affected
        NeedCreate(kind=NeedKind.other, lon=100.01, lat=25.71),  # inside A4 only
        NeedCreate(kind=NeedKind.other, community_code=w.c["A4"].code, lon=100.01, lat=25.71),
        NeedCreate(kind=NeedKind.other, community_code=w.c["A1"].code, lon=99.95, lat=25.61),
        NeedCreate(kind=NeedKind.other),
    ]
    with pytest.raises(Invalid) as err:
        await _raise(session, None, w.inc["live"], *rows)
    assert [e.loc for e in err.value.errors] == [
        ("rows", 0, "household_id"),
        ("rows", 1, "community_code"),
        ("rows", 2, "community_code"),
        ("rows", 3, "lon"),
        ("rows", 4, "lon"),
    ]
    assert await counts(session) == before


async def test_stood_down_incident_is_409_saying_when(session) -> None:
    w = await build_world(session)
    before = await counts(session)
    with pytest.raises(Conflict) as err:
        await _raise(session, None, w.inc["down"], NeedCreate(kind=NeedKind.other,
                                                              household_id=w.h["h1"]))  # fmt: skip
    assert "stood down at" in err.value.detail and err.value.extra["stood_down_at"]
    assert await counts(session) == before


async def test_other_countys_incident_is_404(session) -> None:
    w = await with_users(session, await build_world(session))
    coord, _ = w.users["coord_a"]
    with pytest.raises(NotFound):
        await _raise(session, coord, w.inc["b"], NeedCreate(kind=NeedKind.other, lon=100.61,
                                                            lat=25.31))  # fmt: skip


def test_schema_rejects_bad_values() -> None:
    for bad in (
        {"kind": "other", "severity": 6},
        {"kind": "other", "skills": ["juggling"]},
        {"kind": "other", "languages": ["klingon"]},
        {"kind": "other", "lon": 99.9},
        {"kind": "other", "items": [{"item_code": WATER, "quantity": 0}]},
        {"kind": "teleport"},
    ):
        with pytest.raises(ValidationError):
            NeedCreate.model_validate(bad)


# -- set-based ---------------------------------------------------------------------------------


async def test_a_batch_takes_a_handful_of_statements(session) -> None:
    w = await build_world(session)
    spots = [(99.901 + 0.00003 * i, 25.601 + 0.00003 * i) for i in range(500)]

    def rows(n: int) -> list[NeedCreate]:
        return [
            NeedCreate(kind=NeedKind.rescue, lon=lon, lat=lat,
                       items=[NeedItemIn(item_code=WATER, quantity=1 + i % 5)])
            if i % 2 else NeedCreate(kind=NeedKind.visit, person_id=w.p["老甲"])
            for i, (lon, lat) in enumerate(spots[:n])
        ]  # fmt: skip

    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    sync_engine = (await session.connection()).engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", count)
    try:
        small = await _raise(session, None, w.inc["live"], *rows(10))
        few = len(statements)
        statements.clear()
        big = await _raise(session, None, w.inc["live"], *rows(500))
        many = len(statements)
    finally:
        event.remove(sync_engine, "before_cursor_execute", count)
    assert len(small) == 10 and len(big) == 500 and len(set(big)) == 500
    assert many == few <= 16, collections.Counter(s[:60] for s in statements).most_common(5)
    stored = await session.scalar(select(Need.id).where(Need.id == big[-1]))
    assert stored == big[-1]
