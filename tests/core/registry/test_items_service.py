"""The item catalogue on both engines: the shipped file, its idempotent sync, admin writes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import Principal, Role
from core.errors import Conflict, Forbidden, Invalid
from core.events.models import OutboxEvent
from core.ids import uuid7
from core.registry.items import service
from core.registry.items.catalogue import load_catalogue, sync_catalogue
from core.registry.items.models import Item, ItemCategory
from core.registry.items.schemas import ItemCreate, ItemUpdate

ADMIN = Principal(user_id=uuid7(), token_id=uuid7(), role=Role.admin, scope_path=None)
COORD = Principal(user_id=uuid7(), token_id=uuid7(), role=Role.coordinator, scope_path="53/")


def item(code: str = "TEST-ITEM", **kw: Any) -> ItemCreate:
    base = {
        "code": code,
        "name_zh": "测试",
        "name_en": "Test",
        "base_unit": "piece",
        "category": "other",
    }
    return ItemCreate.model_validate({**base, **kw})


async def count(session: AsyncSession, model: Any = Item) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def test_the_shipped_catalogue() -> None:
    items = {i.code: i for i in load_catalogue()}
    assert 30 <= len(items) <= 50
    assert {i.category for i in items.values()} == set(ItemCategory)
    water = items["WATER-BULK-L"]
    assert water.per_person_day == 15 and "Water supply standard 2.1" in str(water.standard_source)
    assert items["FOOD-RICE-KG"].base_unit == "kg"
    assert "2,100 kcal" in str(items["FOOD-RICE-KG"].standard_source)
    assert "3.5 m²" in str(items["SHELTER-TENT-12M2"].standard_source)
    for i in items.values():  # every daily figure cites its standard
        assert i.per_person_day is None or "Sphere" in str(i.standard_source)


def test_catalogue_errors_name_the_entry(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "items:\n"
        "  - {code: A-B, name_zh: 甲, name_en: a, base_unit: L, category: water}\n"
        "  - {code: A-B, name_zh: 甲, name_en: a, base_unit: furlong, category: water}\n"
        "  - {code: c, name_zh: 乙, name_en: b, base_unit: L, category: water,"
        " per_person_day: 2}\n",
        encoding="utf-8",
    )
    with pytest.raises(Invalid) as info:
        load_catalogue(path)
    locs = {e.loc for e in info.value.errors}
    assert locs == {
        ("items", 1, "base_unit"),
        ("items", 2, "code"),
        ("items", 2, "standard_source"),
    }


async def test_sync_is_idempotent_and_overwrites(session: AsyncSession, tmp_path: Path) -> None:
    shipped = len(load_catalogue())
    assert await sync_catalogue(session=session) == shipped
    assert await count(session) == shipped
    events = await count(session, OutboxEvent)
    assert await sync_catalogue(session=session) == 0
    assert await count(session, OutboxEvent) == events
    water = await session.scalar(select(Item).where(Item.code == "WATER-BULK-L"))
    assert water is not None
    await service.update_item(
        session=session, principal=ADMIN, item_id=water.id, data=ItemUpdate(per_person_day=20)
    )
    assert await sync_catalogue(session=session) == 1
    assert water.per_person_day == 15
    updated = await session.scalars(
        select(OutboxEvent).where(OutboxEvent.type == "item.updated").order_by(OutboxEvent.seq)
    )
    assert updated.all()[-1].payload["fields"] == ["per_person_day"]


async def test_admin_writes_everyone_reads(session: AsyncSession) -> None:
    with pytest.raises(Forbidden):
        await service.create_item(session=session, principal=COORD, data=item())
    created = await service.create_item(
        session=session,
        principal=ADMIN,
        data=item(pack_sizes=[{"unit": "box", "qty": 12}], shelf_life_days=30),
    )
    assert created.pack_sizes == [{"unit": "box", "qty": 12, "label": None}]
    with pytest.raises(Conflict) as info:
        await service.create_items(session=session, principal=None, rows=[item("X-1"), item()])
    assert info.value.errors[0].loc == ("rows", 1, "code")
    assert await count(session) == 1
    with pytest.raises(Forbidden):
        await service.update_item(
            session=session, principal=COORD, item_id=created.id, data=ItemUpdate(name_en="x")
        )
    with pytest.raises(Invalid) as bad:
        await service.update_item(
            session=session,
            principal=ADMIN,
            item_id=created.id,
            data=ItemUpdate(per_person_day=1.0),
        )
    assert bad.value.errors[0].loc == ("body", "per_person_day")


def test_item_schema_rules() -> None:
    cases = [
        ({"code": "lower-case"}, "code"),
        ({"base_unit": "furlong"}, "base_unit"),
        ({"per_person_day": 1}, "standard_source"),
        ({"pack_sizes": [{"unit": "box", "qty": 0}]}, "pack_sizes"),
        ({"pack_sizes": [{"unit": "box", "qty": 2}, {"unit": "box", "qty": 3}]}, "pack_sizes"),
    ]
    for kw, field in cases:
        with pytest.raises(ValidationError) as info:
            item(**kw)
        assert info.value.errors()[0]["loc"][0] == field, kw


async def test_list_filters(session: AsyncSession) -> None:
    await sync_catalogue(session=session)

    async def codes(**kw: Any) -> list[str]:
        kw.setdefault("limit", 500)
        return [i.code for i in await service.list_items(session=session, **kw)]

    everything = await codes()
    assert everything == sorted(everything)
    assert set(await codes(category="water")) == {c for c in everything if c.startswith("WATER")}
    assert await codes(q="棉被") == ["BED-QUILT"]
    assert await codes(q="quilt") == ["BED-QUILT"]
    assert "WATER-BOTTLED-L" in await codes(q="bottled")
    page = await codes(limit=5)
    assert await codes(after=page[-1], limit=5) == everything[5:10]
