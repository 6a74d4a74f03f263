"""Shapes of the public disclosure (信息公开): no personal data, money in fen (分),
quantities in each item's base unit, months ``YYYY-MM`` in Asia/Shanghai."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field

ANONYMOUS = "匿名"


class FundRef(BaseModel):
    id: uuid.UUID
    name: str
    area_code: str
    area_name: str
    host_name: str = Field(description="The charity organization hosting the fund.")


class DepotRef(BaseModel):
    id: uuid.UUID
    name: str
    kind: str
    area_code: str
    area_name: str


class GoodsLine(BaseModel):
    item_code: str
    item_name: str
    unit: str
    quantity: int


class FundMonth(BaseModel):
    month: str
    received_fen: dict[str, int] = Field(default_factory=dict, description="By kind.")
    spent_fen: dict[str, int] = Field(default_factory=dict, description="By kind (positive).")
    goods: list[GoodsLine] = Field(default_factory=list, description="Lots bought.")


class Donation(BaseModel):
    date: date
    kind: str = Field(description="donation or grant")
    donor: str = Field(description=f"The donor's name, or {ANONYMOUS} (anonymous).")
    amount_fen: int


class FundDisclosure(BaseModel):
    fund: FundRef
    balance_fen: int
    received_fen: int
    spent_fen: int
    received_by_kind: dict[str, int]
    spent_by_kind: dict[str, int]
    goods: list[GoodsLine] = Field(description="All goods bought, by item.")
    months: list[FundMonth]
    donations: list[Donation] = Field(description="Money in, oldest first.")
    generated_at: datetime


class ItemFlow(BaseModel):
    item_code: str
    item_name: str
    unit: str
    received: int = Field(0, description="Received and transferred in.")
    distributed: int = Field(0, description="Issued to people in need.")
    written_off: int = 0
    transferred_out: int = 0
    adjusted: int = Field(0, description="Stock-count corrections (signed).")


class DepotMonth(BaseModel):
    month: str
    items: list[ItemFlow] = Field(default_factory=list)


class OnHand(BaseModel):
    item_code: str
    item_name: str
    unit: str
    on_hand: int


class DepotDisclosure(BaseModel):
    depot: DepotRef
    months: list[DepotMonth]
    totals: list[ItemFlow]
    on_hand: list[OnHand]
    generated_at: datetime
