"""Wire shapes for the item catalogue (national: items carry no area)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from core.registry.items.models import Item, ItemCategory
from core.registry.validators import not_null, strip

# Base units: every stock quantity is an integer count of one of these.
BASE_UNITS: dict[str, str] = {
    "L": "升 litre",
    "kg": "千克 kilogram",
    "piece": "件/个 piece",
    "pair": "双 pair",
    "set": "套 set",
    "pack": "包 pack",
    "bar": "块 bar",
    "sachet": "袋 sachet",
    "tablet": "片 tablet",
    "can": "罐 can",
    "bottle": "瓶 bottle",
    "box": "盒 box",
    "meal": "份 meal",
    "roll": "卷 roll",
}

ItemCode = Annotated[
    str,
    Field(
        pattern=r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$",
        max_length=40,
        description="Stable code, upper-case words joined by '-', e.g. WATER-BOTTLED-L.",
    ),
]
Text120 = Annotated[str, Field(min_length=1, max_length=120)]


class PackSize(BaseModel):
    """A pack the item comes in: ``qty`` base units per ``unit`` (e.g. case = 20 L)."""

    model_config = ConfigDict(extra="forbid")

    unit: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,19}$", description="e.g. case")]
    qty: Annotated[int, Field(ge=1, le=1_000_000, description="Base units in one pack.")]
    label: Annotated[str | None, Field(max_length=60)] = None


def _base_unit(value: str | None) -> str | None:
    if value is not None and value not in BASE_UNITS:
        raise ValueError(f"unknown unit {value!r}; one of {', '.join(BASE_UNITS)}")
    return value


def _packs(value: list[PackSize] | None) -> list[PackSize] | None:
    if value is None:
        return None
    seen: set[str] = set()
    for pack in value:
        if pack.unit in seen:
            raise ValueError(f"pack unit {pack.unit} given twice")
        seen.add(pack.unit)
    return value


class ItemCreate(BaseModel):
    """A catalogue item. ``per_person_day`` (base units per person per day) only where a
    published standard gives one, and then ``standard_source`` cites it."""

    model_config = ConfigDict(extra="forbid")

    code: ItemCode
    name_zh: Text120
    name_en: Text120
    base_unit: str
    pack_sizes: list[PackSize] = Field(default_factory=list, max_length=10)
    category: ItemCategory
    shelf_life_days: Annotated[int | None, Field(ge=1, le=36_500)] = None
    per_person_day: Annotated[float | None, Field(gt=0, le=10_000)] = None
    standard_source: Annotated[str | None, Field(min_length=1, max_length=1000)] = Field(
        None, validate_default=True
    )

    _strip_all = field_validator("name_zh", "name_en", "standard_source", mode="before")(strip)
    _unit = field_validator("base_unit")(_base_unit)
    _pack = field_validator("pack_sizes")(_packs)

    @field_validator("standard_source")
    @classmethod
    def _cited(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("per_person_day") is not None:
            raise ValueError("required when per_person_day is given: cite the standard")
        return value


_REQUIRED = ("name_zh", "name_en", "base_unit", "pack_sizes", "category")


class ItemUpdate(BaseModel):
    """Changes to an item (the code never changes); ``null`` clears the optional fields."""

    model_config = ConfigDict(extra="forbid")

    name_zh: Text120 | None = None
    name_en: Text120 | None = None
    base_unit: str | None = None
    pack_sizes: list[PackSize] | None = Field(None, max_length=10)
    category: ItemCategory | None = None
    shelf_life_days: Annotated[int | None, Field(ge=1, le=36_500)] = None
    per_person_day: Annotated[float | None, Field(gt=0, le=10_000)] = None
    standard_source: Annotated[str | None, Field(min_length=1, max_length=1000)] = None

    _strip_all = field_validator("name_zh", "name_en", "standard_source", mode="before")(strip)
    _unit = field_validator("base_unit")(_base_unit)
    _pack = field_validator("pack_sizes")(_packs)
    _set = field_validator(*_REQUIRED, mode="before")(not_null)


class ItemRead(BaseModel):
    id: uuid.UUID
    code: str
    name_zh: str
    name_en: str
    base_unit: str
    pack_sizes: list[PackSize]
    category: ItemCategory
    shelf_life_days: int | None
    per_person_day: float | None
    standard_source: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, item: Item) -> ItemRead:
        return cls(
            id=item.id,
            code=item.code,
            name_zh=item.name_zh,
            name_en=item.name_en,
            base_unit=item.base_unit,
            pack_sizes=[PackSize.model_validate(p) for p in item.pack_sizes],
            category=ItemCategory(item.category),
            shelf_life_days=item.shelf_life_days,
            per_person_day=item.per_person_day,
            standard_source=item.standard_source,
            created_at=item.created_at,
            updated_at=item.updated_at,
        )
