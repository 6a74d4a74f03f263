"""From a loaded batch to the solver's arrays: candidate search and overrides.

* Volunteers: the needs are grouped by their (skills, languages) signature and each group
  runs one candidate search (:func:`core.geo.candidates.candidate_search`) with that
  group's qualifying volunteers (:func:`~core.incidents.match_volunteers.qualifies`, a
  free slot): the :data:`K_VOLUNTEERS` nearest within :data:`MAX_M` and their own travel
  limit, positions live when shared in the last 30 minutes.
* Depots: needs with remaining demand are grouped by the set of items they still want;
  a need none of whose items any depot holds is left out before any search (no stock arc,
  so no new task: the prune would drop it; once a county's stock of an item has run out,
  most waiting needs) unless a task, a visit or a pinned volunteer brings it in. Each group
  searches the :data:`K_DEPOTS` nearest depots (within :data:`MAX_M`) holding
  free stock of one of those items. Stock arc cost: Router travel depot → need.
* Overrides: forbidden volunteers and depots lose their arcs; a pinned volunteer is the
  only volunteer the need's tasks may go to (added whatever their distance, if they
  qualify; otherwise the need gets no volunteer), a pinned depot the only depot of its
  stock (likewise). A pending assignment's volunteer keeps an arc to its task while they
  qualify and are within reach, so hysteresis holds even outside the k nearest.
* Pruning (:mod:`.match_prune`, exact): needs no optimal assignment can serve this batch
  leave it with their tasks (``ix.needs`` and ``w.old`` are cut to the rest), so a batch
  of thousands of waiting needs and a few free volunteers stays small.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import chain
from operator import attrgetter, not_
from typing import Any

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from core.geo.distance import haversine_m
from core.incidents.match_batch import Loaded, NeedRow, Overrides
from core.incidents.match_needs import set_priorities
from core.incidents.match_prune import prune
from core.incidents.match_solve import SolveInput
from core.incidents.match_volunteers import LIVE_WINDOW, qualifies
from core.matching.problem import StockProblem

K_VOLUNTEERS = 20
K_DEPOTS = 10
MAX_M = 50_000.0
_NO = Overrides()
_ID, _NEED_ID, _DEPOT_ID = attrgetter("id"), attrgetter("need_id"), attrgetter("depot_id")
_SIGNATURE = attrgetter("signature")


@dataclass
class Index:
    """Positions ↔ ids of one batch's arrays."""

    needs: list[uuid.UUID] = field(default_factory=list)
    depots: list[uuid.UUID] = field(default_factory=list)
    items: list[uuid.UUID] = field(default_factory=list)
    vols: list[uuid.UUID] = field(default_factory=list)
    candidates: dict[int, int] = field(default_factory=dict)  # need → volunteers considered


