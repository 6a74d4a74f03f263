"""Need statuses: the allowed moves, who may make them, events, all-or-nothing batches."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from core.errors import Conflict, Forbidden, NotFound
from core.incidents.models import Incident
from core.incidents.need_models import Need, NeedKind, NeedSource, NeedStatus
from core.incidents.need_schemas import NeedCreate
from core.incidents.needs import ALLOWED, create_needs, transition_needs
from tests.core.incidents.needs_world import build_world, counts, last_event, with_users

S = NeedStatus


async def _needs(session, w, n=1, incident="live", household="h1") -> list:
    rows = [NeedCreate(kind=NeedKind.supplies, household_id=w.h[household]) for _ in range(n)]
    return await create_needs(
        session=session, principal=None, incident_id=w.inc[incident], rows=rows,
        source=NeedSource.coordinator,
    )  # fmt: skip


async def _move(session, principal, ids, to, reason=None):
    return await transition_needs(
        session=session, principal=principal, need_ids=ids, to=to, reason=reason
    )


async def _status(session, nid) -> Need:
    need = await session.get(Need, nid, populate_existing=True)
    return need


def test_the_transition_table() -> None:
    assert ALLOWED[S.open] == {S.matched, S.cancelled}
    assert ALLOWED[S.matched] == {S.in_progress, S.open, S.cancelled}
    assert ALLOWED[S.in_progress] == {S.fulfilled, S.open, S.cancelled}
    assert ALLOWED[S.fulfilled] == ALLOWED[S.cancelled] == frozenset()


async def test_the_happy_path_emits_every_change(session) -> None:
    w = await build_world(session)
    (nid,) = await _needs(session, w)
    seen = []
    for to in (S.matched, S.open, S.matched, S.in_progress, S.fulfilled):
        await _move(session, None, [nid], to, reason="测试")
        ev = await last_event(session)
        seen.append(ev.type)
        assert ev.data["status"] == to.value and ev.data["reason"] == "测试"
        assert f"incident:{w.inc['live']}" in ev.streams
    assert seen == ["need.matched", "need.reopened", "need.matched", "need.in_progress",
                    "need.fulfilled"]  # fmt: skip
    need = await _status(session, nid)
    assert need.status == "fulfilled" and need.closed_at is not None


@pytest.mark.parametrize(
    ("path", "to"),
    [
        ([], S.fulfilled),
        ([], S.open),
        ([S.matched], S.matched),
        ([S.cancelled], S.open),
        ([S.matched, S.in_progress, S.fulfilled], S.cancelled),
    ],
)
async def test_invalid_moves_are_409_saying_what_is_allowed(session, path, to) -> None:
    w = await build_world(session)
    (nid,) = await _needs(session, w)
    for step in path:
        await _move(session, None, [nid], step)
    before = await counts(session)
    with pytest.raises(Conflict) as err:
        await _move(session, None, [nid], to)
    now = path[-1] if path else S.open
    assert err.value.extra["current"] == now.value
    assert err.value.extra["allowed"] == sorted(s.value for s in ALLOWED[now])
    assert await counts(session) == before


async def test_a_batch_is_all_or_nothing(session) -> None:
    w = await build_world(session)
    ids = await _needs(session, w, n=3)
    await _move(session, None, ids[:1], S.cancelled)
    before = await counts(session)
    with pytest.raises(Conflict):
        await _move(session, None, ids, S.matched)
    assert [(await _status(session, i)).status for i in ids] == ["cancelled", "open", "open"]
    assert await counts(session) == before
    assert await _move(session, None, ids[1:], S.matched) == ids[1:]
    assert (await counts(session))[2] == before[2] + 2


async def test_stood_down_incident_refuses_changes(session) -> None:
    w = await build_world(session)
    (nid,) = await _needs(session, w)
    await session.execute(
        update(Incident).where(Incident.id == w.inc["live"]).values(status="stood_down")
    )
    with pytest.raises(Conflict) as err:
        await _move(session, None, [nid], S.cancelled)
    assert "stood down" in err.value.detail


async def test_who_may_change(session) -> None:
    w = await with_users(session, await build_world(session))
    h1_needs = await _needs(session, w, n=5)
    (h2_need,) = await _needs(session, w, household="h2")
    (b_need,) = await _needs(session, w, incident="b", household="hb")
    coord, _ = w.users["coord_a"]
    await _move(session, coord, h1_needs[:1], S.matched)
    with pytest.raises(NotFound):  # other county: not even seen
        await _move(session, coord, [b_need], S.cancelled)
    (a1_point,) = await create_needs(
        session=session, principal=coord, incident_id=w.inc["live"],
        rows=[NeedCreate(kind=NeedKind.rescue, lon=99.915, lat=25.61)],
        source=NeedSource.coordinator,
    )  # fmt: skip
    grid, _ = w.users["grid"]
    await _move(session, grid, h1_needs[1:2], S.matched)
    with pytest.raises(Forbidden):  # in the grid worker's community, not in their grid
        await _move(session, grid, [a1_point], S.cancelled)
    with pytest.raises(NotFound):  # another community
        await _move(session, grid, [h2_need], S.cancelled)
    contact, _ = w.users["contact1"]
    await _move(session, contact, h1_needs[2:3], S.cancelled)
    with pytest.raises(Forbidden):
        await _move(session, contact, h1_needs[3:4], S.matched)
    with pytest.raises(NotFound):
        await _move(session, contact, [h2_need], S.cancelled)
    for who in ("auditor", "volunteer"):
        principal, _ = w.users[who]
        with pytest.raises((Forbidden, NotFound)):
            await _move(session, principal, h1_needs[4:], S.cancelled)
