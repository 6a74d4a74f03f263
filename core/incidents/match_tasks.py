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
from core.incidents.match_memo import Memo
from core.incidents.match_models import LOCKED_STATUSES


def load_tasks(w: Loaded, memo: Memo) -> None:
    """Existing tasks (re-entering, locked, stale) and adopted reservations."""
    old, locked, stale, with_tasks = w.old, w.locked, w.stale, w.with_tasks
    for nid, state in memo.tasked.items():
        for t in state.tasks:
            a = t.old.incumbent
            if a is not None and a[2] in LOCKED_STATUSES:
                locked[nid] = locked.get(nid, 0) + 1
            elif a is None and t.bare:
                stale.append((t.old.id, nid, t.old.area_path))
                continue
            else:
                old.append(t.old)
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
