"""What one matching batch loaded: its needs, tasks, overrides, volunteers and stock.

Plain data shared by the loader (:mod:`core.incidents.match_load`), the builder of the
solver's arrays and the writer; ids throughout, no ORM objects.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, false, func, or_

from core.incidents.match_volunteers import VolunteerRow
from core.incidents.need_models import NeedStatus

LIVE_NEEDS = (NeedStatus.open.value, NeedStatus.matched.value, NeedStatus.in_progress.value)
HELD = ("active", "issued")  # reservation statuses that count against a need's demand
TURNED_DOWN = ("declined", "expired")  # who let a need go is not asked again for it
EMPTY_OUTBOX = (0, "")  # the head a batch read an empty outbox at


@dataclass(slots=True)
class NeedRow:
    id: uuid.UUID
    lon: float
    lat: float
    area_path: str
    skills: tuple[str, ...]
    languages: tuple[str, ...]
    priority: float
    neighbours_first: bool
    status: str
    has_items: bool = False
    signature: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())  # (skills, languages)
    base: float = 0.0  # priority before waiting (severity and vulnerability)
    created_us: int = 0  # creation time, microseconds since the epoch


@dataclass
class OldTask:
    """A task re-entering the assignment (``id`` None: to be created for adopted stock)."""

    id: uuid.UUID | None
    need_id: uuid.UUID
    depot_id: uuid.UUID | None
    area_path: str
    incumbent: Any = None  # (assignment id, volunteer id, status) of a pending assignment
    attempt: int = 0  # assignments the task has had
    lines: list[tuple[uuid.UUID, uuid.UUID, int]] = field(default_factory=list)  # adopted


@dataclass
class Overrides:
    pin_vol: uuid.UUID | None = None
    pin_depot: uuid.UUID | None = None
    forbid_vols: set[uuid.UUID] = field(default_factory=set)
    forbid_depots: set[uuid.UUID] = field(default_factory=set)


@dataclass
class Loaded:
    incident_id: uuid.UUID
    is_drill: bool
    area_path: str
    now: datetime
    needs: dict[uuid.UUID, NeedRow] = field(default_factory=dict)
    demand: dict[uuid.UUID, dict[uuid.UUID, int]] = field(default_factory=dict)  # > 0 only
    old: list[OldTask] = field(default_factory=list)
    stale: list[tuple[uuid.UUID, uuid.UUID, str]] = field(default_factory=list)
    locked: dict[uuid.UUID, int] = field(default_factory=dict)  # need → tasks locked
    with_tasks: set[uuid.UUID] = field(default_factory=set)  # needs having a live task
    bare: tuple[uuid.UUID, ...] = ()  # open needs wanting no items, in id order
    overrides: dict[uuid.UUID, Overrides] = field(default_factory=dict)
    volunteers: dict[uuid.UUID, VolunteerRow] = field(default_factory=dict)
    supply: dict[tuple[uuid.UUID, uuid.UUID], int] = field(default_factory=dict)
    depots: dict[uuid.UUID, tuple[float, float]] = field(default_factory=dict)
    priorities_due: bool = True  # the writer refreshes stored priorities
    head: tuple[int, str] | None = None  # the outbox's (seq, epoch) the batch was read at


def under_any(column: Any, paths: list[str]) -> ColumnElement[bool]:
    """``column`` lies under one of ``paths``: one ``substr(…) IN (…)`` per path length, so
    hundreds of covered communities stay a short clause on both engines."""
    by_len: dict[int, list[str]] = defaultdict(list)
    for p in paths:
        by_len[len(p)].append(p)
    if not by_len:
        return false()
    return or_(*[func.substr(column, 1, n).in_(ps) for n, ps in sorted(by_len.items())])
