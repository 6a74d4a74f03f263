"""Coordinators' pins and bans are respected by the solver."""

from __future__ import annotations

from sqlalchemy import insert, select

from core import clock
from core.incidents.match_models import MatchOverride, Task
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


async def _override(session, need_id, kind, *, volunteer_id=None, depot_id=None) -> None:
    await session.execute(
        insert(MatchOverride).values(
            need_id=need_id,
            area_path="x/",
            kind=kind,
            volunteer_id=volunteer_id,
            depot_id=depot_id,
            created_at=clock.now(),
        )
    )


async def test_a_pinned_volunteer_gets_the_need(session, database) -> None:
    w = await match_world(session)
    await volunteer(session, w, HERE[0], HERE[1] + 0.001)
    far = await volunteer(session, w, HERE[0], HERE[1] + 0.3, max_km=100)  # 33 km: past k/limit
    n = await need(session, w)
    await _override(session, n, "pin", volunteer_id=far)
    await run(session, database, w.real)
    assert await proposed(session, n) == {n: far}


async def test_a_pinned_volunteer_who_does_not_qualify_leaves_the_need_unserved(
    session, database
) -> None:
    w = await match_world(session)
    await volunteer(session, w, HERE[0], HERE[1] + 0.001)
    busy = await volunteer(session, w, availability={})
    n = await need(session, w)
    await _override(session, n, "pin", volunteer_id=busy)
    summary = await run(session, database, w.real)
    assert summary.assigned == 0 and await proposed(session) == {}


async def test_a_forbidden_volunteer_is_not_proposed(session, database) -> None:
    w = await match_world(session)
    near = await volunteer(session, w, HERE[0], HERE[1] + 0.001)
    other = await volunteer(session, w, HERE[0], HERE[1] + 0.02)
    n = await need(session, w)
    await _override(session, n, "forbid", volunteer_id=near)
    await run(session, database, w.real)
    assert await proposed(session, n) == {n: other}


async def _depots(session, w) -> tuple:
    near = await depot(session, w, HERE[0], HERE[1] + 0.01)
    far = await depot(session, w, HERE[0], HERE[1] + 0.04)
    for d in (near, far):
        await stock(session, d, w.water, 50)
    await volunteer(session, w)
    return near, far


async def test_a_pinned_depot_supplies_the_need(session, database) -> None:
    w = await match_world(session)
    _, far = await _depots(session, w)
    n = await need(session, w, items={w.water: 10})
    await _override(session, n, "pin", depot_id=far)
    await run(session, database, w.real)
    assert list(await session.scalars(select(Task.depot_id).where(Task.need_id == n))) == [far]


async def test_a_forbidden_depot_is_not_used(session, database) -> None:
    w = await match_world(session)
    near, far = await _depots(session, w)
    n = await need(session, w, items={w.water: 10})
    await _override(session, n, "forbid", depot_id=near)
    await run(session, database, w.real)
    assert list(await session.scalars(select(Task.depot_id).where(Task.need_id == n))) == [far]


async def test_without_overrides_the_nearer_depot_is_used(session, database) -> None:
    w = await match_world(session)
    near, _ = await _depots(session, w)
    n = await need(session, w, items={w.water: 10})
    await run(session, database, w.real)
    assert list(await session.scalars(select(Task.depot_id).where(Task.need_id == n))) == [near]
