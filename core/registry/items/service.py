"""The item catalogue: the rules. No FastAPI here; services flush, never commit.

The catalogue is national, not area-scoped: every authenticated principal reads every
item; only an admin (or the system: the catalogue sync, the demo loader) writes.
Items are never deleted here (lots, plans and needs refer to their codes). Events
``item.created``/``item.updated`` go to the stream ``catalogue:items``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.auth.roles import Principal
from core.errors import Conflict, FieldError, Forbidden, Invalid, NotFound
from core.events.outbox import EventIn, emit_many
from core.ids import uuid7
from core.registry.items.models import Item
from core.registry.items.schemas import ItemCreate, ItemUpdate

STREAM = "catalogue:items"


def ensure_admin(principal: Principal | None) -> None:
    """403 unless an admin (``None`` is the system)."""
    if principal is not None and not principal.is_admin:
        raise Forbidden("only an admin may change the national item catalogue")


def item_event(type_: str, *, id: uuid.UUID, code: str, **data: Any) -> EventIn:
    return EventIn(type=type_, data={"id": id, "code": code, **data}, streams=[STREAM])


def row_values(data: ItemCreate) -> dict[str, Any]:
    """Column values of an item (``pack_sizes`` as plain JSON)."""
    return data.model_dump(mode="json")


async def create_items(
    *, session: AsyncSession, principal: Principal | None, rows: Sequence[ItemCreate]
) -> list[uuid.UUID]:
    """Insert many items in one statement; ``item.created`` each. 409 for codes taken,
    naming ``("rows", i, "code")``; nothing is written then."""
    ensure_admin(principal)
    return await _insert(session, rows, lambda i: ("rows", i, "code"))


async def create_item(*, session: AsyncSession, principal: Principal, data: ItemCreate) -> Item:
    """One item (a code taken is 409 naming ``body.code``)."""
    ensure_admin(principal)
    (item_id,) = await _insert(session, [data], lambda _: ("body", "code"))
    item = await session.get(Item, item_id)
    assert item is not None
    return item


async def _insert(session: AsyncSession, rows: Sequence[ItemCreate], loc: Any) -> list[uuid.UUID]:
    if not rows:
        raise Invalid.field(("rows",), "no rows to create")
    codes = [r.code for r in rows]
    taken = set((await session.scalars(select(Item.code).where(Item.code.in_(codes)))).all())
    seen: dict[str, int] = {}
    errors = []
    for i, code in enumerate(codes):
        if code in taken:
            errors.append(FieldError(loc(i), f"item code {code} already exists"))
        elif seen.setdefault(code, i) != i:
            errors.append(FieldError(loc(i), f"item code {code} repeats row {seen[code]}"))
    if errors:
        raise Conflict(errors[0].msg, errors=errors)
    now = clock.now()
    values = [{**row_values(r), "id": uuid7(), "created_at": now, "updated_at": now} for r in rows]
    try:
        async with session.begin_nested():
            await session.execute(insert(Item), values)
    except IntegrityError as exc:
        raise Conflict("an item code was taken concurrently; retry") from exc
    events = [
        item_event("item.created", id=v["id"], code=v["code"], category=v["category"])
        for v in values
    ]
    await emit_many(session, events)
    return [v["id"] for v in values]


async def get_item(*, session: AsyncSession, item_id: uuid.UUID) -> Item:
    """An item by id (any authenticated caller); 404 if absent."""
    item = await session.get(Item, item_id)
    if item is None:
        raise NotFound("item not found")
    return item


async def list_items(
    *,
    session: AsyncSession,
    category: str | None = None,
    q: str | None = None,
    after: str | None = None,
    limit: int,
) -> list[Item]:
    """Items ordered by code (``after``: the last code seen). ``q`` matches a substring
    of the code, the Chinese name or (case-insensitively) the English name."""
    stmt = select(Item)
    if category is not None:
        stmt = stmt.where(Item.category == category)
    if q:
        stmt = stmt.where(
            or_(
                Item.name_zh.contains(q, autoescape=True),
                func.lower(Item.name_en).contains(q.lower(), autoescape=True),
                Item.code.contains(q.upper(), autoescape=True),
            )
        )
    if after is not None:
        stmt = stmt.where(Item.code > after)
    return list((await session.scalars(stmt.order_by(Item.code).limit(limit))).all())


async def update_item(
    *, session: AsyncSession, principal: Principal, item_id: uuid.UUID, data: ItemUpdate
) -> Item:
    """Change an item (admin only); ``per_person_day`` still needs ``standard_source``.

    Items shipped in the catalogue file are overwritten by the next catalogue sync.
    """
    ensure_admin(principal)
    item = await get_item(session=session, item_id=item_id)
    fields = data.model_fields_set
    if not fields:
        return item
    changes = data.model_dump(mode="json", include=fields)
    per_person_day = changes.get("per_person_day", item.per_person_day)
    source = changes.get("standard_source", item.standard_source)
    if per_person_day is not None and source is None:
        loc = "standard_source" if "standard_source" in fields else "per_person_day"
        raise Invalid.field(("body", loc), "per_person_day needs standard_source citing it")
    for field, value in changes.items():
        setattr(item, field, value)
    item.updated_at = clock.now()
    await session.flush()
    event = item_event("item.updated", id=item.id, code=item.code, fields=sorted(fields))
    await emit_many(session, [event])
    return item
