"""An incident's batch state carried from one batch to the next, refreshed per need (exact).

A batch needs, for every live need of its incident, the need's status, the stock its
reservations hold, its open or assigned tasks (live assignment, attempts, whether a depot
task still holds stock), the active reservations no task carries, the volunteers who let
it go and a coordinator's overrides: tens of thousands of rows in a county, nearly all as
the last batch left them. A :class:`Memo` keeps that state per need and reads again only
the needs named by an event committed since its last read:

* every write to a need, its tasks, assignments, reservations or overrides emits an event
  in the same transaction naming the need (``need.*``: ``id``; ``task.*``, ``assignment.*``,
  ``stock.*``, ``override.*``: ``need_id``) — the outbox pattern of DESIGN.md;
* the outbox's committed rows are always a prefix in ``seq`` order
  (:mod:`core.events.outbox`), so reading the head first and then the events up to it
  misses none; rows read after the head may be newer still, and are read again next batch.

:func:`refresh` with ``incremental=False`` reads every live need, as a batch always did; a
batch inside a caller's transaction (which may roll back) uses a throwaway memo. A memo
without a head, and an outbox that went backwards or changed epoch (a restored database),
mean a full read. Needs are kept in id order, their tasks and loose reservations too, so
a memo and a full read give the same batch.

What a batch derives from a need's state is kept with it and worked out again only for
the needs read anew (``Memo.pending``): its row and remaining demand
(:mod:`core.incidents.match_needs`), its tasks sorted out (:class:`TaskSplit`,
:mod:`core.incidents.match_tasks`), and its place in the subsets a batch walks instead of
every live need (:meth:`Memo.settle`).
"""

from __future__ import annotations

import uuid
from bisect import bisect_left, insort
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import Any, Generic, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import chunks, rows_of
from core.events.models import OutboxEvent
from core.geo.local_rows import database_key
from core.incidents.match_batch import HELD, LIVE_NEEDS, TURNED_DOWN, NeedRow, OldTask
from core.incidents.match_models import (
    LIVE_STATUSES,
    Assignment,
    MatchOverride,
    Task,
    TaskLine,
)
from core.incidents.need_models import Need, NeedStatus
from core.incidents.priority import REFRESH_EVERY
from core.stock.models import Reservation

MAX_INCIDENTS = 32
"""Incidents whose state a process keeps (least recently matched dropped first)."""
T = TypeVar("T")
_OPEN = NeedStatus.open.value
_FIRST = itemgetter(0)


@dataclass(slots=True)
class TaskState:
    """An open or assigned task as it re-enters a batch (made once: no batch code changes
    it; its ``incumbent`` is its live assignment, locked or not)."""

    old: OldTask
    bare: bool  # a depot task none of whose lines still holds stock


@dataclass(slots=True)
class NeedState:
    """One live need; ``held`` and ``loose`` are read for open needs only."""

    status: str
    tasks: list[TaskState] = field(default_factory=list)
    held: list[tuple[uuid.UUID, int]] = field(default_factory=list)  # (item, quantity held)
    loose: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID, int]] = field(default_factory=list)
    """Active reservations on no task that is not cancelled: (id, depot, item, quantity)."""
    turned_down: list[uuid.UUID] = field(default_factory=list)  # volunteers who let it go
    overrides: list[tuple[str, uuid.UUID | None, uuid.UUID | None]] = field(default_factory=list)
    """A coordinator's (kind, volunteer, depot) rows for it, oldest first."""
    left: dict[uuid.UUID, int] | None = None  # what it still wants (match_needs: open only)
    split: TaskSplit | None = None  # its tasks sorted out (match_tasks), once


@dataclass(frozen=True, slots=True)
class TaskSplit:
    """A need's tasks as a batch takes them: re-entering, locked (how many), stale (depot
    tasks holding nothing: cancelled by the writer), and whether one is live."""

    old: tuple[OldTask, ...]
    locked: int
    stale: tuple[tuple[uuid.UUID, uuid.UUID, str], ...]
    live: bool


