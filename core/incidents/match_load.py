"""Loading one incident's matching batch (one read transaction, a fixed number of queries).

The needs' state comes from the incident's :class:`~core.incidents.match_memo.Memo`, read
again only for the needs named by events since the last batch.

What enters a batch (the constraints of DESIGN.md Matching; volunteers in
:mod:`core.incidents.match_volunteers`):

* **Scope**: the needs of the incident (a drill incident's needs are drill needs); the
  volunteers and depots whose ``area_path`` lies under an area the incident covers
  (``incident_area``: affected communities and areas opened for mutual aid) — plus a
  volunteer or depot a coordinator pinned for one of its needs.
* **Needs**: open needs, with their remaining demand (need items minus what active or
  issued reservations of the need already hold — reservations belong to the need and
  survive a failed task). A need without items and without a task gets a visit task.
* **Existing tasks** of open, matched or in-progress needs: an open task (no live
  assignment, e.g. after a decline) re-enters the assignment without new stock; a task
  with a pending (proposed/offered) assignment enters with it as ``incumbent``, which the
  solver may withdraw for a better match; a task with a LOCKED assignment is left alone
  and its volunteer's slot stays taken. An open depot task none of whose lines still holds
  stock (its reservations expired) is cancelled. Active reservations of an open need on no
  task are adopted by a new task (one per depot).
* **Stock**: free (on hand − reserved), unexpired lots of the demanded items; real lots
  for a real incident, for a drill incident drill lots of no drill or of that drill (the
  rule of :mod:`core.stock.take`).
* **Overrides** (:class:`MatchOverride`): per need, forbidden volunteers and depots, and at
  most one pinned volunteer and one pinned depot (the newest). A volunteer who declined or
  let expire an offer for a need counts as forbidden for it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.incidents.match_batch import (
    EMPTY_OUTBOX,
    Loaded,
    Overrides,
)
from core.incidents.match_memo import MEMOS, Memo, refresh
from core.incidents.match_needs import load_needs
from core.incidents.match_supply import load_depot_points, load_supply
from core.incidents.match_tasks import load_tasks
from core.incidents.match_volunteers import load_volunteers
from core.incidents.models import Incident, IncidentArea, IncidentStatus


async def load(
    session: AsyncSession, incident_id: uuid.UUID, now: datetime, *, keep: bool = False
) -> Loaded | None:
    """The batch of an active incident, or None (absent or stood down). ``keep``: the
    session is a read transaction of its own, so the incident's :class:`Memo` is kept for
    the next batch and refreshed from events; otherwise every live need is read."""
    inc = (
        await session.execute(
            select(Incident.is_drill, Incident.area_path).where(
                Incident.id == incident_id, Incident.status == IncidentStatus.active.value
            )
        )
    ).first()
    if inc is None:
        return None
    w = Loaded(incident_id, bool(inc.is_drill), inc.area_path, now)
    covered = list(
        await session.scalars(
            select(IncidentArea.area_path).where(IncidentArea.incident_id == incident_id)
        )
    )
    memo = MEMOS.of(session, incident_id) if keep else Memo()
    await refresh(session, memo, incident_id, incremental=keep)
    w.head = memo.head or EMPTY_OUTBOX
    todo = None if memo.pending is None else sorted(memo.pending)
    try:
        await load_needs(session, w, memo, todo)
        memo.settle(todo)
    except BaseException:
        memo.pending = None  # half done: every need again next time
        raise
    memo.pending = set()
    w.bare = memo.bare.ids()
    load_tasks(w, memo)
    _overrides(w, memo)
    pins = {o.pin_vol for o in w.overrides.values() if o.pin_vol}
    w.volunteers = await load_volunteers(session, w.is_drill, covered, pins, now)
    for t in w.old:  # a pending assignment of this batch is decided again: its slot is free
        if t.incumbent and t.incumbent[1] in w.volunteers:
            w.volunteers[t.incumbent[1]].capacity += 1
    await load_supply(session, w, covered)
    await load_depot_points(session, w)
    return w


def _overrides(w: Loaded, memo: Memo) -> None:
    """Per live need: who let it go (forbidden), then the override rows, oldest first (a
    newer pin replaces an older one)."""
    for need_id, state in memo.special.items():
        o = w.overrides[need_id] = Overrides(forbid_vols=set(state.turned_down))
        for kind, vol, depot in state.overrides:
            if kind == "forbid":
                (o.forbid_vols.add(vol) if vol else o.forbid_depots.add(depot))
            elif vol:
                o.pin_vol = vol
            else:
                o.pin_depot = depot
