"""Copy a source database's registry into a drill's isolated database, read-only.

The source is only ever read (one read-only session, SELECTs only): areas, grids,
organizations, community funds, depots, the item catalogue, plans and their versions,
households, persons and their tags, volunteers with skills, languages and
certifications, and real lots. Accounts are not copied: references to users become
NULL, as do a household's contact person and a lot's fund. A lot arrives with its free
quantity on hand and nothing reserved (the source's reservations belong to its own
incidents), and with one ``receive`` ledger row for that quantity, so the drill
database's stock audit balances (:mod:`core.stock.audit`). Rows go over in chunks
through Core INSERTs, any engine to any engine.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, select

import plans.models  # noqa: F401  (plans' tables are in the metadata)
from core import clock
from core.db import Base, Database
from core.stock.ledger import write_moves
from core.stock.models import MoveKind

TABLES = ("area", "item", "grid", "organization", "plan", "community_fund", "depot",
          "household", "plan_version", "person", "stock_lot", "person_tag", "volunteer",
          "volunteer_certification", "volunteer_language", "volunteer_skill")  # fmt: skip
CHUNK = 5000


def _fixer(table: Table) -> Any:
    """Row → row fit for the drill database (see the module doc)."""
    dropped = [
        c.name
        for c in table.columns
        if any(fk.column.table.name not in TABLES for fk in c.foreign_keys)
        or (table.name, c.name) in {("household", "contact_person_id"), ("stock_lot", "fund_id")}
    ]
    lot = table.name == "stock_lot"

    def fix(row: dict[str, Any]) -> dict[str, Any]:
        for name in dropped:
            row[name] = None
        if lot:
            row["on_hand"], row["reserved"] = row["on_hand"] - row["reserved"], 0
        return row

    return fix


def _received(lot: dict[str, Any]) -> dict[str, Any]:
    """The ledger row a copied lot arrives with."""
    return {"lot_id": lot["id"], "depot_id": lot["depot_id"], "item_id": lot["item_id"],
            "area_path": lot["area_path"], "kind": MoveKind.receive.value,
            "on_hand_delta": lot["on_hand"], "reserved_delta": 0, "actor_id": None,
            "is_drill": True, "reason": "copied from the registry for a drill",
            "at": clock.now()}  # fmt: skip


async def copy_registry(*, source_url: str, target: Database) -> dict[str, int]:
    """Copy the registry of ``source_url`` into ``target`` (migrated, empty); rows per table."""
    source = Database(source_url)
    tables = Base.metadata.tables
    counts: dict[str, int] = {}
    try:
        async with source.reader() as src, target.transaction() as dst:
            for name in TABLES:
                table, fix = tables[name], _fixer(tables[name])
                stmt = select(table)
                if name == "stock_lot":
                    real = table.c.is_drill.is_(False)
                    stmt = stmt.where(real, table.c.on_hand > table.c.reserved)
                if "level" in table.c:  # parents first
                    stmt = stmt.order_by(table.c.level, table.c.code)
                elif "id" in table.c:
                    stmt = stmt.order_by(table.c.id)
                result = await src.stream(stmt)
                counts[name] = 0
                async for part in result.mappings().partitions(CHUNK):
                    rows = [fix(dict(r)) for r in part]
                    await dst.execute(table.insert(), rows)
                    counts[name] += len(rows)
                    if name == "stock_lot":
                        await write_moves(dst, [_received(r) for r in rows])
    finally:
        await source.dispose()
    return counts