class Subset:
    """Some of a memo's needs, kept in id order as needs join and leave (a need joining
    is placed by bisection: a batch's new tasks are of needs anywhere in the order)."""

    def __init__(self) -> None:
        self._by_key: dict[int, tuple[uuid.UUID, NeedState]] = {}  # uuid.int →
        self._keys: list[int] = []  # sorted
        self._ids: tuple[uuid.UUID, ...] | None = None  # ids(), until a need joins or leaves

    def put(self, nid: uuid.UUID, state: NeedState | None) -> None:
        """``nid`` is in with ``state``, or out (None)."""
        key = nid.int
        if state is None:
            if self._by_key.pop(key, None) is not None:
                del self._keys[bisect_left(self._keys, key)]
                self._ids = None
            return
        if key not in self._by_key:
            insort(self._keys, key)
            self._ids = None
        self._by_key[key] = (nid, state)

    def items(self) -> list[tuple[uuid.UUID, NeedState]]:
        """The needs in id order."""
        return list(map(self._by_key.__getitem__, self._keys))

    def ids(self) -> tuple[uuid.UUID, ...]:
        """The needs' ids in id order (kept from call to call while no need joins or
        leaves: most batches)."""
        if self._ids is None:
            self._ids = tuple(map(_FIRST, map(self._by_key.__getitem__, self._keys)))
        return self._ids


@dataclass
class Memo:
    """Live needs by id (in id order) and the outbox head they were read at; the needs
    with tasks, with loose reservations, and turned down or overridden, as subsets."""

    needs: dict[uuid.UUID, NeedState] = field(default_factory=dict)
    head: tuple[int, str] | None = None  # (seq, epoch)
    rows: dict[uuid.UUID, NeedRow] = field(default_factory=dict)  # match_needs': same order
    demand: dict[uuid.UUID, dict[uuid.UUID, int]] = field(default_factory=dict)
    """match_needs': each open need's remaining demand (``NeedState.left``), same order."""
    pending: set[uuid.UUID] | None = None  # needs read anew since the last batch (None: all)
    tasked: Subset = field(default_factory=Subset)
    loose: Subset = field(default_factory=Subset)  # open, with loose reservations
    special: Subset = field(default_factory=Subset)  # turned down or overridden
    bare: Subset = field(default_factory=Subset)  # open, wanting no items: visits
    priorities_at: datetime | None = None  # this worker's last refresh of stored priorities

    def settle(self, todo: Iterable[uuid.UUID] | None) -> None:
        """The subsets brought up to the needs of ``todo`` (None: every need), read anew."""
        if todo is None:
            self.tasked, self.loose, self.special, self.bare = (Subset() for _ in range(4))
            todo = self.needs
        rows = self.rows
        for nid in todo:
            state = self.needs.get(nid)
            row = rows.get(nid)
            is_bare = state and state.status == _OPEN and row is not None and not row.has_items
            self.bare.put(nid, state if is_bare else None)
            self.tasked.put(nid, state if state and state.tasks else None)
            is_loose = state and state.status == _OPEN and state.loose
            self.loose.put(nid, state if is_loose else None)
            self.special.put(
                nid, state if state and (state.turned_down or state.overrides) else None
            )

    def priorities_due(self, now: datetime) -> bool:
        """Whether a batch at ``now`` refreshes the stored priorities
        (:data:`~core.incidents.priority.REFRESH_EVERY`; a clock gone back: yes)."""
        last = self.priorities_at
        return last is None or not last <= now < last + REFRESH_EVERY


class PerIncident(Generic[T]):
    """Per (database, incident), one ``T`` made by ``make`` on first use; the
    :data:`MAX_INCIDENTS` most recently used are kept."""

    def __init__(self, make: Callable[[], T]) -> None:
        self._make = make
        self._by_incident: OrderedDict[tuple[str, uuid.UUID], T] = OrderedDict()

    def of(self, session: AsyncSession, incident_id: uuid.UUID) -> T:
        key = (database_key(session), incident_id)
        found = self._by_incident.get(key)
        if found is None:
            found = self._by_incident[key] = self._make()
            while len(self._by_incident) > MAX_INCIDENTS:
                self._by_incident.popitem(last=False)
        self._by_incident.move_to_end(key)
        return found


MEMOS = PerIncident(Memo)


async def outbox_head(session: AsyncSession) -> tuple[int, str] | None:
    """The outbox's newest (seq, epoch) as ``session`` sees it; None when it is empty."""
    head = (
        await session.execute(
            select(OutboxEvent.seq, OutboxEvent.epoch).order_by(OutboxEvent.seq.desc()).limit(1)
        )
    ).first()
    return (int(head.seq), str(head.epoch)) if head is not None else None


