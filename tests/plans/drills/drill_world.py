"""Tiny scenarios for the runner's tests (seconds each), a KPI view without ids, and the
rows a drill wrote."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.db import Base, Database
from core.migrate import wipe_postgres
from plans.drills.scenario import Scenario, parse_scenario
from tests.conftest import service_url

TINY: dict[str, Any] = {
    "name": "tiny quake",
    "hazard": "earthquake",
    "level": "III",
    "where": {"centre": {"lon": 99.955, "lat": 25.67}, "radius_km": 3},
    "duration_minutes": 120,
    "tick_seconds": 120,
    "seed": 5,
    "population": {"households": 120, "volunteers": 60},
    "needs": [
        {"kind": "supplies", "rate": 0.3, "items": [{"item_code": "FOOD-RICE-KG", "quantity": 5}]},
        {
            "kind": "medical",
            "who": "vulnerable",
            "rate": 0.3,
            "severity": 4,
            "person_status": "injured",
        },
    ],
    "families": {
        "within_minutes": 20,
        "within_share": 0.7,
        "unreachable_share": 0.1,
        "late_minutes": 40,
    },
    "volunteers": {"on_duty_share": 0.9, "decline_rate": 0.1, "service_minutes": 5},
}


def tiny(**changes: Any) -> Scenario:
    return parse_scenario({**TINY, **changes})


def without_ids(value: Any) -> Any:
    """KPIs with every id left out (to compare runs of different seeds)."""
    if isinstance(value, dict):
        return {k: without_ids(v) for k, v in value.items() if k not in ("id", "depot_id")}
    if isinstance(value, list):
        return [without_ids(v) for v in value]
    return value


VARYING: dict[str, set[str]] = {
    "huzhu_meta": {"value"},  # the database's backup epoch: random per database
    "outbox": {"epoch", "txid"},  # that epoch; PostgreSQL's transaction id
    "app_user": {"password_hash"},  # salted
    "auth_token": {"token_hash"},  # tokens are secrets
    "match_batch": {"load_ms", "solve_ms", "write_ms"},  # wall-clock measurements
}
"""Columns that differ between two runs of one seed by design; every other value matches."""


async def written_rows(
    url: str, varying: dict[str, set[str]] = VARYING
) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows in primary-key order, the ``varying`` columns left out."""
    db = Database(url)
    tables: dict[str, list[tuple[Any, ...]]] = {}
    try:
        async with db.reader() as session:
            for table in Base.metadata.sorted_tables:
                kept = [c for c in table.columns if c.name not in varying.get(table.name, ())]
                query = select(*kept).order_by(*table.primary_key.columns)
                tables[table.name] = [tuple(r) for r in await session.execute(query)]
    finally:
        await db.dispose()
    return tables


async def empty_postgres() -> str:
    """The drill database beside the test database (``HUZHU_TEST_DRILL_DATABASE_URL``, a
    PostGIS database of its own: the shared one stays migrated), emptied."""
    url = service_url("HUZHU_TEST_DRILL_DATABASE_URL", "a second PostgreSQL + PostGIS database")
    db = Database(url)
    await wipe_postgres(db)
    await db.dispose()
    return url
