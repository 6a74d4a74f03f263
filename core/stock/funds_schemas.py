"""HTTP shapes of the fund ledger routes (money in integer fen, 1 元 = 100 分)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field

from core.stock.funds import MAX_FEN


class FundMoveKind(StrEnum):
    donation = "donation"  # money in
    grant = "grant"  # money in
    purchase = "purchase"  # money out, names the lot bought
    service = "service"  # money out


class FundMoveCreate(BaseModel):
    """Record money in (donation, grant) or out (purchase of a lot, service)."""

    kind: FundMoveKind
    amount_fen: int = Field(
        gt=0, le=MAX_FEN, description="Above 0, in fen; the sign is the kind's."
    )
    donor: str | None = Field(None, max_length=200, description="Money in only.")
    donor_anonymous: bool = Field(False, description="Never disclosed; hidden in lists.")
    description: str = Field("", max_length=2000, description="Required for money out.")
    lot_id: uuid.UUID | None = Field(None, description="The lot a purchase bought (required).")
    at: AwareDatetime | None = Field(None, description="When money came in; defaults to now.")
    is_drill: bool = Field(False, description="Drill moves never change the balance.")


class FundMoveRead(BaseModel):
    id: str = Field(description="The ledger row's 64-bit id, as text (safe in JavaScript).")
    fund_id: uuid.UUID
    kind: str
    amount_fen: int = Field(description="Signed: + in, − out.")
    donor: str | None = Field(description="Hidden (null) when the donor is anonymous.")
    donor_anonymous: bool
    lot_id: uuid.UUID | None
    description: str
    actor_id: uuid.UUID | None
    at: datetime
    is_drill: bool

    @classmethod
    def of(cls, m: Any) -> FundMoveRead:
        return cls(
            id=str(m.id), fund_id=m.fund_id, kind=m.kind, amount_fen=m.amount_fen,
            donor=None if m.donor_anonymous else m.donor, donor_anonymous=m.donor_anonymous,
            lot_id=m.lot_id, description=m.description, actor_id=m.actor_id, at=m.at,
            is_drill=m.is_drill,
        )  # fmt: skip


class FundMoveDone(FundMoveRead):
    balance_fen: int = Field(description="The fund's real balance after the move.")