async def refresh(
    session: AsyncSession, memo: Memo, incident_id: uuid.UUID, *, incremental: bool
) -> None:
    """Bring ``memo`` up to the database as ``session`` sees it (see the module doc)."""
    now_head = await outbox_head(session)
    changed = await _changed(session, memo, now_head) if incremental else None
    if changed is None:
        memo.needs, memo.pending = await _read(session, incident_id, None), None
    elif changed:
        _merge(memo, changed, await _read(session, incident_id, changed))
        if memo.pending is not None:
            memo.pending.update(changed)
    memo.head = now_head


async def _changed(
    session: AsyncSession, memo: Memo, head: tuple[int, str] | None
) -> list[uuid.UUID] | None:
    """Ids of the needs named by events after the memo's head up to ``head`` (None: read
    everything)."""
    if memo.head is None or head is None or head[1] != memo.head[1] or head[0] < memo.head[0]:
        return None
    rows = await rows_of(
        session,
        select(
            OutboxEvent.type,
            OutboxEvent.payload["id"].as_string(),
            OutboxEvent.payload["need_id"].as_string(),
        ).where(OutboxEvent.seq > memo.head[0], OutboxEvent.seq <= head[0]),
    )
    named = {i if t.startswith("need.") else n for t, i, n in rows}
    named.discard(None)
    return [uuid.UUID(n) for n in sorted(named)]


def _merge(memo: Memo, changed: list[uuid.UUID], fresh: dict[uuid.UUID, NeedState]) -> None:
    """Replace the changed needs' states in place; a need no longer live leaves; a need new
    to the memo goes last, and the memo is re-sorted if that breaks the id order."""
    needs = memo.needs
    for nid in changed:
        if nid not in fresh:
            needs.pop(nid, None)
    last = next(reversed(needs)) if needs else None
    in_order = True
    for nid, state in fresh.items():  # in id order
        if nid not in needs:
            in_order = in_order and (last is None or nid > last)
            last = nid
        needs[nid] = state
    if not in_order:
        memo.needs = dict(sorted(needs.items(), key=lambda kv: kv[0].int))


async def _read(
    session: AsyncSession, incident_id: uuid.UUID, ids: list[uuid.UUID] | None
) -> dict[uuid.UUID, NeedState]:
    """The states of the incident's live needs, in id order: all of them (``ids`` None) or
    those of ``ids`` (sorted) among them."""
    out: dict[uuid.UUID, NeedState] = {}
    for part in [None] if ids is None else chunks(ids):
        mine = {
            nid: NeedState(status) for nid, status in await _statuses(session, incident_id, part)
        }
        if mine:
            await _read_part(session, mine, *_filters(incident_id, part, mine))
        out.update(mine)
    return out


async def _statuses(
    session: AsyncSession, incident_id: uuid.UUID, part: Sequence[uuid.UUID] | None
) -> list[tuple[uuid.UUID, str]]:
    """(id, status) of the incident's live needs, all or those of ``part``, in id order.
    Given ids are looked up by key and filtered here: with the incident and status in the
    WHERE, SQLite walks the (incident, status) index over every open need instead."""
    if part is None:
        live = (Need.incident_id == incident_id) & Need.status.in_(LIVE_NEEDS)
        return [(r.id, r.status) for r in await rows_of(
            session, select(Need.id, Need.status).where(live).order_by(Need.id))]  # fmt: skip
    rows = await rows_of(
        session, select(Need.id, Need.status, Need.incident_id).where(Need.id.in_(part))
    )
    mine = [
        (r.id, r.status) for r in rows if r.incident_id == incident_id and r.status in LIVE_NEEDS
    ]
    return sorted(mine, key=lambda r: r[0].int)


Of = Callable[[Any], Any]


def _filters(
    incident_id: uuid.UUID, part: Sequence[uuid.UUID] | None, mine: dict[uuid.UUID, NeedState]
) -> tuple[Of, Of]:
    """``of(column)``: a need id column is one of ``mine``; ``of_open``: one of its open
    needs (None when none is). Every live need: subqueries, not thousands of bound ids."""
    has_open = any(state.status == _OPEN for state in mine.values())
    if part is None:
        whole = select(Need.id).where(Need.incident_id == incident_id)
        live, opened = whole.where(Need.status.in_(LIVE_NEEDS)), whole.where(Need.status == _OPEN)
    else:
        live = list(mine)
        opened = [nid for nid, state in mine.items() if state.status == _OPEN]
    return (lambda col: col.in_(live)), (lambda col: col.in_(opened) if has_open else None)


