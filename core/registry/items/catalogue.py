"""The shipped catalogue file and its idempotent sync into the ``item`` table.

``catalogue.yaml`` is the source of truth for the codes it lists: a sync inserts new
codes and overwrites changed fields of existing ones (an admin's PATCH to such an item
lasts until the next sync). Items not in the file are left alone, never deleted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.errors import ErrorList, Invalid
from core.events.outbox import emit_many
from core.registry.items.models import Item
from core.registry.items.schemas import ItemCreate
from core.registry.items.service import create_items, item_event, row_values

CATALOGUE_FILE = Path(__file__).with_name("catalogue.yaml")


def load_catalogue(path: Path = CATALOGUE_FILE) -> list[ItemCreate]:
    """The file's items, validated; :class:`Invalid` names ``("items", i, field)``."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise Invalid.field(("file",), f"{path.name} is not valid YAML: {exc}") from exc
    entries = doc.get("items") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise Invalid.field(("items",), f"{path.name} has no list under 'items'")
    errors = ErrorList()
    items: list[ItemCreate] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(entries):
        try:
            item = ItemCreate.model_validate(entry)
        except ValidationError as exc:
            for err in exc.errors():
                errors.add(("items", i, *err["loc"]), err["msg"].removeprefix("Value error, "))
            continue
        first = seen.setdefault(item.code, i)
        if first != i:
            errors.add(("items", i, "code"), f"{item.code} repeats item {first}")
        items.append(item)
    errors.raise_if_any(f"{path.name}: {len(errors.errors)} error(s); nothing was synced")
    return items


async def sync_catalogue(*, session: AsyncSession, path: Path = CATALOGUE_FILE) -> int:
    """Upsert the catalogue file into ``item``; returns how many items were inserted or
    changed (0 when already in sync). Emits ``item.created``/``item.updated``."""
    rows = load_catalogue(path)
    codes = [r.code for r in rows]
    stored = {i.code: i for i in (await session.scalars(select(Item).where(Item.code.in_(codes))))}
    now = clock.now()
    events = []
    for row in rows:
        item = stored.get(row.code)
        if item is None:
            continue
        changed = _changes(item, row_values(row))
        if changed:
            for field, value in changed.items():
                setattr(item, field, value)
            item.updated_at = now
            fields = sorted(changed)
            events.append(
                item_event("item.updated", id=item.id, code=item.code, fields=fields, source="sync")
            )
    await session.flush()
    await emit_many(session, events)
    new = [r for r in rows if r.code not in stored]
    if new:
        await create_items(session=session, principal=None, rows=new)
    return len(new) + len(events)


def _changes(item: Item, values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k != "code" and getattr(item, k) != v}
