"""From a loaded batch to the solver's arrays: candidate search and overrides.

* Volunteers: the needs are grouped by their (skills, languages) signature and each group
  runs one candidate search (:func:`core.geo.candidates.candidate_search`) with that
  group's qualifying volunteers (:func:`~core.incidents.match_volunteers.qualifies`, a
  free slot): the :data:`K_VOLUNTEERS` nearest within :data:`MAX_M` and their own travel
  limit, positions live when shared in the last 30 minutes.
* Depots: needs with remaining demand are grouped by the set of items they still want;
  each group searches the :data:`K_DEPOTS` nearest depots (within :data:`MAX_M`) holding
  free stock of one of those items. Stock arc cost: Router travel depot → need.
* Overrides: forbidden volunteers and depots lose their arcs; a pinned volunteer is the
  only volunteer the need's tasks may go to (added whatever their distance, if they
  qualify; otherwise the need gets no volunteer), a pinned depot the only depot of its
  stock (likewise). A pending assignment's volunteer keeps an arc to its task while they
  qualify and are within reach, so hysteresis holds even outside the k nearest.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from core.geo.distance import haversine_m
from core.incidents.match_batch import Loaded, NeedRow, Overrides
from core.incidents.match_solve import SolveInput
from core.incidents.match_volunteers import LIVE_WINDOW, qualifies
from core.matching.problem import StockProblem

K_VOLUNTEERS = 20
K_DEPOTS = 10
MAX_M = 50_000.0
_NO = Overrides()


@dataclass
class Index:
    """Positions ↔ ids of one batch's arrays."""

    needs: list[uuid.UUID] = field(default_factory=list)
    depots: list[uuid.UUID] = field(default_factory=list)
    items: list[uuid.UUID] = field(default_factory=list)
    vols: list[uuid.UUID] = field(default_factory=list)
    candidates: dict[int, int] = field(default_factory=dict)  # need → volunteers considered


async def _found(search: Any, session: AsyncSession, kind: str, **kw: Any) -> list[list[Any]]:
    """Per point, (id, great-circle metres) of each candidate, nearest first."""
    arrays = getattr(search, f"{kind[:-1]}_arrays", None)
    if arrays is None:
        lists = await getattr(search, kind)(session, **kw)
        return [[(c.id, c.distance_m) for c in cs] for cs in lists]
    got = await arrays(session, **kw)
    out: list[list[Any]] = [[] for _ in range(got.n_points)]
    ids = got.ids
    for p, i, d in zip(
        got.point.tolist(), got.index.tolist(), got.distance_m.tolist(), strict=True
    ):
        out[p].append((ids[i], d))
    return out


async def build(
    session: AsyncSession, w: Loaded, search: Any, router: Any
) -> tuple[SolveInput, Index]:
    """The :class:`SolveInput` of batch ``w`` and the ids behind its positions."""
    wanted = {n: {i: q for i, q in d.items() if q > 0} for n, d in w.demand.items()}
    wanted = {n: d for n, d in wanted.items() if d}
    visits = [
        n.id
        for n in w.needs.values()
        if n.status == "open" and not n.has_items and n.id not in w.with_tasks
    ]
    ix = Index()
    ix.needs = list(dict.fromkeys([*(t.need_id for t in w.old), *wanted, *visits]))
    pos = {n: i for i, n in enumerate(ix.needs)}
    needs = [w.needs[n] for n in ix.needs]
    nv = await _volunteer_arcs(session, w, search, needs, ix)
    vpos = {v: i for i, v in enumerate(ix.vols)}
    stock = await _stock(session, w, search, router, wanted, pos, ix)
    vols = [w.volunteers[v] for v in ix.vols]
    pin = [vpos.get(w.overrides.get(n.id, _NO).pin_vol, -1) for n in needs]  # type: ignore[arg-type]
    known = set(ix.depots)  # re-entering tasks' depots come after the stock problem's
    ix.depots += list(dict.fromkeys(t.depot_id for t in w.old if t.depot_id not in known | {None}))
    dpos = {d: i for i, d in enumerate(ix.depots)}
    old_depot = [dpos[t.depot_id] if t.depot_id else -1 for t in w.old]
    inp = SolveInput(
        stock=stock,
        need_lon=np.array([n.lon for n in needs], float),
        need_lat=np.array([n.lat for n in needs], float),
        need_priority=np.array([n.priority for n in needs], float),
        need_neighbours=np.array([n.neighbours_first for n in needs], bool),
        need_pin=np.array(pin, np.int64),
        depot_lon=np.array([w.depots[d][0] for d in ix.depots], float),
        depot_lat=np.array([w.depots[d][1] for d in ix.depots], float),
        vol_lon=np.array([v.lon for v in vols], float),
        vol_lat=np.array([v.lat for v in vols], float),
        vol_home_lon=np.array([v.home_lon for v in vols], float),
        vol_home_lat=np.array([v.home_lat for v in vols], float),
        vol_capacity=np.array([max(0, v.capacity) for v in vols], np.int64),
        nv_need=np.array([pos[n] for n, _ in nv], np.int64),
        nv_vol=np.array([vpos[v] for _, v in nv], np.int64),
        old_need=np.array([pos[t.need_id] for t in w.old], np.int64),
        old_depot=np.array(old_depot, np.int64),
        old_incumbent=np.array(
            [vpos.get(t.incumbent[1], -1) if t.incumbent else -1 for t in w.old], np.int64
        ),
        visit_need=np.array([pos[n] for n in visits], np.int64),
        router=router,
    )
    return inp, ix