async def _read_part(session: AsyncSession, mine: dict[uuid.UUID, NeedState], of: Of,
                     of_open: Of) -> None:  # fmt: skip
    """Tasks, and open needs' stock, of the needs in ``mine`` (``of(column)``: a need id
    column is one of them; ``of_open``: one of the open ones, None when none is)."""
    live: dict[uuid.UUID, tuple[uuid.UUID, uuid.UUID, str]] = {}  # task → its live one
    attempts: dict[uuid.UUID, int] = {}  # task → assignments it had
    down: set[tuple[uuid.UUID, uuid.UUID]] = set()  # (need, volunteer who let it go)
    for r in await rows_of(
        session,
        select(Assignment.id, Assignment.task_id, Assignment.need_id, Assignment.volunteer_id,
               Assignment.status, Assignment.attempt).where(of(Assignment.need_id)),
    ):  # fmt: skip
        if r.status in LIVE_STATUSES:
            live[r.task_id] = (r.id, r.volunteer_id, r.status)
        elif r.status in TURNED_DOWN:
            down.add((r.need_id, r.volunteer_id))
        if r.attempt is not None and r.attempt > attempts.get(r.task_id, 0):
            attempts[r.task_id] = r.attempt
    mine_tasks = (of(Task.need_id), Task.status.in_(("open", "assigned")))
    holds = (
        select(TaskLine.task_id)
        .join(Reservation, Reservation.id == TaskLine.reservation_id)
        .where(TaskLine.task_id == Task.id, Reservation.status.in_(HELD))
        .exists()
    )  # the few depot tasks holding nothing, not the thousands that hold stock
    bare = set(
        await session.scalars(
            select(Task.id).where(*mine_tasks, Task.depot_id.is_not(None), ~holds)
        )
    )
    for t in await rows_of(
        session,
        select(Task.id, Task.need_id, Task.depot_id, Task.area_path)
        .where(*mine_tasks)
        .order_by(Task.id),
    ):
        state = mine.get(t.need_id)
        if state is not None:  # a need that changed between the two reads waits a batch
            attempt = int(attempts.get(t.id) or 0)
            old = OldTask(t.id, t.need_id, t.depot_id, t.area_path, live.get(t.id), attempt)
            state.tasks.append(TaskState(old, t.id in bare))
    for need_id, vol in sorted(down, key=lambda nv: (nv[0].int, nv[1].int)):
        if need_id in mine:
            mine[need_id].turned_down.append(vol)
    for o in await rows_of(
        session,
        select(MatchOverride.need_id, MatchOverride.kind, MatchOverride.volunteer_id,
               MatchOverride.depot_id)
        .where(of(MatchOverride.need_id))
        .order_by(MatchOverride.created_at, MatchOverride.id),
    ):  # fmt: skip
        if o.need_id in mine:
            mine[o.need_id].overrides.append((o.kind, o.volunteer_id, o.depot_id))
    is_open = of_open(Reservation.need_id)
    if is_open is not None:
        await _read_stock(session, mine, is_open)


async def _read_stock(
    session: AsyncSession, mine: dict[uuid.UUID, NeedState], is_open: Any
) -> None:
    """Open needs' held stock per item, and their loose active reservations."""
    for need_id, item_id, qty in await rows_of(
        session,
        select(Reservation.need_id, Reservation.item_id, func.sum(Reservation.quantity))
        .where(is_open, Reservation.status.in_(HELD))
        .group_by(Reservation.need_id, Reservation.item_id)
        .order_by(Reservation.need_id, Reservation.item_id),
    ):
        state = mine.get(need_id)
        if state is not None and state.status == _OPEN:
            state.held.append((item_id, int(qty)))
    on_task = (  # a line's task is of the line's reservation's need
        select(TaskLine.task_id)
        .join(Task, Task.id == TaskLine.task_id)
        .where(TaskLine.reservation_id == Reservation.id, Task.status != "cancelled")
        .exists()
    )  # NOT EXISTS by the line's reservation index, not NOT IN over every line of the incident
    for r in await rows_of(
        session,
        select(Reservation.id, Reservation.need_id, Reservation.depot_id, Reservation.item_id,
               Reservation.quantity)
        .where(is_open, Reservation.status == "active", ~on_task)
        .order_by(Reservation.id),
    ):  # fmt: skip
        state = mine.get(r.need_id)
        if state is not None and state.status == _OPEN:
            state.loose.append((r.id, r.depot_id, r.item_id, int(r.quantity)))
