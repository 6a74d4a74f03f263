"""Run Alembic migrations on either engine (sync edge over an async engine)."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from core.db import Database


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "core:migrations")
    return cfg


async def upgrade(db: Database, revision: str = "head") -> None:
    """Bring ``db`` up to ``revision``."""
    async with db.engine.begin() as conn:
        await conn.run_sync(_run, "upgrade", revision)


async def downgrade(db: Database, revision: str) -> None:
    async with db.engine.begin() as conn:
        await conn.run_sync(_run, "downgrade", revision)


async def current_revision(db: Database) -> str | None:
    async with db.engine.connect() as conn:
        return await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _run(sync_conn: Any, action: str, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = sync_conn
    getattr(command, action)(cfg, revision)


async def wipe_postgres(db: Database) -> None:
    """Drop every table in ``public`` except PostGIS' own (tests and benchmarks only)."""
    from sqlalchemy import text

    async with db.engine.begin() as conn:
        await conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        await conn.execute(
            text(
                "DO $$ DECLARE r record; BEGIN FOR r IN SELECT tablename FROM pg_tables "
                "WHERE schemaname = 'public' AND tablename <> 'spatial_ref_sys' LOOP "
                "EXECUTE 'DROP TABLE IF EXISTS public.' || quote_ident(r.tablename) || ' CASCADE'; "
                "END LOOP; END $$"
            )
        )
