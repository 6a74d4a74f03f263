"""Location pings: a volunteer on duty shares where they are.

The caller's own volunteer row gets ``live_lon``/``live_lat``/``live_at`` (and
``updated_at``) by one conditional UPDATE that also applies the rate limit: a ping
within ``HUZHU_POSITION_MIN_SECONDS`` of the stored one is accepted but not written, so
two pings racing each other store at most one. Each stored ping emits one
``volunteer.moved`` on the volunteer's ``area:`` stream and on the ``incident:`` stream of
every incident where they have a live assignment (the coordinators' map).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.auth.roles import Principal
from core.config import get_settings
from core.errors import ErrorList, Forbidden
from core.events.outbox import EventIn, emit_many
from core.incidents.match_models import LIVE_STATUSES, Assignment
from core.registry.volunteers.models import Volunteer


def _check(lon: float, lat: float, accuracy_m: float | None) -> None:
    errors = ErrorList()
    for name, value, bound in (("lon", lon, 180.0), ("lat", lat, 90.0)):
        if not isinstance(value, int | float) or not math.isfinite(value) or abs(value) > bound:
            errors.add(("body", name), f"{name} must be a number from -{bound:g} to {bound:g}")
    if accuracy_m is not None and (not math.isfinite(accuracy_m) or accuracy_m < 0):
        errors.add(("body", "accuracy_m"), "accuracy_m must be a number of metres, 0 or more")
    errors.raise_if_any("the position is invalid")


async def record_position(
    *,
    session: AsyncSession,
    principal: Principal,
    lon: float,
    lat: float,
    accuracy_m: float | None = None,
    now: datetime | None = None,
) -> bool:
    """Store the caller's live position unless the last one is too recent; whether stored.

    422 naming ``lon``, ``lat`` or ``accuracy_m``; 403 for a caller who is no volunteer.
    """
    _check(lon, lat, accuracy_m)
    if principal.volunteer_id is None:
        raise Forbidden("only a volunteer shares a live position")
    now = now or clock.now()
    moved = await _store(session, principal.volunteer_id, lon, lat, accuracy_m, now)
    if moved is None:
        return False
    await emit_many(session, [moved])
    return True


async def record_positions(
    session: AsyncSession, moves: Sequence[tuple[uuid.UUID, float, float, datetime]]
) -> int:
    """Store pings the system makes for volunteers — (volunteer, lon, lat, at), e.g. a
    drill's simulated volunteers reaching a depot or a need — under the same rate rule
    and with the same ``volunteer.moved`` events as :func:`record_position`; how many
    were stored."""
    events = []
    for vid, lon, lat, at in moves:
        _check(lon, lat, None)
        if (moved := await _store(session, vid, lon, lat, None, at)) is not None:
            events.append(moved)
    await emit_many(session, events)
    return len(events)


async def _store(
    session: AsyncSession, vid: uuid.UUID, lon: float, lat: float, accuracy_m: float | None,
    now: datetime,
) -> EventIn | None:  # fmt: skip
    """One conditional UPDATE (the rate rule); the ``volunteer.moved`` to emit, if stored."""
    since = now - timedelta(seconds=get_settings().position_min_seconds)
    stored = await session.execute(
        update(Volunteer)
        .where(Volunteer.id == vid,
               or_(Volunteer.live_at.is_(None), Volunteer.live_at <= since))
        .values(live_lon=float(lon), live_lat=float(lat), live_at=now, updated_at=now)
        .returning(Volunteer.area_path)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    area_path = stored.scalar_one_or_none()
    if area_path is None:
        return None
    return await _moved(session, vid, area_path, lon, lat, accuracy_m, now)


async def _moved(
    session: AsyncSession, vid: uuid.UUID, area_path: str, lon: float, lat: float,
    accuracy_m: float | None, now: datetime,
) -> EventIn:  # fmt: skip
    incidents = sorted(set(await session.scalars(
        select(Assignment.incident_id).where(Assignment.volunteer_id == vid,
                                             Assignment.status.in_(LIVE_STATUSES))
    )))  # fmt: skip
    data = {"volunteer_id": vid, "lon": float(lon), "lat": float(lat), "accuracy_m": accuracy_m,
            "at": now, "incident_ids": incidents}  # fmt: skip
    streams = [f"area:{area_path}", *(f"incident:{i}" for i in incidents)]
    return EventIn("volunteer.moved", data, streams)
