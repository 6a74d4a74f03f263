"""Engines, sessions and the column types shared by every model.

One :class:`Database` wraps an async engine for either backend:

* SQLite (embedded default): WAL, foreign keys on, a busy timeout, and
  ``BEGIN IMMEDIATE`` for every writing transaction, so a read-then-write
  cannot interleave with another writer. Sessions from :attr:`Database.reader`
  begin deferred and never take the write lock.
* PostgreSQL + PostGIS: geometry columns are real PostGIS types with GiST
  indexes made by the migrations.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import JSON, BigInteger, DateTime, Integer, LargeBinary, MetaData, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect, Row, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql import Executable
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator, UserDefinedType

from core import db_uuid
from core.db_inloop import in_loop_creator
from core.geo.distance import haversine_m

if TYPE_CHECKING:
    from core.config import Settings

SRID = 4326

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base for every ORM model."""

    metadata = MetaData(naming_convention=NAMING)


T = TypeVar("T")
IN_CHUNK = 5000
"""Ids per ``IN (…)`` list: SQLite and asyncpg cap the bind parameters of a statement."""


def chunks(values: Sequence[T], size: int = IN_CHUNK) -> list[Sequence[T]]:
    """``values`` in slices of at most ``size``, one ``IN`` list each, in order."""
    return [values[i : i + size] for i in range(0, len(values), size)]


async def rows_of(session: AsyncSession, stmt: Executable) -> Sequence[Row[Any]]:
    """The rows of a column ``select`` run on the session's connection (Core), without the
    ORM's per-row loading — less CPU for the thousands of rows a matching batch reads.
    Pending ORM changes are flushed first, as ``session.execute`` would."""
    if session.new or session.dirty or session.deleted:
        await session.flush()
    return (await (await session.connection()).execute(stmt)).all()


READONLY = "huzhu_readonly"
"""The execution option of :attr:`Database.reader` sessions (``BEGIN``, not ``IMMEDIATE``)."""

BigIntPK = BigInteger().with_variant(Integer, "sqlite")
"""A BIGINT key that still auto-increments on SQLite (DESIGN.md Known traps)."""

JsonType = JSON().with_variant(JSONB(), "postgresql")


