"""Plain result and input shapes of the stock ledger service."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import NamedTuple

WRITE_OFF_REASONS = frozenset({"expired", "damaged", "spoiled", "lost", "recalled", "contaminated"})


class ReserveLine(NamedTuple):
    """One line to reserve: an item from a depot, in the item's base unit."""

    item_id: uuid.UUID
    depot_id: uuid.UUID
    quantity: int


@dataclass(frozen=True, slots=True)
class LotTake:
    """How much of a reservation was taken from one lot."""

    lot_id: uuid.UUID
    quantity: int


@dataclass(frozen=True, slots=True)
class ReservationResult:
    """The outcome of one reserved line; ``reservation_id`` is None when nothing was free."""

    item_id: uuid.UUID
    depot_id: uuid.UUID
    requested: int
    reserved: int
    reservation_id: uuid.UUID | None
    lots: list[LotTake] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.reserved == self.requested


@dataclass(frozen=True, slots=True)
class ShortLine:
    """The first line of a need that could not be reserved in full (``available`` of it)."""

    index: int
    item_id: uuid.UUID
    depot_id: uuid.UUID
    requested: int
    available: int


@dataclass(frozen=True, slots=True)
class NeedReservation:
    """One need's outcome in a batch: its reserved lines, or (all or nothing) why none were."""

    need_id: uuid.UUID
    lines: list[ReservationResult] = field(default_factory=list)
    short: ShortLine | None = None

    @property
    def ok(self) -> bool:
        return self.short is None
