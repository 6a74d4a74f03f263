"""HTTP shapes of the stock routes (quantities in the item's base unit)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from core.stock.models import LotSource

Quantity = Annotated[int, Field(gt=0, description="A whole number above 0 (base unit).")]


class LotCreate(BaseModel):
    """Receive a new lot into a depot."""

    depot_id: uuid.UUID
    item_code: str = Field(min_length=1, max_length=40)
    quantity: Quantity
    received_on: date | None = Field(None, description="Defaults to today (China time).")
    expires_on: date | None = None
    source: LotSource
    donor: str | None = Field(None, max_length=200)
    donor_anonymous: bool = False
    fund_id: uuid.UUID | None = None
    is_drill: bool = False


class LotRead(BaseModel):
    id: uuid.UUID
    depot_id: uuid.UUID
    item_id: uuid.UUID
    item_code: str
    area_path: str
    on_hand: int
    reserved: int
    available: int
    received_on: date
    expires_on: date | None
    source: str
    donor: str | None = Field(description="Hidden (null) when the donor is anonymous.")
    donor_anonymous: bool
    fund_id: uuid.UUID | None
    condition: str
    is_drill: bool

    @classmethod
    def of(cls, lot: Any, item_code: str) -> LotRead:
        return cls(
            id=lot.id, depot_id=lot.depot_id, item_id=lot.item_id, item_code=item_code,
            area_path=lot.area_path, on_hand=lot.on_hand, reserved=lot.reserved,
            available=lot.on_hand - lot.reserved, received_on=lot.received_on,
            expires_on=lot.expires_on, source=lot.source,
            donor=None if lot.donor_anonymous else lot.donor,
            donor_anonymous=lot.donor_anonymous, fund_id=lot.fund_id,
            condition=lot.condition, is_drill=lot.is_drill,
        )  # fmt: skip


class TransferIn(BaseModel):
    to_depot_id: uuid.UUID
    quantity: Quantity


class AdjustIn(BaseModel):
    delta: int = Field(description="Change to on-hand (not 0); a decrease needs free stock.")
    reason: str = Field(max_length=2000)


class WriteOffIn(BaseModel):
    quantity: Quantity
    reason: str = Field(description="expired, damaged, spoiled, lost, recalled, contaminated")


class ReserveLineIn(BaseModel):
    item_code: str = Field(min_length=1, max_length=40)
    depot_id: uuid.UUID
    quantity: Quantity


class ReservationCreate(BaseModel):
    """Reserve stock for a need, first expiry first; drill needs take drill stock only."""

    need_id: uuid.UUID
    lines: list[ReserveLineIn] = Field(min_length=1, max_length=200)
    allow_partial: bool = False


class LotTakeOut(BaseModel):
    lot_id: uuid.UUID
    quantity: int


class ReservationLineOut(BaseModel):
    item_code: str
    item_id: uuid.UUID
    depot_id: uuid.UUID
    requested: int
    reserved: int
    reservation_id: uuid.UUID | None = Field(description="Null when nothing was free.")
    lots: list[LotTakeOut]


class ReservationsOut(BaseModel):
    need_id: uuid.UUID
    lines: list[ReservationLineOut]


class ReleaseIn(BaseModel):
    reason: str = Field("", max_length=2000)


class IssueIn(BaseModel):
    quantity: Quantity | None = Field(None, description="All that is left when omitted.")


class ReservationDone(BaseModel):
    reservation_id: uuid.UUID
    quantity: int


class MoveRead(BaseModel):
    id: str = Field(description="The ledger row's 64-bit id, as text (safe in JavaScript).")
    lot_id: uuid.UUID
    depot_id: uuid.UUID
    item_id: uuid.UUID
    area_path: str
    kind: str
    on_hand_delta: int
    reserved_delta: int
    need_id: uuid.UUID | None
    reservation_id: uuid.UUID | None
    transfer_id: uuid.UUID | None
    actor_id: uuid.UUID | None
    reason: str
    at: datetime
    is_drill: bool

    @classmethod
    def of(cls, m: Any) -> MoveRead:
        data = {k: getattr(m, k) for k in cls.model_fields if k != "id"}
        return cls(id=str(m.id), **data)
