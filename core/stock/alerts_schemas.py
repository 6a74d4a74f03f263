"""HTTP shapes of the alert, minimum, audit, count-import and depot-stock routes."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from pydantic import BaseModel, Field


class LotAlertRead(BaseModel):
    lot_id: uuid.UUID
    depot_id: uuid.UUID
    depot_name: str
    item_code: str
    area_path: str
    on_hand: int
    reserved: int
    expires_on: date
    days_left: int = Field(description="Days until expiry; negative once expired.")


class MinimumAlertRead(BaseModel):
    depot_id: uuid.UUID
    depot_name: str
    item_code: str
    area_path: str
    minimum: int
    available: int = Field(description="Σ on hand − reserved over unexpired real lots.")
    short: int


class AlertsRead(BaseModel):
    """Real stock only; drill and shadow lots never raise alerts."""

    today: date = Field(description="Today in China time (Asia/Shanghai).")
    days: int
    expiring: list[LotAlertRead] = Field(description="Unexpired lots expiring within `days`.")
    expired: list[LotAlertRead] = Field(description="Expired lots still holding stock.")
    under_minimum: list[MinimumAlertRead]

    @classmethod
    def of(cls, a: Any) -> AlertsRead:
        def lot(x: Any) -> LotAlertRead:
            return LotAlertRead.model_validate(x, from_attributes=True)

        under = [MinimumAlertRead.model_validate(m, from_attributes=True) for m in a.under_minimum]
        return cls(today=a.today, days=a.days, expiring=[lot(x) for x in a.expiring],
                   expired=[lot(x) for x in a.expired], under_minimum=under)  # fmt: skip


class MinimumIn(BaseModel):
    """The least a depot should hold of an item (0 turns the alert off)."""

    depot_id: uuid.UUID
    item_code: str = Field(min_length=1, max_length=40)
    minimum: int = Field(ge=0, le=2_000_000_000, description="Base units, 0 or more.")


class MinimumRead(BaseModel):
    depot_id: uuid.UUID
    item_code: str
    area_path: str
    minimum: int


class DriftRead(BaseModel):
    what: str = Field(description="lot.on_hand, lot.reserved, lot.reserved_shares, "
                      "reservation.held or fund.balance_fen")  # fmt: skip
    id: uuid.UUID = Field(description="The lot, reservation or fund.")
    stored: int
    ledger: int = Field(description="The value recomputed from the ledger.")
    depot_id: uuid.UUID | None
    item_code: str | None


class AuditRead(BaseModel):
    """Real stock and funds in scope; ids, counts, depots and items only."""

    clean: bool
    checked: dict[str, int]
    drifts: list[DriftRead]

    @classmethod
    def of(cls, report: Any) -> AuditRead:
        drifts = [DriftRead.model_validate(d, from_attributes=True) for d in report.drifts]
        return cls(clean=report.clean, checked=report.checked, drifts=drifts)


class CountSummaryRead(BaseModel):
    adjusted: int = Field(description="Lots whose on-hand was corrected (one adjust move).")
    unchanged: int = Field(description="Rows that matched the books (or counted 0, no lot).")
    created: list[uuid.UUID] = Field(description="New lots (source 'count').")


class ItemStockRead(BaseModel):
    item_code: str
    on_hand: int
    reserved: int
    available: int = Field(description="On hand − reserved over unexpired lots.")
    next_expiry: date | None


class StockDepotRead(BaseModel):
    """A depot with its stock per item (GeoJSON: a Point whose properties these are)."""

    id: uuid.UUID
    name: str
    kind: str
    capacity_people: int | None
    area_path: str
    lon: float
    lat: float
    stock: list[ItemStockRead]

    @classmethod
    def of(cls, depot: Any, stock: list[Any]) -> StockDepotRead:
        lines = [ItemStockRead.model_validate(x, from_attributes=True) for x in stock]
        return cls(id=depot.id, name=depot.name, kind=depot.kind,
                   capacity_people=depot.capacity_people, area_path=depot.area_path,
                   lon=depot.lon, lat=depot.lat, stock=lines)  # fmt: skip
