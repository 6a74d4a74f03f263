"""Relief stock: lots, the append-only ledger of moves, reservations for needs, and the
money ledger of community funds. Quantities are integers in the item's base unit;
money is integer fen (分)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigIntPK, UtcDateTime
from core.ids import uuid7


class LotSource(StrEnum):
    donation = "donation"
    purchase = "purchase"
    transfer = "transfer"
    count = "count"  # found by a stock count


class MoveKind(StrEnum):
    receive = "receive"
    reserve = "reserve"
    release = "release"
    issue = "issue"
    transfer_out = "transfer_out"
    transfer_in = "transfer_in"
    adjust = "adjust"
    write_off = "write_off"


class Lot(Base):
    """A quantity of one item in one depot, with its expiry and where it came from."""

    __tablename__ = "stock_lot"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    depot_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("depot.id"))
    item_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("item.id"))
    area_path: Mapped[str] = mapped_column(String(255))
    on_hand: Mapped[int] = mapped_column(Integer)
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    expires_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    received_on: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(20))
    donor: Mapped[str | None] = mapped_column(String(200), nullable=True)
    donor_anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    fund_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("community_fund.id"), nullable=True
    )
    condition: Mapped[str] = mapped_column(String(20), default="good")
    is_drill: Mapped[bool] = mapped_column(Boolean, default=False)
    shadow_of: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("stock_lot.id"), nullable=True
    )
    drill_incident_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("incident.id"), nullable=True, index=True,
        doc="The live drill a shadow lot belongs to (None: real, or drill stock of any drill).",
    )  # fmt: skip
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0 AND reserved <= on_hand", name="reserved_within_on_hand"),
        CheckConstraint(
            "expires_on IS NULL OR expires_on >= received_on", name="expiry_after_receipt"
        ),
        Index("ix_stock_lot_fefo", "depot_id", "item_id", "is_drill", "expires_on"),
        Index(
            "ix_stock_lot_area_path",
            "area_path",
            postgresql_ops={"area_path": "varchar_pattern_ops"},
        ),
    )


class Move(Base):
    """One append-only ledger row: the change to a lot's on-hand and reserved counts."""

    __tablename__ = "stock_move"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    lot_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("stock_lot.id"), index=True)
    depot_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("depot.id"))
    item_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("item.id"))
    area_path: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(20))
    on_hand_delta: Mapped[int] = mapped_column(Integer)
    reserved_delta: Mapped[int] = mapped_column(Integer)
    need_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("need.id"), nullable=True, index=True
    )
    incident_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("incident.id"), nullable=True
    )
    reservation_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    transfer_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("app_user.id"), nullable=True
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    is_drill: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        Index("ix_stock_move_depot_at", "depot_id", "at"),
        Index(
            "ix_stock_move_area_path",
            "area_path",
            postgresql_ops={"area_path": "varchar_pattern_ops"},
        ),
    )


class Reservation(Base):
    """A line of (item, depot, quantity) reserved for a need; lots are taken FEFO."""

    __tablename__ = "stock_reservation"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    need_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("need.id"), index=True)
    item_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("item.id"))
    depot_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("depot.id"))
    area_path: Mapped[str] = mapped_column(String(255))
    quantity: Mapped[int] = mapped_column(Integer)
    issued: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20))  # active | released | issued | expired
    is_drill: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("issued >= 0 AND issued <= quantity", name="issued_within_quantity"),
    )


class ReservationLot(Base):
    """How much of a reservation sits on each lot."""

    __tablename__ = "stock_reservation_lot"

    reservation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("stock_reservation.id", ondelete="CASCADE"), primary_key=True
    )
    lot_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("stock_lot.id"), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("quantity >= 0", name="quantity_not_negative"),)


class FundMove(Base):
    """One append-only row of a community fund's money: in (+) or out (−), in fen."""

    __tablename__ = "fund_move"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    fund_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("community_fund.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # donation | grant | purchase | service
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    donor: Mapped[str | None] = mapped_column(String(200), nullable=True)
    donor_anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    lot_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("stock_lot.id"), nullable=True
    )
    description: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("app_user.id"), nullable=True
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    is_drill: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (CheckConstraint("amount_fen <> 0", name="amount_not_zero"),)


class StockMinimum(Base):
    """The least a depot should hold of an item (alerts)."""

    __tablename__ = "stock_minimum"

    depot_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("depot.id"), primary_key=True)
    item_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("item.id"), primary_key=True)
    minimum: Mapped[int] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("minimum >= 0", name="minimum_not_negative"),)
