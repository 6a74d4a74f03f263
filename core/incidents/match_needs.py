"""A batch's needs: what never changes is read once per process, what changes every batch.

A need's place, area, skills, languages, severity, vulnerability, creation time and its
items are written when it is raised and never updated (only ``status``, ``priority``,
``escalated_at``, ``closed_at`` and ``updated_at`` change). So a batch takes the statuses
of the incident's live needs, and the stock still held for its open ones, from its
:class:`~core.incidents.match_memo.Memo`; a need not seen before is read whole, by id,
and kept in :class:`StaticNeeds` for the next batch, with the :class:`NeedRow` later
batches reuse (only its ``status`` and
``priority`` are set again: no batch code writes to a row). Which needs are in the batch
always comes from that batch's own read, so a need cached from a transaction that later
rolled back is simply never asked for again. Exact on both engines, whatever the clocks
say. Priority is computed at the batch's ``now``
(:func:`core.incidents.priority.priority`, the same float operations inlined: this loop
runs once per live need per batch).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import chunks
from core.geo.local_rows import micros
from core.incidents.match_batch import Loaded, NeedRow
from core.incidents.match_memo import Memo, PerIncident
from core.incidents.need_models import Need, NeedItem, NeedStatus
from core.incidents.priority import MAX_WAITING_BONUS, MINUTES_PER_POINT, severity_weight


@dataclass(frozen=True, slots=True)
class StaticNeed:
    """What never changes of a need: its :class:`NeedRow` (reused by every batch: status
    and priority set anew), ``base_priority`` (its priority before waiting,
    :func:`~core.incidents.priority.priority` adds the wait), its creation time in
    microseconds since the epoch, and its items."""

    row: NeedRow
    base_priority: float
    created_us: int
    items: tuple[tuple[uuid.UUID, int], ...]
    wants: tuple[tuple[uuid.UUID, int], ...]  # the items of a positive quantity


class StaticNeeds(PerIncident[dict[uuid.UUID, StaticNeed]]):
    """Per (database, incident): need id → :class:`StaticNeed`."""

    def __init__(self) -> None:
        super().__init__(dict)


STATIC = StaticNeeds()


async def load_needs(session: AsyncSession, w: Loaded, memo: Memo) -> None:
    """``w.needs`` (the memo's live needs, priority at ``w.now``) and ``w.demand`` (open
    needs' items less the stock their active or issued reservations hold: the items still
    wanted, a need wanting none left out)."""
    known = STATIC.of(session, w.incident_id)
    unseen = [nid for nid in memo.needs if nid not in known]
    if unseen:
        known.update(await _read_static(session, unseen))
    now_us, rows, demand, is_open = micros(w.now), w.needs, w.demand, NeedStatus.open.value
    top, per_point = MAX_WAITING_BONUS, MINUTES_PER_POINT
    for nid, state in memo.needs.items():  # once per live need per batch: kept lean
        s, status = known[nid], state.status
        minutes = (now_us - s.created_us) / 1_000_000 / 60  # timedelta.total_seconds() / 60
        bonus = minutes / per_point if minutes > 0 else 0.0  # waiting_bonus(minutes)
        row = s.row
        row.status, row.priority = status, s.base_priority + (top if bonus > top else bonus)
        rows[nid] = row
        if status == is_open and s.wants:
            wants = dict(s.wants)
            for item_id, qty in state.held:
                left = wants.get(item_id, 0) - qty
                if left > 0:
                    wants[item_id] = left
                else:
                    wants.pop(item_id, None)
            if wants:
                demand[nid] = wants


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
    row = NeedRow(r.id, r.lon, r.lat, r.area_path, skills, languages, base,
                  bool(r.neighbours_first), "", bool(items), (skills, languages))  # fmt: skip
    wants = tuple((i, q) for i, q in items if q > 0)
    return StaticNeed(row, base, micros(r.created_at), items, wants)
