"""Item catalogue routes: any authenticated caller reads; only an admin writes.

The catalogue is national, not area-scoped, so these lists take no ``area`` filter.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from core.http.deps import AdminUser, CurrentUser, SessionDep
from core.http.listing import Cursor, Limit, Page, after_text, page_of
from core.registry.items import service
from core.registry.items.models import ItemCategory
from core.registry.items.schemas import ItemCreate, ItemRead, ItemUpdate

router = APIRouter(tags=["items"])


@router.post("/items", status_code=201, response_model=ItemRead)
async def create_item(body: ItemCreate, principal: AdminUser, session: SessionDep) -> ItemRead:
    item = await service.create_item(session=session, principal=principal, data=body)
    return ItemRead.of(item)


@router.get("/items", response_model=Page[ItemRead])
async def list_items(
    _: CurrentUser,
    session: SessionDep,
    category: Annotated[ItemCategory | None, Query()] = None,
    q: Annotated[
        str | None, Query(min_length=1, max_length=100, description="Code or name contains.")
    ] = None,
    limit: Limit = 50,
    next: Cursor = None,
) -> Page[ItemRead]:
    """The national catalogue by code."""
    rows = await service.list_items(
        session=session, category=category, q=q, after=after_text(next), limit=limit + 1
    )
    rows, cursor = page_of(rows, limit, lambda i: [i.code])
    return Page[ItemRead](items=[ItemRead.of(i) for i in rows], next=cursor)


@router.get("/items/{item_id}", response_model=ItemRead)
async def get_item(item_id: uuid.UUID, _: CurrentUser, session: SessionDep) -> ItemRead:
    return ItemRead.of(await service.get_item(session=session, item_id=item_id))


@router.patch("/items/{item_id}", response_model=ItemRead)
async def update_item(
    item_id: uuid.UUID, body: ItemUpdate, principal: AdminUser, session: SessionDep
) -> ItemRead:
    item = await service.update_item(
        session=session, principal=principal, item_id=item_id, data=body
    )
    return ItemRead.of(item)