async def _volunteer_arcs(
    session: AsyncSession, w: Loaded, search: Any, needs: list[NeedRow], ix: Index
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(need id, volunteer id) candidate pairs, one search per signature."""
    groups: dict[tuple[Any, Any], list[NeedRow]] = defaultdict(list)
    for n in needs:
        groups[(n.skills, n.languages)].append(n)
    incumbents = defaultdict(set)
    for t in w.old:
        if t.incumbent:
            incumbents[t.need_id].add(t.incumbent[1])
    pairs: list[tuple[uuid.UUID, uuid.UUID]] = []
    live_after = w.now - LIVE_WINDOW
    for (skills, langs), group in groups.items():
        ok = {v.id for v in w.volunteers.values() if v.capacity > 0 and qualifies(v, skills, langs)}
        found: list[list[Any]] = [[] for _ in group]
        if ok:
            found = await _found(
                search,
                session,
                "volunteers",
                eligible=sorted(ok),
                points=[(n.lon, n.lat) for n in group],
                k=K_VOLUNTEERS,
                max_m=MAX_M,
                live_after=live_after,
            )
        for n, cands in zip(group, found, strict=True):
            o = w.overrides.get(n.id, _NO)
            ids = [c for c, _ in cands if c not in o.forbid_vols]
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
            pairs += [(n.id, v) for v in ids]
    ix.vols = list(dict.fromkeys(v for _, v in pairs))
    return pairs


async def _stock(
    session: AsyncSession,
    w: Loaded,
    search: Any,
    router: Any,
    wanted: dict[uuid.UUID, dict[uuid.UUID, int]],
    pos: dict[uuid.UUID, int],
    ix: Index,
) -> StockProblem:
    """Demand, supply and need–depot arcs (depot positions: ``ix.depots``)."""
    ix.items = sorted({i for d in wanted.values() for i in d})
    ipos = {i: j for j, i in enumerate(ix.items)}
    groups: dict[frozenset[uuid.UUID], list[uuid.UUID]] = defaultdict(list)
    for n, d in wanted.items():
        groups[frozenset(d)].append(n)
    arcs: list[tuple[uuid.UUID, uuid.UUID]] = []
    for items, group in groups.items():
        ok = sorted({d for (d, i) in w.supply if i in items})
        found: list[list[Any]] = [[] for _ in group]
        if ok:
            points = [(w.needs[n].lon, w.needs[n].lat) for n in group]
            found = await _found(
                search, session, "depots", points=points, eligible=ok, k=K_DEPOTS, max_m=MAX_M
            )
        for n, cands in zip(group, found, strict=True):
            o = w.overrides.get(n, _NO)
            ids = [d for d, _ in cands if d not in o.forbid_depots]
            if o.pin_depot is not None:
                usable = o.pin_depot in ok and o.pin_depot not in o.forbid_depots
                ids = [o.pin_depot] if usable else []
            arcs += [(n, d) for d in ids]
    ix.depots = list(dict.fromkeys(d for _, d in arcs))
    dpos = {d: j for j, d in enumerate(ix.depots)}
    demand = np.zeros((len(ix.needs), len(ix.items)), np.int64)
    for n, d in wanted.items():
        for i, q in d.items():
            demand[pos[n], ipos[i]] = q
    supply = np.zeros((len(ix.depots), len(ix.items)), np.int64)
    for (d, i), q in w.supply.items():
        if d in dpos and i in ipos:
            supply[dpos[d], ipos[i]] = q
    an = np.array([pos[n] for n, _ in arcs], np.int64)
    ad = np.array([dpos[d] for _, d in arcs], np.int64)
    dl = np.array([w.depots[d] for d in ix.depots], float).reshape(-1, 2)
    nl = np.array([(w.needs[n].lon, w.needs[n].lat) for n in ix.needs], float).reshape(-1, 2)
    cost = router.travel_m(dl[ad, 0], dl[ad, 1], nl[an, 0], nl[an, 1]) if arcs else np.zeros(0)
    priority = np.array([w.needs[n].priority for n in ix.needs], float)
    return StockProblem(
        need_priority=priority,
        demand=demand,
        supply=supply,
        arc_need=an,
        arc_depot=ad,
        arc_cost_m=cost,
    )
