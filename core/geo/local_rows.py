"""The rows the in-process candidate search indexes, cached per database and kept current.

A :class:`RowCache` holds every volunteer's (or depot's) id, home point, live point and
time, and reach, as numpy arrays. :meth:`RowCache.refresh` runs one query for the rows
changed since the previous refresh, and upserts them:

* SQLite (one writer at a time, so no transaction commits behind another's back): rows
  whose ``updated_at`` (or, for volunteers, ``live_at``) is at or after the start of the
  previous refresh (or the newest stamp seen, if later), less :data:`GRACE`. Every
  writer of a row stamps ``updated_at`` (a live position also ``live_at``) with
  :func:`core.clock.now`, so nothing moves unseen.
* PostgreSQL (a transaction may commit long after it stamped its rows): rows whose
  current version was written by a transaction the previous refresh's snapshot could
  not see (:mod:`.local_rows_pg`), and again any row last taken from the caller's own
  open transaction (it may have rolled back). Exact, whatever the clocks say — a
  restore writes every row anew, so it is seen too; one scan of the table's ``xmin``,
  no rows shipped but the changed ones.

A volunteer's roster columns (area, status, insurance, availability, slots) are kept
too, for :func:`core.incidents.match_volunteers.load_volunteers`; ``roster_version``
changes when one of them does. Each refresh also counts the table's rows, and everything
is read again when the count differs from the rows cached (a row deleted or rolled back,
or on SQLite one stamped too early to be seen) — so the cached rows are exactly the
table's — and on SQLite when the clock or the newest stamp went back (a rolled-back or
restored database). Eligible ids never seen are read by id.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Text, cast, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.db import READONLY
from core.geo import local_rows_pg as pg
from core.geo.point_index import id_rank
from core.registry.depots.models import Depot
from core.registry.volunteers.models import Volunteer

GRACE = timedelta(seconds=5)
NEVER = np.iinfo(np.int64).min
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CACHES: dict[tuple[str, str], RowCache] = {}
_ROSTER_VERSIONS = itertools.count(1)  # never reused, even after a cache is cleared


def micros(at: datetime | None) -> int:
    """Microseconds since 1970 (exact, comparable); ``None`` → :data:`NEVER`."""
    return NEVER if at is None else (at - _EPOCH) // timedelta(microseconds=1)


def database_key(session: AsyncSession) -> str:
    """Which database the session talks to, as a key for per-database caches."""
    engine = getattr(session.get_bind(), "engine", None) or session.get_bind()
    url = engine.url
    key = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        key += f"#{id(engine)}"  # every in-memory database is another database
    return key


def cache_for(session: AsyncSession, kind: str) -> RowCache:
    """The cache of ``kind`` ("volunteer" or "depot") for the session's database."""
    key = database_key(session)
    cache = _CACHES.get((key, kind))
    if cache is None:
        cache = _CACHES[(key, kind)] = RowCache(kind)
    return cache


