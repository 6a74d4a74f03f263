"""The writer of a batch re-checks its needs and tasks against what changed since the load:
PostgreSQL always reads and locks them; SQLite (one writer) reads them again only when an
event was committed since the load — every change to a need, its tasks, assignments or
reservations emits one."""

from __future__ import annotations

import uuid

from sqlalchemy import event, select

import core.incidents.matching as matching
from core.db import Database
from core.incidents.match_models import Assignment
from core.incidents.matching import match_incident
from core.incidents.need_status import transition_needs
from tests.core.incidents.match_world import HERE, match_world, need, volunteer

RECHECK = "SELECT need.id, need.status \nFROM need \nWHERE need.id IN"


async def _two_needs_one_volunteer(db: Database) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    async with db.transaction() as s:
        w = await match_world(s)
        first = await need(s, w, kind="visit")
        second = await need(s, w, HERE[0] + 0.01, HERE[1], kind="visit")
        await volunteer(s, w, max_active=2)
    return w.real, first, second


def _rechecks(db: Database) -> list[str]:
    seen: list[str] = []

    @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
    def _statement(conn, cursor, statement, *_rest) -> None:  # type: ignore[no-untyped-def]
        if statement.startswith(RECHECK):
            seen.append(statement)

    return seen


async def _assigned(db: Database) -> set[uuid.UUID]:
    async with db.reader() as s:
        return set(await s.scalars(select(Assignment.need_id)))


async def test_a_need_cancelled_while_the_batch_solves_gets_no_assignment(
    committed: Database, monkeypatch
) -> None:
    incident, first, second = await _two_needs_one_volunteer(committed)
    solve = matching._solve

    async def cancelling_first(*args):  # type: ignore[no-untyped-def]
        async with committed.transaction() as s:
            await transition_needs(session=s, principal=None, need_ids=[first], to="cancelled")
        return await solve(*args)

    monkeypatch.setattr(matching, "_solve", cancelling_first)
    rechecks = _rechecks(committed)
    summary = await match_incident(database=committed, incident_id=incident)
    assert summary.needs == 2 and summary.assigned == 1
    assert await _assigned(committed) == {second}
    assert len(rechecks) == 1  # read again on both engines: something changed


async def test_with_nothing_committed_since_the_load_only_postgresql_reads_the_needs_again(
    committed: Database,
) -> None:
    incident, first, second = await _two_needs_one_volunteer(committed)
    rechecks = _rechecks(committed)
    summary = await match_incident(database=committed, incident_id=incident)
    assert summary.assigned == 2 and await _assigned(committed) == {first, second}
    assert len(rechecks) == (0 if committed.is_sqlite else 1)
