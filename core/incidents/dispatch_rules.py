"""The dispatch state machine's one table of allowed transitions, and its event shape.

==========  ============================================  ==================================
from        to                                            by
==========  ============================================  ==================================
proposed    offered, withdrawn, cancelled                 the loop / the solver / coordinator
offered     accepted, declined, expired, withdrawn,       volunteer / timer / solver /
            cancelled                                     coordinator
accepted    picked_up, en_route (no depot), failed,       volunteer; coordinator cancels
            cancelled
picked_up   en_route, failed, cancelled                   volunteer
en_route    arrived, failed, cancelled                    volunteer
arrived     done, failed, cancelled                       volunteer
done, declined, expired, withdrawn, failed, cancelled: final
==========  ============================================  ==================================

Every change emits ``assignment.<to>`` on ``volunteer:<vid>``, ``incident:<id>`` and
``area:<area_path>``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from core.errors import Conflict
from core.events.outbox import EventIn
from core.incidents.match_models import AssignmentStatus

A = AssignmentStatus
TRANSITIONS: dict[AssignmentStatus, frozenset[AssignmentStatus]] = {
    A.proposed: frozenset({A.offered, A.withdrawn, A.cancelled}),
    A.offered: frozenset({A.accepted, A.declined, A.expired, A.withdrawn, A.cancelled}),
    A.accepted: frozenset({A.picked_up, A.en_route, A.failed, A.cancelled}),
    A.picked_up: frozenset({A.en_route, A.failed, A.cancelled}),
    A.en_route: frozenset({A.arrived, A.failed, A.cancelled}),
    A.arrived: frozenset({A.done, A.failed, A.cancelled}),
    A.done: frozenset(),
    A.declined: frozenset(),
    A.expired: frozenset(),
    A.withdrawn: frozenset(),
    A.failed: frozenset(),
    A.cancelled: frozenset(),
}
ACTIVE = (A.accepted.value, A.picked_up.value, A.en_route.value, A.arrived.value)
"""States in which the volunteer is on the job (contact and visit reports allowed)."""
PUT_BACK = frozenset({A.declined, A.expired, A.failed, A.cancelled})
"""Targets that hand the task back to matching."""
REPORTS = frozenset({A.picked_up, A.en_route, A.arrived, A.done, A.failed})
"""The statuses a volunteer reports through ``report_status``."""


def sources_of(to: AssignmentStatus) -> list[str]:
    """The statuses an assignment may move to ``to`` from."""
    return sorted(s.value for s, targets in TRANSITIONS.items() if to in targets)


def allowed_from(now: AssignmentStatus) -> list[str]:
    return sorted(s.value for s in TRANSITIONS[now])


def check(aid: uuid.UUID, now: str, to: AssignmentStatus) -> None:
    """409 naming the current state and what is allowed, unless ``now → to`` is in the table."""
    current = AssignmentStatus(now)
    if to in TRANSITIONS[current]:
        return
    allowed = allowed_from(current)
    said = ", ".join(allowed) if allowed else "nothing (it is final)"
    raise Conflict(
        f"assignment {aid} is {current.value}; it may move to {said}",
        current=current.value,
        allowed=allowed,
    )


def streams(row: Any) -> list[str]:
    return [f"volunteer:{row.volunteer_id}", f"incident:{row.incident_id}", f"area:{row.area_path}"]


def event(row: Any, to: AssignmentStatus, at: datetime, **extra: Any) -> EventIn:
    """``assignment.<to>``: ids, from/to, when; ``extra`` adds fields (reason, by …)."""
    data = {
        "id": row.id,
        "task_id": row.task_id,
        "need_id": row.need_id,
        "incident_id": row.incident_id,
        "volunteer_id": row.volunteer_id,
        "area_path": row.area_path,
        "is_drill": row.is_drill,
        "attempt": row.attempt,
        "from": row.status,
        "status": to.value,
        "at": at,
        **extra,
    }
    return EventIn(f"assignment.{to.value}", data, streams(row))