class UtcDateTime(TypeDecorator[datetime]):
    """``timestamptz`` on PostgreSQL; on SQLite an ISO string. Always aware UTC in Python."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: Huzhu stores only timezone-aware UTC times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class _PostgisType(UserDefinedType[Any]):
    cache_ok = True

    def __init__(self, spec: str) -> None:
        self.spec = spec

    def get_col_spec(self, **_: Any) -> str:
        return self.spec


class _FromWKB(FunctionElement[Any]):
    inherit_cache = True


class _ShapeResult(TypeDecorator[BaseGeometry]):
    """Result type of :class:`_AsWKB`: WKB bytes back to shapely."""

    impl = LargeBinary
    cache_ok = True

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> BaseGeometry | None:
        return None if value is None else shapely.from_wkb(bytes(value))


class _AsWKB(FunctionElement[Any]):
    inherit_cache = True
    type = _ShapeResult()


@compiles(_FromWKB)
@compiles(_AsWKB)
def _passthrough(element: FunctionElement[Any], compiler: Any, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(_FromWKB, "postgresql")
def _pg_from_wkb(element: FunctionElement[Any], compiler: Any, **kw: Any) -> str:
    return f"ST_GeomFromWKB({compiler.process(element.clauses, **kw)}, {SRID})"


@compiles(_AsWKB, "postgresql")
def _pg_as_wkb(element: FunctionElement[Any], compiler: Any, **kw: Any) -> str:
    return f"ST_AsBinary({compiler.process(element.clauses, **kw)})"


class GeoMultiPolygon(TypeDecorator[BaseGeometry]):
    """A WGS-84 MultiPolygon: ``geometry(MultiPolygon, 4326)`` on PostGIS, WKB on SQLite.

    Python values are shapely geometries; give each such column bounding-box
    columns too (see :class:`core.geo.shapes.BoundaryMixin`).
    """

    impl = LargeBinary
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(_PostgisType(f"geometry(MultiPolygon,{SRID})"))
        return dialect.type_descriptor(LargeBinary())

    def bind_expression(self, bindvalue: Any) -> Any:
        return _FromWKB(bindvalue)

    def column_expression(self, column: Any) -> Any:
        return _AsWKB(column)

    def process_bind_param(self, value: BaseGeometry | None, dialect: Dialect) -> bytes | None:
        return None if value is None else shapely.to_wkb(value)

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> BaseGeometry | None:
        return None if value is None else shapely.from_wkb(bytes(value))


def postgis_point_ddl(table: str) -> list[str]:
    """PostgreSQL DDL giving ``table`` its ``geog geography(Point, 4326)`` column.

    The column is generated from the table's ``lon``/``lat`` columns, so the two
    can never disagree and bulk inserts need no extra step; a GiST index serves
    KNN (``<->``) and ``ST_DWithin`` queries. SQLite keeps only ``lon``/``lat``
    and answers geo queries through the in-process index.
    """
    return [
        f"ALTER TABLE {table} ADD COLUMN geog geography(Point,{SRID}) "
        f"GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), {SRID})::geography) STORED",
        f"CREATE INDEX ix_{table}_geog ON {table} USING gist (geog)",
    ]


class Database:
    """An async engine for one database, with writing and read-only session factories."""

    def __init__(
        self, url: str, *, busy_timeout_ms: int = 5000, echo: bool = False,
        pool_size: int | None = None, cache_mb: int = 64, in_loop: bool = False,
        scratch: bool = False,
    ) -> None:  # fmt: skip
        """``pool_size``: at most that many connections (no overflow); default SQLAlchemy's.
        ``cache_mb``: SQLite's page cache per connection (its default, 2 MiB, makes a county
        drill re-read the same index pages from the OS every batch: 12 % slower).
        ``in_loop``: SQLite runs on the event loop's thread (:mod:`core.db_inloop`; only
        for a database this process owns alone, such as an isolated drill's).
        ``scratch``: a database that running again rebuilds (an isolated drill's): commits
        do not wait for the disk (SQLite ``synchronous=OFF``, PostgreSQL
        ``synchronous_commit=off``). A crash of the process loses nothing committed; one
        of the machine may lose the last commits and, on SQLite, the file."""
        self.url = make_url(url)
        kwargs: dict[str, Any] = {"echo": echo}
        if pool_size is not None:
            kwargs.update(pool_size=pool_size, max_overflow=0)
        if self.is_sqlite:
            database = self.url.database or ""
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            connect_args = {"timeout": busy_timeout_ms / 1000}
            if in_loop:
                kwargs["async_creator"] = in_loop_creator(self.url, connect_args)
            else:
                kwargs["connect_args"] = connect_args
        else:
            kwargs["pool_pre_ping"] = True
            if scratch:
                kwargs["connect_args"] = {"server_settings": {"synchronous_commit": "off"}}
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        if self.is_sqlite:
            synchronous = "OFF" if scratch else "NORMAL"
            _install_sqlite_hooks(self.engine, busy_timeout_ms, cache_mb, synchronous)
            db_uuid.install(self.engine.dialect)
        # SQLite's busy handler is not first-come-first-served: under load one writer can
        # keep losing to newer ones and wait past the busy timeout ("database is locked").
        # The app runs one process on SQLite, so its writers take turns here, in order.
        self._write_gate: asyncio.Lock | None = asyncio.Lock() if self.is_sqlite else None
        self.writer = async_sessionmaker(self.engine, expire_on_commit=False)
        self.reader = async_sessionmaker(
            self.engine.execution_options(**{READONLY: True}), expire_on_commit=False
        )

    @classmethod
    def configured(cls, settings: Settings) -> Database:
        """The database ``settings`` (:class:`core.config.Settings`) name, as configured."""
        return cls(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms,
                   cache_mb=settings.sqlite_cache_mb)  # fmt: skip

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def dialect(self) -> str:
        return self.url.get_backend_name()

    @contextlib.asynccontextmanager
    async def write_turn(self) -> AsyncIterator[None]:
        """Hold this process's turn to write (SQLite, first come first served; PostgreSQL:
        nothing). Not re-entrant: never open a writing transaction while holding it."""
        if self._write_gate is None:
            yield
            return
        async with self._write_gate:
            yield

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A writing session committed on success and rolled back on error."""
        async with self.write_turn(), self.writer() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def dispose(self) -> None:
        await self.engine.dispose()


def _install_sqlite_hooks(
    engine: AsyncEngine, busy_timeout_ms: int, cache_mb: int, synchronous: str
) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite would delay it).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute(f"PRAGMA cache_size={-1024 * int(cache_mb)}")  # negative: KiB
        cursor.close()
        dbapi_connection.create_function("huzhu_distance_m", 4, haversine_m, deterministic=True)

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        readonly = conn.get_execution_options().get(READONLY, False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")
