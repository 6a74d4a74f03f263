"""Tiny scenarios for the runner's tests (seconds each), and a KPI view without ids."""

from __future__ import annotations

from typing import Any

from plans.drills.scenario import Scenario, parse_scenario

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
    """KPIs with every id left out (ids are fresh UUIDv7s in each run)."""
    if isinstance(value, dict):
        return {k: without_ids(v) for k, v in value.items() if k not in ("id", "depot_id")}
    if isinstance(value, list):
        return [without_ids(v) for v in value]
    return value
