"""The relief item catalogue (quantities are integers in each item's base unit)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Float, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, JsonType, UtcDateTime
from core.ids import uuid7


class ItemCategory(StrEnum):
    water = "water"
    food = "food"
    shelter = "shelter"
    bedding = "bedding"
    clothing = "clothing"
    hygiene = "hygiene"
    medical = "medical"
    tools = "tools"
    power = "power"
    other = "other"


class Item(Base):
    __tablename__ = "item"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    base_unit: Mapped[str] = mapped_column(String(20))
    pack_sizes: Mapped[list[dict[str, Any]]] = mapped_column(JsonType)
    category: Mapped[str] = mapped_column(String(20), index=True)
    shelf_life_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    per_person_day: Mapped[float | None] = mapped_column(Float, nullable=True)
    standard_source: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
