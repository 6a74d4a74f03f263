"""A batch's existing tasks, from its memo (rules: :mod:`core.incidents.match_load`).

Open tasks re-enter, pending ones enter with their ``incumbent``, locked ones only take
their volunteer's slot, open depot tasks whose reservations are all gone are ``stale``
(cancelled by the writer), and active reservations of an open need on no task are
adopted by a new task per depot. Needs in id order, tasks and reservations in id order
within a need (:mod:`core.incidents.match_memo`).
"""

from __future__ import annotations

import uuid

from core.incidents.match_batch import Loaded, OldTask
from core.incidents.match_memo import Memo, NeedState, TaskSplit
from core.incidents.match_models import LOCKED_STATUSES


def load_tasks(w: Loaded, memo: Memo) -> None:
    """Existing tasks (re-entering, locked, stale) and adopted reservations."""
    old, locked, stale, with_tasks = w.old, w.locked, w.stale, w.with_tasks
    for nid, state in memo.tasked.items():
        split = state.split
        if split is None:
            split = state.split = _split(nid, state)
        if split.old:
            old.extend(split.old)
        if split.locked:
            locked[nid] = split.locked
        if split.stale:
            stale.extend(split.stale)
        if split.live:
            with_tasks.add(nid)
    for nid, state in memo.loose.items():  # one task per (need, depot) carries them
        adopted: dict[uuid.UUID, OldTask] = {}
        for rid, depot_id, item_id, qty in state.loose:
            task = adopted.get(depot_id)
            if task is None:
                task = adopted[depot_id] = OldTask(None, nid, depot_id, w.needs[nid].area_path)
                old.append(task)
                with_tasks.add(nid)
            task.lines.append((rid, item_id, qty))


def _split(nid: uuid.UUID, state: NeedState) -> TaskSplit:
    old: list[OldTask] = []
    stale: list[tuple[uuid.UUID, uuid.UUID, str]] = []
    locked = 0
    for t in state.tasks:
        a = t.old.incumbent
        if a is not None and a[2] in LOCKED_STATUSES:
            locked += 1
        elif a is None and t.bare:
            assert t.old.id is not None
            stale.append((t.old.id, nid, t.old.area_path))
        else:
            old.append(t.old)
    return TaskSplit(tuple(old), locked, tuple(stale), len(stale) < len(state.tasks))
