"""A batch's needs: what never changes is read once per process, what changes every batch.

A need's place, area, skills, languages, severity, vulnerability, creation time and its
items are written when it is raised and never updated (only ``status``, ``priority``,
``escalated_at``, ``closed_at`` and ``updated_at`` change). So a batch takes the statuses
of the incident's live needs, and the stock still held for its open ones, from its
:class:`~core.incidents.match_memo.Memo`; a need not seen before is read whole, by id,
and kept in :class:`StaticNeeds` for the next batch. Which needs are in the batch always
comes from that batch's own read, so a need cached from a transaction that later rolled
back is simply never asked for again. Exact on both engines, whatever the clocks say.

The memo keeps its own :class:`NeedRow` per need (``Memo.rows``, in its order) and each
open need's remaining demand (``NeedState.left``): both are worked out again only for the
needs its last refreshes read anew (``Memo.pending``; all of them after a full read). A
batch then only computes the priority at its ``now`` of the needs it takes in, as arrays
(:func:`core.incidents.priority.priority`, the same float operations).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from operator import attrgetter
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import chunks
from core.geo.local_rows import micros
from core.incidents.match_batch import Loaded, NeedRow
from core.incidents.match_memo import Memo, NeedState, PerIncident
from core.incidents.need_models import Need, NeedItem, NeedStatus
from core.incidents.priority import MAX_WAITING_BONUS, MINUTES_PER_POINT, severity_weight

_BASE, _CREATED = attrgetter("base"), attrgetter("created_us")
_OPEN = NeedStatus.open.value


@dataclass(frozen=True, slots=True)
class StaticNeed:
    """What never changes of a need: its :class:`NeedRow` as read (each memo keeps a copy:
    status and priority are the memo's), and its items, all and those of a positive
    quantity."""

    row: NeedRow
    items: tuple[tuple[uuid.UUID, int], ...]
    wants: tuple[tuple[uuid.UUID, int], ...]


class StaticNeeds(PerIncident[dict[uuid.UUID, StaticNeed]]):
    """Per (database, incident): need id → :class:`StaticNeed`."""

    def __init__(self) -> None:
        super().__init__(dict)


STATIC = StaticNeeds()


async def load_needs(
    session: AsyncSession, w: Loaded, memo: Memo, todo: list[uuid.UUID] | None
) -> None:
    """``w.needs`` (the memo's live needs; their priority is set by the builder, for the
    needs entering the batch: :func:`set_priorities`) and ``w.demand`` (open
    needs' items less the stock their active or issued reservations hold: the items still
    wanted, a need wanting none left out; the writer copies one before taking from it).
    ``todo``: the needs read anew since the last batch, None for all."""
    known = STATIC.of(session, w.incident_id)
    ids = list(memo.needs) if todo is None else todo
    unseen = [nid for nid in ids if nid in memo.needs and nid not in known]
    if unseen:
        known.update(await _read_static(session, unseen))
    _update_rows(memo, known, ids, full=todo is None)
    w.needs = memo.rows
    w.demand = dict(memo.demand)  # the writer replaces entries of its own copy


def set_priorities(rows: list[NeedRow], now: datetime) -> np.ndarray:
    """Each row's priority at ``now`` (:func:`core.incidents.priority.priority`: the same
    float operations, as arrays), set on the row and returned in order."""
    n = len(rows)
    minutes = (micros(now) - np.fromiter(map(_CREATED, rows), np.int64, n)) / 1_000_000 / 60
    bonus = np.minimum(np.where(minutes > 0, minutes / MINUTES_PER_POINT, 0.0), MAX_WAITING_BONUS)
    priority = np.fromiter(map(_BASE, rows), float, n) + bonus  # base + waiting_bonus
    for row, p in zip(rows, priority.tolist(), strict=True):
        row.priority = p
    return priority


def _update_rows(
    memo: Memo, known: dict[uuid.UUID, StaticNeed], todo: list[uuid.UUID], *, full: bool
) -> None:
    """The memo's rows and remaining demand for the needs of ``todo`` (read anew; ``full``:
    every need). Both stay in id order: a need joining after the last is appended, one
    joining anywhere else means putting the whole dict in order again."""
    rows, needs, demand = memo.rows, memo.needs, memo.demand
    if full:
        rows = memo.rows = {nid: rows.get(nid) or replace(known[nid].row) for nid in needs}
    last = next(reversed(rows)) if rows else None
    last_wanting = next(reversed(demand)) if demand else None
    in_order = wanting_in_order = True
    for nid in todo:
        state = needs.get(nid)
        if state is None:
            rows.pop(nid, None)
            demand.pop(nid, None)
            continue
        row = rows.get(nid)
        if row is None:
            row = rows[nid] = replace(known[nid].row)
            in_order = in_order and (last is None or nid > last)
            last = nid
        row.status = state.status
        state.left = _left(known[nid], state)
        if not state.left:
            demand.pop(nid, None)
            continue
        if nid not in demand:  # joins at the end
            wanting_in_order = wanting_in_order and (last_wanting is None or nid > last_wanting)
            last_wanting = nid
        demand[nid] = state.left
    if not in_order or len(rows) != len(needs):
        memo.rows = {nid: rows[nid] for nid in needs}
    if full or not wanting_in_order:
        memo.demand = {nid: st.left for nid, st in needs.items() if st.left}


def _left(s: StaticNeed, state: NeedState) -> dict[uuid.UUID, int] | None:
    """What an open need still wants once its held stock is taken off (None: nothing)."""
    if state.status != _OPEN or not s.wants:
        return None
    wants = dict(s.wants)
    for item_id, qty in state.held:
        left = wants.get(item_id, 0) - qty
        if left > 0:
            wants[item_id] = left
        else:
            wants.pop(item_id, None)
    return wants or None


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
                  bool(r.neighbours_first), "", bool(items), (skills, languages), base,
                  micros(r.created_at))  # fmt: skip
    return StaticNeed(row, items, tuple((i, q) for i, q in items if q > 0))
