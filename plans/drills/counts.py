"""Row counts of every table: what a drill wrote is the difference of two counts."""

from __future__ import annotations

from sqlalchemy import func, select

import plans.chain_models
import plans.models  # noqa: F401  (plans' tables are in the metadata too)
from core.db import Base, Database


async def row_counts(db: Database) -> dict[str, int]:
    """Table name → rows, for every table of the models (one COUNT each)."""
    out: dict[str, int] = {}
    async with db.reader() as session:
        for table in Base.metadata.sorted_tables:
            out[table.name] = int(await session.scalar(select(func.count()).select_from(table)))
    return out