async def build(
    session: AsyncSession, w: Loaded, search: Any, router: Any
) -> tuple[SolveInput, Index]:
    """The :class:`SolveInput` of batch ``w`` and the ids behind its positions (``w.old``
    cut to the tasks of the needs kept)."""
    wanted = _stockable(w)  # items still wanted, > 0 (the writer takes from w.demand later)
    visits = [n for n in w.bare if n not in w.with_tasks]  # open, no items, no live task
    ix = Index()
    old_needs = list(map(_NEED_ID, w.old))
    ix.needs = list(dict.fromkeys(chain(old_needs, wanted, visits)))
    pos = dict(zip(ix.needs, range(len(ix.needs)), strict=True))
    needs = list(map(w.needs.__getitem__, ix.needs))
    lon, lat = _column(needs, "lon"), _column(needs, "lat")
    need_priority = set_priorities(needs, w.now)
    nv_need, nv_vol = await _volunteer_arcs(session, w, search, needs, (lon, lat), pos, ix)
    vpos = {v: i for i, v in enumerate(ix.vols)}
    stock = await _stock(session, w, wanted, search, router, pos, ix, (lon, lat, need_priority))
    vols = [w.volunteers[v] for v in ix.vols]
    pin = np.full(len(needs), -1, np.int64)
    for need_id, o in w.overrides.items():
        if need_id in pos and o.pin_vol is not None:
            pin[pos[need_id]] = vpos.get(o.pin_vol, -1)
    old_depots = list(map(_DEPOT_ID, w.old))
    known = {*ix.depots, None}  # re-entering tasks' depots come after the stock problem's
    ix.depots += [d for d in dict.fromkeys(old_depots) if d not in known]
    dpos: dict[uuid.UUID | None, int] = {d: i for i, d in enumerate(ix.depots)}
    dpos[None] = -1
    old_depot = np.fromiter(map(dpos.__getitem__, old_depots), np.int64, len(old_depots))
    inp = SolveInput(
        stock=stock,
        need_lon=lon,
        need_lat=lat,
        need_priority=need_priority,
        need_neighbours=_column(needs, "neighbours_first", bool),
        need_pin=pin,
        depot_lon=np.array([w.depots[d][0] for d in ix.depots], float),
        depot_lat=np.array([w.depots[d][1] for d in ix.depots], float),
        vol_lon=np.array([v.lon for v in vols], float),
        vol_lat=np.array([v.lat for v in vols], float),
        vol_home_lon=np.array([v.home_lon for v in vols], float),
        vol_home_lat=np.array([v.home_lat for v in vols], float),
        vol_capacity=np.array([max(0, v.capacity) for v in vols], np.int64),
        nv_need=nv_need,
        nv_vol=nv_vol,
        old_need=np.fromiter(map(pos.__getitem__, old_needs), np.int64, len(old_needs)),
        old_depot=old_depot,
        old_incumbent=np.array(
            [vpos.get(t.incumbent[1], -1) if t.incumbent else -1 for t in w.old], np.int64
        ),
        visit_need=np.array([pos[n] for n in visits], np.int64),
        router=router,
    )
    adopted = np.fromiter(map(not_, map(_ID, w.old)), bool, len(w.old))  # id None: adopted
    cut = prune(inp, adopted)
    ix.needs = [ix.needs[i] for i in cut.needs.tolist()]
    w.old = [w.old[i] for i in cut.old.tolist()]
    return cut.inp, ix


def _stockable(w: Loaded) -> dict[uuid.UUID, dict[uuid.UUID, int]]:
    """The needs of ``w.demand`` a depot holds free stock of one of their items for, or
    pinned to a volunteer. The others get no stock arc, hence no new task: unless a task
    or a visit brings them in, the prune would drop them (exact), after a candidate search
    each — most waiting needs once the county's stock of their items has run out."""
    held = {i for _, i in w.supply}
    pinned = {n for n, o in w.overrides.items() if o.pin_vol is not None}
    if not held and not pinned:
        return {}
    return {n: d for n, d in w.demand.items() if n in pinned or not held.isdisjoint(d)}


def _column(rows: list[NeedRow], name: str, dtype: Any = float) -> np.ndarray:
    """One attribute of every row, as an array (no Python loop of our own)."""
    return np.fromiter(map(attrgetter(name), rows), dtype, len(rows))


async def _volunteer_arcs(
    session: AsyncSession,
    w: Loaded,
    search: Any,
    needs: list[NeedRow],
    lon_lat: tuple[np.ndarray, np.ndarray],
    pos: dict[uuid.UUID, int],
    ix: Index,
) -> tuple[np.ndarray, np.ndarray]:
    """Need → volunteer candidate pairs as positions in ``needs`` and ``ix.vols`` (set
    here, in order of first appearance), one search per signature. Needs with overrides
    or a pending assignment are worked out one by one; the rest stay arrays."""
    groups: dict[tuple[Any, Any], list[int]] = defaultdict(list)
    for p, signature in enumerate(map(_SIGNATURE, needs)):
        groups[signature].append(p)
    incumbents = defaultdict(set)
    for t in w.old:
        if t.incumbent:
            incumbents[t.need_id].add(t.incumbent[1])
    specials = np.array(
        sorted(pos[n] for n in {*w.overrides, *incumbents} if n in pos), np.int64
    )  # positions of the needs worked out one by one
    points = np.column_stack(lon_lat)
    codes: dict[uuid.UUID, int] = {}  # volunteer id → a code, in no particular order
    parts_need: list[np.ndarray] = []
    parts_vol: list[np.ndarray] = []
    live_after = w.now - LIVE_WINDOW
    for (skills, langs), group in groups.items():
        members = np.asarray(group, np.int64)
        ok = {v.id for v in w.volunteers.values() if v.capacity > 0 and qualifies(v, skills, langs)}
        if not ok:
            continue
        found = await _candidates(
            search,
            session,
            "volunteers",
            eligible=sorted(ok),
            points=points[members],
            k=K_VOLUNTEERS,
            max_m=MAX_M,
            live_after=live_after,
        )
        point, vol = found.point, found.coded(codes)
        special = np.flatnonzero(np.isin(members, specials)).tolist()
        if special:
            plain = ~np.isin(point, special)
            extra = [
                (i, v)
                for i in special
                for v in _special(w, needs[members[i]], ok, incumbents, found, point == i)
            ]
            more = np.array([i for i, _ in extra], np.int64)
            coded = np.array([codes.setdefault(v, len(codes)) for _, v in extra], np.int64)
            point, vol = np.concatenate([point[plain], more]), np.concatenate([vol[plain], coded])
            order = np.argsort(point, kind="stable")
            point, vol = point[order], vol[order]
        parts_need.append(members[point])
        parts_vol.append(vol)
    if not parts_need:
        ix.vols = []
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    nv_vol, ix.vols = _by_appearance(np.concatenate(parts_vol), list(codes))
    return np.concatenate(parts_need), nv_vol


