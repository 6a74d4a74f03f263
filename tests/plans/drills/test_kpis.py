"""KPIs of a tiny real incident played through the real services equal hand-computed
values (the timeline is in :mod:`tests.plans.drills.kpi_world`), on both engines; the same
timeline played as an isolated drill (drill stock) scores the same: every test runs on
both."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from core import clock
from core.errors import NotFound
from core.ids import uuid7
from core.incidents.match_models import Assignment
from core.incidents.models import Incident
from plans.drills.kpis import incident_kpis
from tests.plans.chain_world import START, activate, build
from tests.plans.drills.kpi_world import play

UNTIL = START + timedelta(minutes=240)


def steps(t: int, changes: dict[int, int]) -> list[int]:
    """A step series over edges 0, 10 … t: the value set at each listed minute."""
    out, value = [], 0
    for edge in range(0, t + 1, 10):
        value = changes.get(edge, value)
        out.append(value)
    return out


@pytest.fixture(params=["real", "drill"])
async def kpis(request, session, database):
    played = await play(session, database, mode=request.param)
    got = await incident_kpis(session, incident_id=played.incident, until=UNTIL)
    return played, got


async def test_chain_figures(kpis) -> None:
    _, k = kpis
    assert k["incident"]["mode"] in ("real", "drill")
    assert k["incident"]["start"] == "2026-11-23T08:00:00Z"
    assert k["incident"]["minutes"] == 240
    assert k["chain"] == {
        "households": 4,
        "households_confirmed": 3,  # h1 at 20, h4 at 45 (庚 missing is a report), h2 at 75
        "persons": 7,
        "persons_accounted": 4,  # 老甲, 小乙, 己, 丙 (庚 missing is not accounted for)
        "vulnerable_persons": 3,
        "vulnerable_accounted": 3,
        "vulnerable_minutes": {"p50": 45.0, "p90": 75.0, "max": 75.0},  # 20, 45, 75
        "vulnerable_within": {"30": 0.3333, "60": 0.6667, "120": 1.0},
        "overdue_households_total": 1,
        "overdue_persons_total": 1,
        "overdue_households_now": 0,
    }


async def test_needs_by_band_and_unmet_items(kpis) -> None:
    _, k = kpis
    assert k["needs"] == {"raised": 3, "met": 2, "cancelled": 0, "unmet": 1}
    bands = k["needs_by_band"]
    # B: visit, severity 4 + aged 80+ (10) = 50; A: severity 4 + infant (8) = 48; C: 20.
    assert bands["P1"] == {"raised": 1, "met": 1, "cancelled": 0, "unmet": 0, "met_share": 1.0,
                           "fulfil_minutes": {"p50": 24.0, "p90": 24.0, "max": 24.0}}  # fmt: skip
    assert bands["P2"]["fulfil_minutes"] == {"p50": 55.0, "p90": 55.0, "max": 55.0}
    assert bands["P3"] == {"raised": 0, "met": 0, "cancelled": 0, "unmet": 0, "met_share": None,
                           "fulfil_minutes": {"p50": None, "p90": None, "max": None}}  # fmt: skip
    assert (bands["P4"]["unmet"], bands["P4"]["met_share"]) == (1, 0.0)
    assert k["unmet_by_item"] == [
        {"item": "KPI-RICE", "name": "KPI-RICE", "unit": "L", "needs": 1, "quantity": 5}
    ]


async def test_dispatch_figures(kpis, session) -> None:
    played, k = kpis
    d = k["dispatch"]
    counts = {key: d[key] for key in ("offers", "re_offers", "accepted", "declined", "expired",
                                     "withdrawn", "done", "failed", "cancelled")}  # fmt: skip
    assert counts == {"offers": 4, "re_offers": 2, "accepted": 2, "declined": 1, "expired": 1,
                      "withdrawn": 0, "done": 2, "failed": 0, "cancelled": 0}  # fmt: skip
    assert (d["accept_share"], d["volunteers_offered"], d["trips"]) == (0.5, 4, 2)
    # busy: A 63→100 (37) + B 70→85 (15) = 52 min; on duty: offered at 62, 62, 66, 69 until 240.
    assert (d["busy_hours"], d["on_duty_hours"]) == (0.87, 11.68)
    assert d["utilisation"] == round(52 / (178 + 178 + 174 + 171), 4)
    done = select(Assignment.distance_m).where(
        Assignment.incident_id == played.incident, Assignment.status == "done"
    )
    assert d["travel_km"] == round(sum(await session.scalars(done)) / 1000, 2)


async def test_days_of_stock_left(kpis) -> None:
    played, k = kpis
    (row,) = k["stock"]
    assert (row["depot_id"], row["name"]) == (str(played.depot), "库")
    # 10 water taken in 240 min = 60 a day; 90 left → 1.5 days.
    assert row["items"] == [
        {"item": "KPI-WATER", "consumed": 10, "available": 90, "per_day": 60.0, "days_left": 1.5}
    ]
    assert row["days_left"] == 1.5


async def test_series_every_ten_minutes(kpis) -> None:
    _, k = kpis
    s = k["series"]
    assert s["bucket_minutes"] == 10 and s["t_minutes"] == list(range(0, 241, 10))
    assert s["households_confirmed"] == steps(240, {20: 1, 50: 2, 80: 3})
    assert s["vulnerable_accounted"] == steps(240, {20: 1, 50: 2, 80: 3})
    assert s["overdue_households"] == steps(240, {70: 1, 80: 0})  # overdue 61 → 75
    assert s["needs_open"] == steps(240, {50: 2, 70: 3, 90: 2, 100: 1})
    assert s["needs_met"] == steps(240, {90: 1, 100: 2})


async def test_json_safe_and_until_bounds_the_timeline(kpis, session) -> None:
    played, k = kpis
    assert json.loads(json.dumps(k)) == k
    early = await incident_kpis(
        session, incident_id=played.incident, until=START + timedelta(minutes=50)
    )
    assert early["chain"]["vulnerable_accounted"] == 2
    assert early["chain"]["vulnerable_minutes"] == {"p50": 45.0, "p90": None, "max": None}
    assert early["needs"]["raised"] == 2 and early["dispatch"]["offers"] == 0
    assert early["series"]["t_minutes"] == [0, 10, 20, 30, 40, 50]


async def test_unknown_incident(session) -> None:
    with pytest.raises(NotFound):
        await incident_kpis(session, incident_id=uuid7())


async def test_a_live_drill_reads_in_incident_minutes(kpis, session) -> None:
    """A live drill at speed-up 2 lives on wall time with halved deadlines: the same wall
    timeline is twice as long in incident minutes; ratios do not change."""
    played, k = kpis
    await session.execute(
        update(Incident).where(Incident.id == played.incident).values(mode="live_drill", speedup=2)
    )
    live = await incident_kpis(session, incident_id=played.incident, until=UNTIL)
    assert (live["incident"]["minutes"], live["incident"]["speedup"]) == (480, 2.0)
    assert live["chain"]["vulnerable_minutes"] == {"p50": 90.0, "p90": 150.0, "max": 150.0}
    assert live["chain"]["vulnerable_within"] == {"30": 0.0, "60": 0.3333, "120": 0.6667}
    assert live["needs_by_band"]["P1"]["fulfil_minutes"]["p50"] == 48.0
    assert live["series"]["t_minutes"] == list(range(0, 481, 10))
    assert live["series"]["households_confirmed"] == steps(480, {40: 1, 90: 2, 150: 3})
    assert live["dispatch"]["utilisation"] == k["dispatch"]["utilisation"]
    assert live["stock"][0]["days_left"] == 3.0  # 10 taken in 1/3 of an incident day


async def test_an_incident_just_declared(session) -> None:
    with clock.use_clock(clock.ManualClock(START)):
        w = await build(session)
        incident, _ = await activate(session, [w.c["C1"]])
        k = await incident_kpis(session, incident_id=incident)
    assert k["incident"]["minutes"] == 0 and k["series"]["t_minutes"] == [0]
    assert k["chain"]["households"] == 3 and k["chain"]["vulnerable_persons"] == 2
    assert k["chain"]["vulnerable_minutes"] == {"p50": None, "p90": None, "max": None}
    assert k["chain"]["vulnerable_within"] == {"30": 0.0, "60": 0.0, "120": 0.0}
    assert k["needs"] == {"raised": 0, "met": 0, "cancelled": 0, "unmet": 0}
    assert (k["unmet_by_item"], k["stock"], k["dispatch"]["utilisation"]) == ([], [], None)
