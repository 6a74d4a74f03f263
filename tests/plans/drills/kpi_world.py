"""A tiny incident played through the real services at known clock times, for the KPIs.

The chain world (:mod:`tests.plans.chain_world`): C1 (h1 老甲 bedridden + 小乙, h2 丙
aged 80+, h3 丁 + 戊) and C2 (h4 己 infant + 庚); vulnerable: 老甲, 丙, 己. Declared
over C1 and C2 at minute 0 (``START``); a depot with 100 water, four volunteers.

======  ==================================================================================
minute  what happens (through the services)
======  ==================================================================================
20      h1 reports 老甲 safe, 小乙 safe                       → h1 confirmed
45      h4 reports 己 injured with need A (10 water, severity 4), 庚 missing → h4 confirmed
50      a coordinator raises need C (5 rice, a medic: nobody can serve it, it stays unmet)
61      the 60-minute deadline fires: 丙 overdue → h2 overdue, visit need B
62      matching: A (reserves 10 water) and B are offered (attempt 1)
63      A accepted;  65: B declined
66      matching: B offered again (attempt 2);  68: that offer expires
69      matching: B offered a third time;  70: accepted
70      A picked up (10 water issued);  71: B en route;  72: A en route
75      h2 reports 丙 safe                                     → h2 confirmed
80      B arrived;  85: B done (fulfilled);  90: A arrived;  100: A done (fulfilled)
======  ==================================================================================
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.db import Database
from core.incidents import hooks
from core.incidents.dispatch import report_status, respond, transition
from core.incidents.dispatch_offer import offer_proposed
from core.incidents.match_models import Assignment
from core.incidents.matching import match_in_session
from core.incidents.need_models import NeedSource
from core.incidents.need_schemas import NeedCreate
from core.incidents.needs import create_needs
from core.incidents.schemas import IncidentCreate
from core.incidents.service import declare_incident
from plans.activation import activation_hook
from plans.chain import open_chain
from plans.chain_schemas import HouseholdReport
from plans.overdue import mark_overdue
from plans.reports import report_households
from tests.core.incidents.match_world import depot, stock, volunteer
from tests.core.stock.test_ledger import make_item
from tests.plans.chain_world import START, ChainWorld, build

AREA = {  # touches C1 (99.90–99.92) and C2 (99.92–99.94), not C3 or county B
    "type": "Polygon",
    "coordinates": [[[99.905, 25.605], [99.935, 25.605], [99.935, 25.615],
                     [99.905, 25.615], [99.905, 25.605]]],
}  # fmt: skip
HOME = (99.901, 25.601)  # where chain_world puts every household


@dataclass
class Played:
    w: ChainWorld
    incident: uuid.UUID
    depot: uuid.UUID


def at(manual: clock.ManualClock, minute: int) -> None:
    manual.set(START + timedelta(minutes=minute))


async def _declare(session: AsyncSession, mode: str) -> uuid.UUID:
    registered = hooks.activation_hooks()
    for hook in (activation_hook, open_chain):
        hooks.on_activation(hook)
    try:
        data = IncidentCreate(title="漾濞地震", hazard="earthquake", level=2, area=AREA, mode=mode)
        return (await declare_incident(session=session, principal=None, data=data)).id
    finally:
        for hook in (open_chain, activation_hook):
            if hook not in registered:
                hooks.remove_activation(hook)


async def _report(
    session: AsyncSession, incident: uuid.UUID, household: uuid.UUID, members: list[dict]
) -> list[uuid.UUID]:
    report = HouseholdReport(household_id=household, members=members)
    result = await report_households(
        session=session, principal=None, incident_id=incident, reports=[report]
    )
    return result.households[0].need_ids


async def _offer(session: AsyncSession, database: Database, incident: uuid.UUID) -> dict:
    """Run a batch, offer what it proposed; need id → the offered assignment id."""
    await match_in_session(session=session, database=database, incident_id=incident)
    ids = await offer_proposed(session=session, incident_id=incident)
    stmt = select(Assignment.need_id, Assignment.id).where(Assignment.id.in_(ids))
    return dict((await session.execute(stmt)).all())


async def _move(session: AsyncSession, aid: uuid.UUID, status: str) -> None:
    await report_status(session=session, principal=None, assignment_ids=[aid], status=status)


async def play(session: AsyncSession, database: Database, mode: str = "real") -> Played:
    """Play the timeline of the module docstring as a ``real`` incident or an isolated
    ``drill`` (drill stock then)."""
    with clock.use_clock(clock.ManualClock(START)) as manual:
        w = await build(session)
        water = await make_item(session, "KPI-WATER")
        await make_item(session, "KPI-RICE")
        store = await depot(session, w, HOME[0] + 0.01, HOME[1])
        await stock(session, store, water, 100, drill=mode != "real")
        for k in range(4):  # 1.1, 2.2, 3.3, 4.4 km north of the households
            await volunteer(session, w, HOME[0], HOME[1] + 0.01 * (k + 1), name=f"志愿者{k}")
        incident = await _declare(session, mode)
        p, h = w.p, w.h
        at(manual, 20)
        await _report(session, incident, h["h1"], [
            {"person_id": p["老甲"], "status": "safe"}, {"person_id": p["小乙"], "status": "safe"}
        ])  # fmt: skip
        at(manual, 45)
        need = {"kind": "supplies", "severity": 4,
                "items": [{"item_code": "KPI-WATER", "quantity": 10}]}  # fmt: skip
        (need_a,) = await _report(session, incident, h["h4"], [
            {"person_id": p["己"], "status": "injured", "needs": [need]},
            {"person_id": p["庚"], "status": "missing"},
        ])  # fmt: skip
        at(manual, 50)
        c = NeedCreate(kind="medical", household_id=h["h3"], severity=2, skills=["medical"],
                       items=[{"item_code": "KPI-RICE", "quantity": 5}])  # fmt: skip
        await create_needs(session=session, principal=None, incident_id=incident,
                           rows=[c], source=NeedSource.coordinator)  # fmt: skip
        at(manual, 61)
        await mark_overdue(session=session, incident_id=incident, due=START + timedelta(minutes=60))
        at(manual, 62)
        first = await _offer(session, database, incident)
        need_b = next(n for n in first if n != need_a)
        at(manual, 63)
        await respond(session=session, principal=None, assignment_ids=[first[need_a]],
                      action="accept")  # fmt: skip
        at(manual, 65)
        await respond(session=session, principal=None, assignment_ids=[first[need_b]],
                      action="decline")  # fmt: skip
        at(manual, 66)
        second = await _offer(session, database, incident)
        at(manual, 68)
        await transition(
            session=session, principal=None, assignment_ids=[second[need_b]], to="expired"
        )  # fmt: skip  (what the offer timer does)
        at(manual, 69)
        third = await _offer(session, database, incident)
        b = third[need_b]
        at(manual, 70)
        await respond(session=session, principal=None, assignment_ids=[b], action="accept")
        await _move(session, first[need_a], "picked_up")
        at(manual, 71)
        await _move(session, b, "en_route")
        at(manual, 72)
        await _move(session, first[need_a], "en_route")
        at(manual, 75)
        await _report(session, incident, h["h2"], [{"person_id": p["丙"], "status": "safe"}])
        a = first[need_a]
        for minute, aid, status in ((80, b, "arrived"), (85, b, "done"), (90, a, "arrived"),
                                    (100, a, "done")):  # fmt: skip
            at(manual, minute)
            await _move(session, aid, status)
    return Played(w, incident, store)
