"""A batch's needs: what never changes is read once per process, what changes every batch.

A need's place, area, skills, languages, severity, vulnerability, creation time and its
items are written when it is raised and never updated (only ``status``, ``priority``,
``escalated_at``, ``closed_at`` and ``updated_at`` change). So each batch reads only the
ids and statuses of the incident's live needs, and the stock still held for its open
ones; a need not seen before is read whole, by id, and kept in :class:`StaticNeeds` for
the next batch. Which needs are in the batch always comes from that batch's own read, so
a need cached from a transaction that later rolled back is simply never asked for again.
Exact on both engines, whatever the clocks say. Priority is computed at the batch's
``now`` (:func:`core.incidents.priority.priority`).
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import chunks, rows_of
from core.geo.local_rows import database_key
from core.incidents.match_batch import HELD, LIVE_NEEDS, Loaded, NeedRow, open_need_ids
from core.incidents.need_models import Need, NeedItem, NeedStatus
from core.incidents.priority import severity_weight, waiting_bonus
from core.stock.models import Reservation

MAX_INCIDENTS = 32
"""Incidents whose needs a process keeps (least recently matched dropped first)."""


@dataclass(frozen=True, slots=True)
class StaticNeed:
    """The columns of a need that never change, and its items; ``base_priority`` is its
    priority before waiting (:func:`~core.incidents.priority.priority` adds the wait)."""

    lon: float
    lat: float
    area_path: str
    skills: tuple[str, ...]
    languages: tuple[str, ...]
    created_at: datetime
    neighbours_first: bool
    base_priority: float
    items: tuple[tuple[uuid.UUID, int], ...] = field(default=())


class StaticNeeds:
    """Per (database, incident): need id → :class:`StaticNeed`."""

    def __init__(self) -> None:
        self._by_incident: OrderedDict[tuple[str, uuid.UUID], dict[uuid.UUID, StaticNeed]] = (
            OrderedDict()
        )

    def of(self, session: AsyncSession, incident_id: uuid.UUID) -> dict[uuid.UUID, StaticNeed]:
        key = (database_key(session), incident_id)
        found = self._by_incident.get(key)
        if found is None:
            found = self._by_incident[key] = {}
            while len(self._by_incident) > MAX_INCIDENTS:
                self._by_incident.popitem(last=False)
        self._by_incident.move_to_end(key)
        return found


STATIC = StaticNeeds()


async def load_needs(session: AsyncSession, w: Loaded) -> None:
    """``w.needs`` (live needs, priority at ``w.now``) and ``w.demand`` (open needs' items
    less the stock their active or issued reservations hold)."""
    live = await rows_of(
        session,
        select(Need.id, Need.status).where(
            Need.incident_id == w.incident_id, Need.status.in_(LIVE_NEEDS)
        ),
    )
    known = STATIC.of(session, w.incident_id)
    unseen = [nid for nid, _ in live if nid not in known]
    if unseen:
        known.update(await _read_static(session, unseen))
    now, rows, demand, is_open = w.now, w.needs, w.demand, NeedStatus.open.value
    for nid, status in live:  # once per live need per batch: kept lean
        s = known[nid]
        bonus = waiting_bonus((now - s.created_at).total_seconds() / 60)
        rows[nid] = NeedRow(nid, s.lon, s.lat, s.area_path, s.skills, s.languages,
                            s.base_priority + bonus, s.neighbours_first, status,
                            bool(s.items))  # fmt: skip
        if status == is_open and s.items:
            demand[nid] = dict(s.items)
    open_ids = open_need_ids(w.incident_id)
    held = await rows_of(
        session,
        select(Reservation.need_id, Reservation.item_id, func.sum(Reservation.quantity))
        .where(Reservation.need_id.in_(open_ids), Reservation.status.in_(HELD))
        .group_by(Reservation.need_id, Reservation.item_id),
    )
    for need_id, item_id, qty in held:
        wants = w.demand.get(need_id, {})
        if item_id in wants:
            wants[item_id] = max(0, wants[item_id] - int(qty))


async def _read_static(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, StaticNeed]:
    items: dict[uuid.UUID, list[tuple[uuid.UUID, int]]] = {}
    rows = []
    for part in chunks(ids):
        rows += list(
            await session.execute(
                select(Need.id, Need.lon, Need.lat, Need.area_path, Need.skills,
                       Need.languages, Need.severity, Need.vulnerability, Need.created_at,
                       Need.neighbours_first).where(Need.id.in_(part))
            )
        )  # fmt: skip
        for need_id, item_id, qty in await session.execute(
            select(NeedItem.need_id, NeedItem.item_id, NeedItem.quantity)
            .where(NeedItem.need_id.in_(part))
            .order_by(NeedItem.need_id, NeedItem.item_id)
        ):
            items.setdefault(need_id, []).append((item_id, int(qty)))
    return {r.id: _static(r, tuple(items.get(r.id, ()))) for r in rows}


def _static(r: Any, items: tuple[tuple[uuid.UUID, int], ...]) -> StaticNeed:
    skills, languages = tuple(sorted(r.skills or [])), tuple(sorted(r.languages or []))
    base = severity_weight(int(r.severity)) + float(r.vulnerability)
    return StaticNeed(r.lon, r.lat, r.area_path, skills, languages, r.created_at,
                      bool(r.neighbours_first), base, items)  # fmt: skip
