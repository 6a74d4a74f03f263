"""Shared fixtures: every storage test runs on SQLite and on PostgreSQL + PostGIS.

* ``database`` — a migrated :class:`Database`, parametrized over both engines.
  PostgreSQL comes from ``HUZHU_TEST_DATABASE_URL`` (``postgresql+asyncpg://…``);
  without it those cases skip with the reason, or fail when
  ``HUZHU_REQUIRE_SERVICES=1`` (CI).
* ``session`` — rolled back after each test (service tests).
* ``committed`` — the real engine; every table is emptied after the test (tests that
  span connections or processes).
* ``api`` — an httpx client on the app, sharing the test's ``session``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

import plans.chain_models
import plans.models  # noqa: F401  (truncate_all and the parity test see plans' tables)
from core.app import create_app
from core.auth import service as auth_service
from core.auth.roles import Role
from core.config import Settings
from core.db import Base, Database
from core.gc_tuning import tune_gc
from core.http.deps import get_session
from core.migrate import upgrade, wipe_postgres

REQUIRE_SERVICES = os.environ.get("HUZHU_REQUIRE_SERVICES") == "1"
KEEP_TABLES = {"huzhu_meta", "alembic_version", "spatial_ref_sys"}


def service_url(variable: str, what: str) -> str:
    """The URL in ``variable``, or skip (fail under HUZHU_REQUIRE_SERVICES=1)."""
    url = os.environ.get(variable)
    if url:
        return url
    message = f"{what} not available: set {variable} to run these tests"
    if REQUIRE_SERVICES:
        pytest.fail(message + " (HUZHU_REQUIRE_SERVICES=1)")
    pytest.skip(message)


def pytest_configure(config: pytest.Config) -> None:
    tune_gc(Settings(_env_file=None))  # the suite runs the app's code: collect as the app does
    config.addinivalue_line(
        "markers", "only_engine(name): run a storage test only on that engine (others deselected)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect (not skip) engine-specific tests on the other engine."""
    keep, drop = [], []
    for item in items:
        marker = item.get_closest_marker("only_engine")
        params = getattr(getattr(item, "callspec", None), "params", {})
        engine = params.get("database")
        (drop if marker and engine and engine not in marker.args else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


async def open_database(kind: str, tmp_dir: str) -> Database:
    """A fresh, migrated database of ``kind`` ("sqlite" or "postgresql")."""
    if kind == "sqlite":
        db = Database(f"sqlite+aiosqlite:///{tmp_dir}/huzhu-test.db")
    else:
        db = Database(service_url("HUZHU_TEST_DATABASE_URL", "PostgreSQL + PostGIS"))
        await wipe_postgres(db)
    await upgrade(db)
    return db


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
async def database(request: pytest.FixtureRequest, tmp_path_factory) -> AsyncIterator[Database]:
    db = await open_database(request.param, str(tmp_path_factory.mktemp(request.param)))
    yield db
    await db.dispose()


@pytest.fixture
async def session(database: Database) -> AsyncIterator[AsyncSession]:
    async with database.engine.connect() as conn:
        outer = await conn.begin()
        s = AsyncSession(
            bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield s
        finally:
            await s.close()
            await outer.rollback()


async def truncate_all(db: Database) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name not in KEEP_TABLES]
    async with db.engine.begin() as conn:
        if db.is_sqlite:
            await conn.execute(text("PRAGMA defer_foreign_keys = ON"))  # household ↔ person
            # The ledgers' append-only triggers stand aside inside this transaction only.
            await conn.execute(text("INSERT INTO huzhu_meta VALUES ('maintenance', 'truncate')"))
            for name in tables:
                await conn.execute(text(f"DELETE FROM {name}"))
            await conn.execute(text("DELETE FROM huzhu_meta WHERE key = 'maintenance'"))
        else:
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


@pytest.fixture
async def committed(database: Database) -> AsyncIterator[Database]:
    await truncate_all(database)
    try:
        yield database
    finally:
        await truncate_all(database)


@pytest.fixture
def settings() -> Settings:
    return Settings(_env_file=None, database_url="sqlite+aiosqlite:///unused.db")


@pytest.fixture
async def api(
    database: Database, session: AsyncSession, settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, database=database, background=False)

    async def shared_session() -> AsyncIterator[AsyncSession]:
        # Each request is a savepoint: a failed request undoes only its own writes.
        request_tx = await session.begin_nested()
        try:
            yield session
            await request_tx.commit()
        except BaseException:
            await request_tx.rollback()
            raise

    app.dependency_overrides[get_session] = shared_session
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def bearer_for(
    session: AsyncSession,
    *,
    role: Role,
    area_code: str | None,
    username: str,
    can_read_personal: bool = False,
) -> dict[str, str]:
    """Create a user and return the Authorization header of a fresh token."""
    user = await auth_service.create_user(
        session=session,
        username=username,
        display_name=username,
        role=role,
        area_code=area_code,
        can_read_personal=can_read_personal,
    )
    issued = await auth_service.issue_token(session=session, user=user, ttl=timedelta(hours=1))
    return {"Authorization": f"Bearer {issued.token}"}


async def read_events_eventually(
    db: Database,
    *,
    at_least: int,
    after: int = 0,
    streams: list[str] | None = None,
    prefixes: list[str] | None = None,
) -> list:
    """Events after ``after`` (on ``streams``) once ``at_least`` are handed out (waits up
    to 10 s; ``at_least=0`` reads once).

    Committed events are visible at once on both engines (no xmin horizon); the wait
    only absorbs work that commits in the background.
    """
    import asyncio

    from core.events.outbox import read_after

    deadline = asyncio.get_running_loop().time() + 10
    while True:
        async with db.reader() as s:
            events = await read_after(s, after, streams=streams, prefixes=prefixes)
        if len(events) >= at_least or asyncio.get_running_loop().time() > deadline:
            return events
        await asyncio.sleep(0.05)
