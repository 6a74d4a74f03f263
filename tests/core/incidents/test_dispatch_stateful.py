"""A Hypothesis state machine of the dispatch table against the real services (SQLite).

Each example gets a fresh incident with three tasks (two carrying reserved water from a
depot, one visit). Proposals are written the way a batch writes them (the solver is not
under test); every other step is the real service in its own committed transaction. The
model is :data:`core.incidents.dispatch_rules.TRANSITIONS` itself: a call succeeds iff
the table allows it. After each step: at most one live assignment per task; a task is
open iff it has no live assignment, is not done and its need is not final; stock
reserved is never negative and matches the ledger; one event per transition.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import insert, select, update

from core import clock
from core.db import Database
from core.errors import Conflict
from core.events.models import OutboxEvent
from core.events.timers import DueTimer
from core.incidents import dispatch
from core.incidents.dispatch_offer import offer_proposed
from core.incidents.dispatch_rules import TRANSITIONS
from core.incidents.dispatch_timers import on_offer_expiry
from core.incidents.match_models import LIVE_STATUSES, Assignment, AssignmentStatus, Task, TaskLine
from core.incidents.need_models import Need
from core.incidents.need_status import transition_needs
from core.stock import ledger, reserve
from core.stock.models import Lot
from tests.core.incidents.match_world import HERE, depot, match_world, need, stock, volunteer
from tests.core.incidents.needs_world import make_incident

pytestmark = pytest.mark.only_engine("sqlite")
SETTINGS = settings(max_examples=25, stateful_step_count=20, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
A = AssignmentStatus
FINAL_NEED = ("fulfilled", "cancelled")
Run = Callable[[Coroutine[Any, Any, Any]], Any]
FORWARD = [A.accepted, A.picked_up, A.en_route, A.arrived, A.done]
STEPS = [A.expired, A.failed, A.cancelled, A.declined, *FORWARD * 3]
"""Forward steps drawn more often, so examples get to the end of the chain (the rare
ones first: Hypothesis tries the first elements first)."""
LEGAL = [True, True, True, False]


def machine_for(
    db: Database, w: Any, dep: uuid.UUID, vols: list[uuid.UUID], run: Run, seen: set[str]
) -> type:
    async def tx(fn: Callable[..., Coroutine[Any, Any, Any]], **kw: Any) -> Any:
        async with db.transaction() as session:
            return await fn(session=session, **kw)

    class Dispatch(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.incident, self.tasks = run(self._world())
            self.model: dict[uuid.UUID, str] = {}  # assignment → status
            self.task_of: dict[uuid.UUID, uuid.UUID] = {}
            self.transitions = 0

        async def _world(self) -> tuple[uuid.UUID, list[uuid.UUID]]:
            async with db.transaction() as s:
                inc = await make_incident(s, [w.c["C1"]], title="机")
                w.real = inc
                tasks = []
                for items in ({w.water: 2}, {w.water: 3}, None):
                    n = await need(s, w, items=items, kind="supplies" if items else "visit")
                    now = clock.now()
                    t = uuid.uuid4()
                    await s.execute(insert(Task).values(
                        id=t, need_id=n, incident_id=inc, area_path=w.c["C1"].area_path,
                        depot_id=dep if items else None, status="open", is_drill=False,
                        created_at=now, updated_at=now))  # fmt: skip
                    if items:
                        line = (w.water, dep, items[w.water])
                        (r,) = await reserve.reserve_lines(session=s, actor_id=None, need_id=n,
                                                           lines=[line])  # fmt: skip
                        await s.execute(insert(TaskLine).values(
                            task_id=t, reservation_id=r.reservation_id, item_id=w.water,
                            quantity=items[w.water]))  # fmt: skip
                    tasks.append(t)
            return inc, tasks

        async def _propose(self, task_id: uuid.UUID, vid: uuid.UUID) -> uuid.UUID | None:
            async with db.transaction() as s:
                t = (
                    await s.execute(select(Task.status, Task.need_id).where(Task.id == task_id))
                ).one()
                status = await s.scalar(select(Need.status).where(Need.id == t.need_id))
                if t.status != "open" or status in FINAL_NEED:
                    return None
                now, aid = clock.now(), uuid.uuid4()
                await s.execute(insert(Assignment).values(
                    id=aid, task_id=task_id, need_id=t.need_id, incident_id=self.incident,
                    volunteer_id=vid, area_path=w.c["C1"].area_path, status="proposed",
                    distance_m=1.0, eta_s=1.0, priority=30.0, reason={}, attempt=1,
                    is_drill=False, created_at=now, updated_at=now))  # fmt: skip
                await s.execute(update(Task).where(Task.id == task_id).values(status="assigned"))
                if status == "open":
                    await transition_needs(session=s, principal=None, need_ids=[t.need_id],
                                           to="matched")  # fmt: skip
                return aid

        def _pick(self, i: int, to: A | None = None) -> uuid.UUID | None:
            """The i-th assignment (of those ``to`` is allowed from, when given)."""
            ids = sorted(a for a, now in self.model.items()
                         if to is None or to in TRANSITIONS[A(now)])  # fmt: skip
            return ids[i % len(ids)] if ids else None

        @initialize()
        def start(self) -> None:
            for i in range(3):
                self.propose(i, i)
            self.offer()
            first, second, third = sorted(self.model)
            for to in FORWARD:  # one whole job, a failure and a decline to begin with
                self._step(first, to)
            self._step(third, A.accepted)
            self._step(third, A.failed)
            decline = tx(dispatch.respond, principal=None, assignment_ids=[second],
                         action="decline")  # fmt: skip
            self._try(second, A.declined, decline)
            for end in (A.expired, A.cancelled):  # the declined task again: expired, cancelled
                self.propose(self.tasks.index(self.task_of[second]), 0)
                self.offer()
                self.act(0, end, True)

        def _try(self, aid: uuid.UUID | None, to: A, call: Coroutine[Any, Any, Any]) -> None:
            if aid is None:
                call.close()
                return
            now = self.model[aid]
            allowed = now == to.value or to in TRANSITIONS[A(now)]
            try:
                run(call)
            except Conflict:
                assert not allowed or (to is A.en_route and now == "accepted"), (now, to)
                return
            assert allowed, (now, to)
            if now != to.value:
                self.model[aid] = to.value
                self.transitions += 1
                seen.add(to.value)

        @rule(i=st.integers(0, 2), v=st.integers(0, 2))
        def propose(self, i: int, v: int) -> None:
            aid = run(self._propose(self.tasks[i], vols[v]))
            if aid is not None:
                self.model[aid] = "proposed"
                self.task_of[aid] = self.tasks[i]

        @rule()
        def offer(self) -> None:
            offered = run(tx(offer_proposed, incident_id=self.incident))
            assert sorted(offered) == sorted(a for a, s in self.model.items() if s == "proposed")
            for aid in offered:
                self.model[aid] = "offered"
            self.transitions += len(offered)

        @rule(i=st.integers(0, 50), to=st.sampled_from(STEPS), legal=st.sampled_from(LEGAL))
        def act(self, i: int, to: A, legal: bool) -> None:
            """Any transition by whoever makes it: ``legal`` picks an assignment the table
            allows it from, else any (most such calls must be refused)."""
            aid = self._pick(i, to if legal else None)
            if to is A.expired:
                self._expire(aid)
            elif to in (A.accepted, A.declined):
                action = "accept" if to is A.accepted else "decline"
                self._try(aid, to, tx(dispatch.respond, principal=None, assignment_ids=[aid],
                                      action=action))  # fmt: skip
            elif to is A.cancelled:
                self._try(aid, to, tx(dispatch.cancel, principal=None, assignment_ids=[aid]))
            else:
                self._try(aid, to, tx(dispatch.report_status, principal=None,
                                      assignment_ids=[aid], status=to.value))  # fmt: skip

        @rule(i=st.integers(0, 50))
        def deliver(self, i: int) -> None:
            """One volunteer's whole job, from wherever the assignment stands."""
            aid = self._pick(i, A.accepted) or self._pick(i, A.picked_up)
            for to in FORWARD:
                if aid is not None and to in TRANSITIONS[A(self.model[aid])]:
                    self._step(aid, to)

        def _step(self, aid: uuid.UUID, to: A) -> None:
            if to is A.accepted:
                self._try(aid, to, tx(dispatch.respond, principal=None, assignment_ids=[aid],
                                      action="accept"))  # fmt: skip
            else:
                self._try(aid, to, tx(dispatch.report_status, principal=None,
                                      assignment_ids=[aid], status=to.value))  # fmt: skip

        def _expire(self, aid: uuid.UUID | None) -> None:
            """The real timer handler (as fired): expires only a still-offered assignment."""
            if aid is None:
                return
            timer = DueTimer(uuid.uuid4(), "dispatch.offer_expiry", None, clock.now(),
                             {"assignment_id": str(aid)})  # fmt: skip
            run(tx(on_offer_expiry, timer=timer))
            if self.model[aid] == "offered":
                self.model[aid] = "expired"
                self.transitions += 1
                seen.add("expired")

        @rule(i=st.integers(0, 2), to=st.sampled_from(["cancelled", "fulfilled"]))
        def close_need(self, i: int, to: str) -> None:
            """A coordinator closes a need: its live assignments are cancelled."""
            try:
                run(self._close(self.tasks[i], to))
            except Conflict:
                return
            for aid, task in self.task_of.items():
                if task == self.tasks[i] and self.model[aid] in LIVE_STATUSES:
                    self.model[aid] = "cancelled"
                    self.transitions += 1

        async def _close(self, task_id: uuid.UUID, to: str) -> None:
            async with db.transaction() as s:
                nid = await s.scalar(select(Task.need_id).where(Task.id == task_id))
                await transition_needs(session=s, principal=None, need_ids=[nid], to=to)

        @invariant()
        def consistent(self) -> None:
            run(self._check())

        async def _check(self) -> None:
            async with db.reader() as s:
                rows = list(await s.execute(
                    select(Assignment.id, Assignment.task_id, Assignment.status)
                    .where(Assignment.incident_id == self.incident)))  # fmt: skip
                assert {r.id: r.status for r in rows} == self.model
                for t in self.tasks:
                    task = (
                        await s.execute(select(Task.status, Task.need_id).where(Task.id == t))
                    ).one()
                    need_status = await s.scalar(select(Need.status).where(Need.id == task.need_id))
                    live = [r for r in rows if r.task_id == t and r.status in LIVE_STATUSES]
                    assert len(live) <= 1
                    open_ = not live and task.status != "done" and need_status not in FINAL_NEED
                    assert (task.status == "open") == open_, (task.status, live, need_status)
                lots = list(await s.execute(select(Lot.id, Lot.on_hand, Lot.reserved)))
                for lot_id, on_hand, reserved in lots:
                    assert 0 <= reserved <= on_hand
                    assert await ledger.ledger_balance(session=s, lot_id=lot_id) == (
                        on_hand,
                        reserved,
                    )
                kind = OutboxEvent.type.like("assignment.%")
                payloads = await s.scalars(select(OutboxEvent.payload).where(kind))
                mine = [p for p in payloads if p["incident_id"] == str(self.incident)]
                assert len(mine) == self.transitions

    return Dispatch


async def test_dispatch_state_machine(committed: Database) -> None:
    async with committed.transaction() as s:
        w = await match_world(s)
        dep = await depot(s, w, HERE[0], HERE[1] + 0.01)
        await stock(s, dep, w.water, 10_000)
        vols = [
            await volunteer(s, w, HERE[0], HERE[1] + 0.001 * i, max_active=99) for i in range(3)
        ]
    loop = asyncio.get_running_loop()

    def run(coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, loop).result()

    seen: set[str] = set()
    machine = machine_for(committed, w, dep, vols, run, seen)
    await asyncio.to_thread(run_state_machine_as_test, machine, settings=SETTINGS)
    assert seen == {s.value for s in STEPS}, seen  # every transition happened at least once