@dataclass
class _Found:
    """Candidate ``r`` is ``table[rows[r]]``, for point ``point[r]`` (nearest first)."""

    point: np.ndarray  # position in the group
    rows: np.ndarray
    table: Any  # a sequence of ids

    def coded(self, codes: dict[uuid.UUID, int]) -> np.ndarray:
        """Each candidate's code in ``codes`` (new ids added): one look-up per id."""
        uniq, inverse = np.unique(self.rows, return_inverse=True)
        table = self.table
        mine = [codes.setdefault(table[r], len(codes)) for r in uniq.tolist()]
        return np.asarray(mine, np.int64)[inverse].reshape(-1)

    def ids(self, mask: np.ndarray) -> list[uuid.UUID]:
        return [self.table[r] for r in self.rows[mask].tolist()]


async def _candidates(search: Any, session: AsyncSession, kind: str, **kw: Any) -> _Found:
    """The candidates (``kind``: volunteers or depots) of each point, flat and grouped by
    point; from the search's arrays when it has them."""
    arrays = getattr(search, f"{kind[:-1]}_arrays", None)
    if arrays is not None:
        got = await arrays(session, **kw)
        return _Found(got.point.astype(np.int64), got.index.astype(np.int64), got.ids)
    lists = await getattr(search, kind)(session, **kw)
    point = np.repeat(np.arange(len(lists), dtype=np.int64), [len(c) for c in lists])
    flat = [c.id for cs in lists for c in cs]
    return _Found(point, np.arange(len(flat), dtype=np.int64), flat)


def _special(
    w: Loaded,
    n: NeedRow,
    ok: set[uuid.UUID],
    incumbents: dict[uuid.UUID, set[uuid.UUID]],
    found: _Found,
    mine: np.ndarray,
) -> list[uuid.UUID]:
    """A need's candidates under its overrides, its pending volunteer kept within reach."""
    o = w.overrides.get(n.id, _NO)
    ids = [c for c in found.ids(mine) if c not in o.forbid_vols]
    for v in incumbents[n.id] - set(ids) - o.forbid_vols:
        row = w.volunteers.get(v)
        if (
            v in ok
            and row
            and haversine_m(row.lon, row.lat, n.lon, n.lat) <= min(MAX_M, row.max_travel_m)
        ):
            ids.append(v)
    if o.pin_vol is not None:  # only the pin may serve; the others explain
        usable = o.pin_vol in ok and o.pin_vol not in o.forbid_vols
        ids = [o.pin_vol, *(c for c in ids if c != o.pin_vol)] if usable else []
    return ids


