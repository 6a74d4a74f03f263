"""A matching batch's memo gives the batch a full read gives, after every tick of a drill.

:mod:`core.incidents.match_memo` reads again only the needs named by events since its last
read. A drill goes through every write path a batch depends on — reports raising needs,
batches reserving stock and creating tasks, offers, declines, expiries, pickups, reservation
holds running out, a depot lost, an aftershock — so after each tick the memo's batch must
equal one read whole, on both engines.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime
from typing import Any

import pytest

import core.incidents.match_memo as match_memo
from core import clock
from core.config import get_settings
from core.incidents.match_batch import Loaded
from core.incidents.match_load import load
from plans.drills.runner import run_drill
from plans.drills.ticks import Simulation
from tests.plans.drills.drill_world import empty_postgres, tiny

INJECTS = [
    {"at_minutes": 20, "kind": "depot_lost", "depot_kind": "charity_supermarket"},
    {"at_minutes": 40, "kind": "aftershock",
     "needs": [{"kind": "supplies", "rate": 0.2,
                "items": [{"item_code": "FOOD-RICE-KG", "quantity": 3}]}]},
]  # fmt: skip


POPULATION = {"households": 300, "volunteers": 8}  # few volunteers: tasks wait, holds run out


def batch_of(w: Loaded) -> tuple[Any, ...]:
    """Everything a loaded batch holds about needs and tasks, in its order."""
    return (
        [(n.id, n.status, n.base, n.created_us, n.has_items) for n in w.needs.values()],
        list(w.demand.items()),
        [(t.id, t.need_id, t.depot_id, t.area_path, t.incumbent, t.attempt, list(t.lines))
         for t in w.old],
        list(w.stale),
        dict(w.locked),
        sorted(w.with_tasks),
        w.overrides,
        list(w.bare),
    )  # fmt: skip


async def _compare_every_tick(url: str | None, monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    seen: Counter[str] = Counter()
    read = match_memo._read

    async def counted(session: Any, incident_id: uuid.UUID, ids: Any) -> Any:
        seen["full" if ids is None else "needs"] += 1
        return await read(session, incident_id, ids)

    async def compare(sim: Simulation, when: str) -> None:
        now = clock.now()
        async with sim.db.reader() as session:
            kept = batch_of(await load(session, sim.incident_id, now, keep=True))
            fresh = batch_of(await load(session, sim.incident_id, now, keep=False))
        assert kept == fresh, f"{when} at {now}"
        seen[when] += 1
        seen["old"] += len(kept[2])
        seen["stale"] += len(kept[3])
        seen["adopted"] += sum(1 for t in kept[2] if t[0] is None)
        seen["turned_down"] += sum(len(o.forbid_vols) for o in kept[6].values())

    tick, match = Simulation.tick, Simulation._match

    async def checked_tick(self: Simulation, k: int, now: datetime) -> None:
        await tick(self, k, now)
        await compare(self, "ticks")

    async def checked_match(self: Simulation) -> None:
        await compare(self, "batches")  # before the batch: stale tasks not yet cancelled
        await match(self)

    monkeypatch.setattr(match_memo, "_read", counted)
    monkeypatch.setattr(Simulation, "tick", checked_tick)
    monkeypatch.setattr(Simulation, "_match", checked_match)
    monkeypatch.setenv("HUZHU_RESERVATION_HOLD_MINUTES", "20")  # holds run out: stale tasks
    get_settings.cache_clear()
    scenario = tiny(injects=INJECTS, duration_minutes=240, population=POPULATION,
                    where={"centre": {"lon": 99.955, "lat": 25.67}, "radius_km": 12})  # fmt: skip
    try:
        result = await run_drill(scenario, database_url=url)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    seen["done"] = result.kpis["dispatch"]["done"]
    return seen


def _exercised(seen: Counter[str]) -> None:
    assert seen["ticks"] == 120 and seen["done"] > 0
    assert seen["old"] > 0 and seen["stale"] > 0 and seen["turned_down"] > 0
    kept_full = seen["full"] - seen["ticks"] - seen["batches"]  # the checks' own left out
    assert 0 < kept_full < seen["needs"]  # mostly per-need refreshes


async def test_the_memo_matches_a_full_read_after_every_tick_on_sqlite(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _exercised(await _compare_every_tick(None, monkeypatch))


async def test_the_memo_matches_a_full_read_after_every_tick_on_postgresql(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _exercised(await _compare_every_tick(await empty_postgres(), monkeypatch))
