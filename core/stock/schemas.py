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
