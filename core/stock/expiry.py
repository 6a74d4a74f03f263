"""Reservation expiry: a durable timer per reservation, fired once by whichever worker claims it.

Every reservation gets a timer (key ``reservation-expiry:<id>``) due one hold period after
it was made (``HUZHU_RESERVATION_HOLD_MINUTES``; a live drill divides it by its speed-up).
When it fires, in the timer's claiming transaction (:mod:`core.events.timers`):

* the reservation is no longer active (released, issued, expired) → nothing;
* its need is still ``open`` (unassigned) → released with status ``expired`` (a release
  move with reason ``expired``, event ``stock.expired``);
* its need is ``matched`` or ``in_progress`` → re-armed for another hold period, so a need
  that goes back to open after a decline still lets go of its stock later;
* its need is ``fulfilled`` or ``cancelled`` → released (reason ``need closed``).

A reservation released by hand at the same moment makes the release 409; the timer then
does nothing. Expiries due together are also fired as a set (:func:`on_expiries`, the same
rules in a few statements, :mod:`core.stock.release_many`). The handlers are registered on
import; :mod:`core.stock.reserve` imports this module, so they are active wherever
reservations can be made.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.config import get_settings
from core.db import chunks
from core.errors import Conflict
from core.events.models import Timer
from core.events.timers import DueTimer, timer_batch_handler, timer_handler
from core.ids import uuid7
from core.incidents.models import IncidentMode
from core.incidents.need_models import Need, NeedStatus
from core.stock.models import Reservation
from core.stock.release import release
from core.stock.release_many import release_many

EXPIRY_TIMER = "stock.reservation_expiry"
_CLOSED = frozenset({NeedStatus.fulfilled.value, NeedStatus.cancelled.value})


def timer_key(reservation_id: uuid.UUID) -> str:
    """The key of a reservation's pending expiry timer."""
    return f"reservation-expiry:{reservation_id}"


def hold_for(hold: timedelta | None, *, mode: str, speedup: float) -> timedelta:
    """The hold period: ``hold`` or the setting, divided by a live drill's speed-up."""
    base = hold if hold is not None else timedelta(minutes=get_settings().reservation_hold_minutes)
    return base / speedup if mode == IncidentMode.live_drill.value and speedup > 1 else base


async def schedule_expiries(
    session: AsyncSession, timers: Sequence[tuple[uuid.UUID, datetime, timedelta]]
) -> None:
    """Store one expiry timer per (reservation_id, due_at, hold), in one INSERT."""
    if not timers:
        return
    now = clock.now()
    await session.execute(insert(Timer.__table__), [
        {"id": uuid7(), "kind": EXPIRY_TIMER, "key": timer_key(rid), "due_at": due,
         "payload": {"reservation_id": str(rid), "hold_s": hold.total_seconds()},
         "created_at": now, "attempts": 0}
        for rid, due, hold in timers
    ])  # fmt: skip


@timer_handler(EXPIRY_TIMER)
async def on_expiry(*, session: AsyncSession, timer: DueTimer) -> None:
    """Payload: ``reservation_id`` and ``hold_s`` (the hold period to re-arm with)."""
    rid = _reservation_of(timer)
    row = (await session.execute(
        select(Reservation.status, Need.status.label("need_status"))
        .join(Need, Need.id == Reservation.need_id).where(Reservation.id == rid)
    )).first()  # fmt: skip
    action = None if row is None else _action(row.status, row.need_status)
    if action == "rearm":
        await _rearm(session, [timer])
    elif action is not None:
        await _let_go(session, rid, reason=_REASONS[action], status=action)


@timer_batch_handler(EXPIRY_TIMER)
async def on_expiries(*, session: AsyncSession, timers: list[DueTimer]) -> None:
    """:func:`on_expiry` for many timers: one read, one set release, one re-arm."""
    rid_of = {t.id: _reservation_of(t) for t in timers}
    state: dict[uuid.UUID, tuple[str, str]] = {}
    for part in chunks(sorted(set(rid_of.values()))):
        for r in await session.execute(
            select(Reservation.id, Reservation.status, Need.status.label("need_status"))
            .join(Need, Need.id == Reservation.need_id).where(Reservation.id.in_(part))
        ):  # fmt: skip
            state[r.id] = (r.status, r.need_status)
    releases: list[tuple[uuid.UUID, str, str]] = []
    rearm: list[DueTimer] = []
    for t in timers:
        found = state.get(rid_of[t.id])
        action = None if found is None else _action(*found)
        if action == "rearm":
            rearm.append(t)
        elif action is not None:
            releases.append((rid_of[t.id], action, _REASONS[action]))
    await release_many(session, releases)
    await _rearm(session, rearm)


_REASONS = {"expired": "expired", "released": "need closed"}


def _action(status: str, need_status: str) -> str | None:
    """What an expiry does to a reservation: ``expired`` or ``released`` (the status it
    ends with), ``rearm``, or None (no longer active)."""
    if status != "active":
        return None
    if need_status == NeedStatus.open.value:
        return "expired"
    return "released" if need_status in _CLOSED else "rearm"


def _reservation_of(timer: DueTimer) -> uuid.UUID:
    return uuid.UUID(str(timer.payload["reservation_id"]))


async def _let_go(session: AsyncSession, rid: uuid.UUID, *, reason: str, status: str) -> None:
    try:
        await release(session=session, actor_id=None, reservation_id=rid, reason=reason,
                      status=status)  # fmt: skip
    except Conflict:  # released or issued by someone else meanwhile: nothing to do
        return


async def _rearm(session: AsyncSession, timers: list[DueTimer]) -> None:
    """Schedule each reservation's next expiry; the fired rows give up their keys to them."""
    if not timers:
        return
    await session.execute(
        update(Timer.__table__).where(Timer.id == bindparam("tid"))
        .values(key=bindparam("new_key")),
        [{"tid": t.id, "new_key": f"{timer_key(_reservation_of(t))}:fired:{t.id}"}
         for t in timers],
    )  # fmt: skip
    now = clock.now()
    holds = [(_reservation_of(t), timedelta(seconds=float(t.payload["hold_s"]))) for t in timers]
    await schedule_expiries(session, [(rid, now + hold, hold) for rid, hold in holds])
