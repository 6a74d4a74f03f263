"""Migrations and models agree, and migrations go down and up again, on both engines."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import core.models  # noqa: F401
import plans.chain_models
import plans.models  # noqa: F401
from core.db import Base, Database
from core.migrate import current_revision, downgrade, head_revision, upgrade

# On PostGIS the migrations add what the ORM does not model: generated geography
# columns and GiST indexes. Nothing else may differ.
POSTGIS_EXTRAS = {"geog", "ix_area_boundary", "ix_grid_boundary", "ix_incident_boundary"}


def _describe(diff) -> set[str]:
    out = set()
    for entry in diff:
        kind = entry[0]
        if kind == "remove_table" and entry[1].name == "spatial_ref_sys":
            continue
        if kind == "remove_index":
            out.add(entry[1].name)
        elif kind == "remove_column":
            out.add(entry[3].name)
        else:
            out.add(repr(entry))
    return out


@pytest.mark.filterwarnings("ignore:Did not recognize type:sqlalchemy.exc.SAWarning")
async def test_models_match_migrations(database: Database) -> None:
    async with database.engine.connect() as conn:
        diff = await conn.run_sync(
            lambda c: compare_metadata(
                MigrationContext.configure(c, opts={"compare_type": True}), Base.metadata
            )
        )
    leftovers = {d for d in _describe(diff) if not d.endswith("_geog")} - POSTGIS_EXTRAS
    if database.is_sqlite:
        assert _describe(diff) == set()
    assert leftovers == set()


async def test_down_to_base_and_up_again(database: Database) -> None:
    await downgrade(database, "base")
    await upgrade(database)
    assert await current_revision(database) == head_revision()
