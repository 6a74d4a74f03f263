"""Alembic environment: runs on a connection handed over by :mod:`core.migrate`."""

from __future__ import annotations

from alembic import context

import core.models  # noqa: F401  (registers every table on Base.metadata)
import plans.chain_models
import plans.models  # noqa: F401
from core.db import Base

target_metadata = Base.metadata


def _include_object(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    # PostGIS' own table and the generated geog columns are not in the ORM metadata.
    if type_ == "table" and name in {"spatial_ref_sys"}:
        return False
    return not (type_ == "column" and name in {"geog", "live_geog"})


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "use `huzhu db upgrade`; migrations run on a connection core.migrate opens"
        )
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        include_object=_include_object,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