class RowCache:
    """Arrays over every row seen: ``lon``/``lat`` (home), ``live_*``, ``limit_m``."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.model: Any = Volunteer if kind == "volunteer" else Depot
        self._clear()

    def _clear(self) -> None:
        self.ids: list[uuid.UUID] = []
        self.pos: dict[int, int] = {}  # uuid.int → row
        self.lon, self.lat, self.limit_m = np.empty(0), np.empty(0), np.empty(0)
        self.live_lon, self.live_lat = np.empty(0), np.empty(0)
        self.live_at = np.empty(0, dtype=np.int64)
        self.roster: list[tuple[Any, ...]] = []  # volunteers: (area_path, status, insured until,
        # availability as text, max_active_tasks) per row
        self.roster_version = next(_ROSTER_VERSIONS)
        self.seen_updated: datetime | None = None
        self.seen_live: datetime | None = None
        self.read_at: datetime | None = None
        self.snapshot: tuple[int, str] | None = None  # PostgreSQL: see local_rows_pg
        self.recheck: list[uuid.UUID] = []  # PostgreSQL: rows taken from an open transaction
        self._fresh_in: Any = None  # the read-only transaction last refreshed in
        self.version = 0
        self.trees: dict[tuple[int, bytes, bytes], Any] = {}  # see candidates_local
        self._rank: np.ndarray | None = None

    @property
    def rank(self) -> np.ndarray:
        """Each row's place in id order (ties by id)."""
        if self._rank is None:
            self._rank = id_rank(self.ids)
        return self._rank

    def _columns(self) -> list[Any]:
        m = self.model
        if self.kind == "volunteer":
            roster = [m.area_path, m.status, m.insurance_valid_until,
                      cast(m.availability, Text), m.max_active_tasks]  # fmt: skip
            return [m.id, m.lon, m.lat, m.live_lon, m.live_lat, m.live_at, m.max_travel_km, *roster]
        return [m.id, m.lon, m.lat]

    def _changed(self) -> ColumnElement[bool]:
        """SQLite: rows stamped since the last refresh began (less :data:`GRACE`) or the
        newest stamp seen."""
        m = self.model
        if self.seen_updated is None or self.read_at is None:
            return true()
        changed = m.updated_at >= max(self.seen_updated, self.read_at) - GRACE
        if self.kind == "volunteer":
            live = m.live_at >= max(self.seen_live or self.read_at, self.read_at) - GRACE
            changed = or_(changed, live)
        return changed

    async def rows_for(self, session: AsyncSession, eligible: Sequence[uuid.UUID]) -> np.ndarray:
        """The sorted distinct row numbers of the ``eligible`` ids that exist (after a
        :meth:`refresh` in the same transaction)."""
        keys = [u.int for u in eligible]
        found = np.fromiter((self.pos.get(i, -1) for i in keys), dtype=np.int64, count=len(keys))
        if (found < 0).any():  # committed late, or cached before a rollback: read by id
            missing = list({uuid.UUID(int=keys[i]) for i in np.flatnonzero(found < 0).tolist()})
            for start in range(0, len(missing), 5000):
                chunk = missing[start : start + 5000]
                stmt = select(*self._columns()).where(self.model.id.in_(chunk))
                self._upsert((await session.execute(stmt)).all())
            found = np.fromiter((self.pos.get(i, -1) for i in keys), dtype=np.int64)
        return np.unique(found[found >= 0])

    async def refresh(self, session: AsyncSession) -> None:
        """Bring the arrays up to date with what ``session`` sees (one query). Once per
        read-only transaction: nothing it sees changes (a matching batch asks for its
        roster and then searches in one)."""
        tx = session.sync_session.get_transaction()
        if tx is not None and tx is self._fresh_in:
            return
        if session.get_bind().dialect.name == "postgresql":
            await self._refresh_by_xid(session)
        else:
            await self._refresh_by_stamp(session)
        readonly = session.get_bind().get_execution_options().get(READONLY, False)
        self._fresh_in = session.sync_session.get_transaction() if readonly else None

    async def _refresh_by_stamp(self, session: AsyncSession) -> None:
        m = self.model
        newest = [func.count().label("n"), func.max(m.updated_at).label("mu")]
        if self.kind == "volunteer":
            newest.append(func.max(m.live_at).label("ml"))
        agg = select(*newest).subquery()
        stmt = select(*agg.c, *self._columns()).select_from(
            agg.outerjoin(m.__table__, self._changed())
        )
        read_at = clock.now()
        rows = (await session.execute(stmt)).all()
        n, mu = rows[0][0], rows[0][1]
        ml = rows[0][2] if self.kind == "volunteer" else None
        went_back = self.read_at is not None and read_at < self.read_at - GRACE  # the clock
        if went_back or _older(mu, self.seen_updated) or _older(ml, self.seen_live):
            self._clear()  # the database or the clock went back in time: read it all again
            return await self._refresh_by_stamp(session)
        width = len(newest)
        self._upsert([r[width:] for r in rows if r[width] is not None])
        self.seen_updated, self.seen_live, self.read_at = mu, ml, read_at
        if n != len(self.ids):  # a row deleted, or one stamped too early to be seen
            self._clear()
            await self._refresh_by_stamp(session)

    async def _refresh_by_xid(self, session: AsyncSession) -> None:
        """PostgreSQL: the rows the previous refresh's snapshot could not see, the rows
        it took from the caller's own transaction (committed since, or rolled back), and
        the statement's snapshot for the next time."""
        m = self.model
        table = m.__tablename__
        count = select(func.count()).select_from(m.__table__).scalar_subquery()
        snap = select(pg.statement_snapshot().label("snap"), count.label("n")).subquery()
        changed = true()
        if self.snapshot is not None:
            changed = pg.changed_since(table, *self.snapshot)
            if self.recheck:
                changed = or_(changed, m.id.in_(self.recheck))
        stmt = select(snap.c.snap, snap.c.n, *self._columns(), pg.written_here(table))
        stmt = stmt.select_from(snap.outerjoin(m.__table__, changed))
        rows = (await session.execute(stmt)).all()
        found = [r for r in rows if r[2] is not None]
        self._upsert([r[2:-1] for r in found])
        self.recheck = [r[2] for r in found if r[-1]]
        self.snapshot = pg.parse_snapshot(rows[0][0])
        if rows[0][1] != len(self.ids):  # a row was deleted (or rolled back): read all again
            self._clear()
            await self._refresh_by_xid(session)

    def _upsert(self, rows: Sequence[Any]) -> None:
        if not rows:
            return
        for r in rows:
            if r[0].int not in self.pos:
                self.pos[r[0].int] = len(self.ids)
                self.ids.append(r[0])
        grow = len(self.ids) - len(self.lon)
        if grow:
            self.lon, self.lat, self.limit_m, self.live_lon, self.live_lat = (
                np.concatenate([a, np.full(grow, np.nan)])
                for a in (self.lon, self.lat, self.limit_m, self.live_lon, self.live_lat)
            )
            self.live_at = np.concatenate([self.live_at, np.full(grow, NEVER, dtype=np.int64)])
            self._rank = None
        at = np.fromiter((self.pos[r[0].int] for r in rows), dtype=np.int64, count=len(rows))
        self.lon[at] = [r[1] for r in rows]
        self.lat[at] = [r[2] for r in rows]
        if self.kind == "volunteer":
            nan = float("nan")
            self.live_lon[at] = [nan if r[3] is None else r[3] for r in rows]
            self.live_lat[at] = [nan if r[4] is None else r[4] for r in rows]
            self.live_at[at] = [micros(r[5]) for r in rows]
            self.limit_m[at] = [r[6] * 1000.0 for r in rows]
            self._upsert_roster(at.tolist(), rows)
        self.version += 1

    def _upsert_roster(self, at: list[int], rows: Sequence[Any]) -> None:
        grow = len(self.ids) - len(self.roster)
        self.roster += [()] * grow
        changed = grow > 0
        for i, r in zip(at, rows, strict=True):
            entry = tuple(r[7:12])
            if self.roster[i] != entry:
                self.roster[i], changed = entry, True
        if changed:
            self.roster_version = next(_ROSTER_VERSIONS)


def _older(newest: datetime | None, seen: datetime | None) -> bool:
    return seen is not None and (newest is None or newest < seen)