async def _stock(
    session: AsyncSession,
    w: Loaded,
    wanted: dict[uuid.UUID, dict[uuid.UUID, int]],
    search: Any,
    router: Any,
    pos: dict[uuid.UUID, int],
    ix: Index,
    columns: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> StockProblem:
    """Demand (of ``wanted``), supply and need–depot arcs (depot positions: ``ix.depots``,
    in order of first appearance); ``columns``: lon, lat and priority per need of
    ``ix.needs``."""
    lon, lat, priority = columns
    ix.items = sorted(set().union(*wanted.values()))
    ipos = {i: j for j, i in enumerate(ix.items)}
    groups: dict[frozenset[uuid.UUID], list[uuid.UUID]] = defaultdict(list)
    for n, d in wanted.items():
        groups[frozenset(d)].append(n)
    holding: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)  # item → depots
    for d, i in w.supply:
        holding[i].add(d)
    codes: dict[uuid.UUID, int] = {}  # depot id → a code, in no particular order
    parts_need: list[np.ndarray] = []
    parts_depot: list[np.ndarray] = []
    for items, group in groups.items():
        ok = sorted(set().union(*(holding[i] for i in items if i in holding)))
        if not ok:
            continue
        members = np.fromiter(map(pos.__getitem__, group), np.int64, len(group))
        found = await _candidates(search, session, "depots", eligible=ok, k=K_DEPOTS,
                                  max_m=MAX_M, points=np.column_stack((lon[members],
                                                                       lat[members])))  # fmt: skip
        point, depot = found.point, found.coded(codes)
        special = [p for p, n in enumerate(group) if _depot_rule(w.overrides.get(n, _NO))]
        if special:
            plain = ~np.isin(point, special)
            extra = [
                (p, d)
                for p in special
                for d in _depots(w.overrides[group[p]], set(ok), found.ids(point == p))
            ]
            more = np.array([p for p, _ in extra], np.int64)
            coded = np.array([codes.setdefault(d, len(codes)) for _, d in extra], np.int64)
            point = np.concatenate([point[plain], more])
            depot = np.concatenate([depot[plain], coded])
            order = np.argsort(point, kind="stable")
            point, depot = point[order], depot[order]
        parts_need.append(members[point])
        parts_depot.append(depot)
    an = np.concatenate(parts_need) if parts_need else np.zeros(0, np.int64)
    ad, ix.depots = _by_appearance(
        np.concatenate(parts_depot) if parts_depot else np.zeros(0, np.int64), list(codes)
    )
    dpos = {d: j for j, d in enumerate(ix.depots)}
    rows: list[int] = []
    cols: list[int] = []
    qty: list[int] = []
    for n, d in wanted.items():
        p = pos[n]
        for i, q in d.items():
            rows.append(p)
            cols.append(ipos[i])
            qty.append(q)
    demand = np.zeros((len(ix.needs), len(ix.items)), np.int64)
    demand[rows, cols] = qty
    supply = np.zeros((len(ix.depots), len(ix.items)), np.int64)
    for (d, i), q in w.supply.items():
        if d in dpos and i in ipos:
            supply[dpos[d], ipos[i]] = q
    dl = np.array([w.depots[d] for d in ix.depots], float).reshape(-1, 2)
    cost = router.travel_m(dl[ad, 0], dl[ad, 1], lon[an], lat[an]) if an.size else np.zeros(0)
    return StockProblem(
        need_priority=priority,
        demand=demand,
        supply=supply,
        arc_need=an,
        arc_depot=ad,
        arc_cost_m=cost,
    )


def _depot_rule(o: Overrides) -> bool:
    """Whether a need's overrides change its depots."""
    return o.pin_depot is not None or bool(o.forbid_depots)


def _depots(o: Overrides, ok: set[uuid.UUID], found: list[uuid.UUID]) -> list[uuid.UUID]:
    """A need's depots under its overrides: the pin alone if usable, else the nearest
    not forbidden."""
    if o.pin_depot is not None:
        return [o.pin_depot] if o.pin_depot in ok and o.pin_depot not in o.forbid_depots else []
    return [d for d in found if d not in o.forbid_depots]


def _by_appearance(coded: np.ndarray, id_of: list[uuid.UUID]) -> tuple[np.ndarray, list[uuid.UUID]]:
    """Codes renumbered in order of first appearance, and the ids in that order."""
    seen, first = np.unique(coded, return_index=True)
    by_appearance = seen[np.argsort(first)]
    rank = np.empty(len(id_of), np.int64)
    rank[by_appearance] = np.arange(by_appearance.size)
    return rank[coded], [id_of[c] for c in by_appearance.tolist()]
