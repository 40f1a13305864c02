"""Stock is its own aggregate, one per product, so orders reserving units never
contend with edits of the product's name or price.

The rule it guards: stock is never negative. Adapters apply a change as one
conditional update (`on_hand + delta >= 0`), so the rule holds across
processes; this class states the same rule for code that holds a Stock in hand.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from shop.domain.inventory.errors import InsufficientStock, InvalidStockLevel
from shop.domain.inventory.events import StockChanged
from shop.domain.shared.events import EventRecorder

MAX_STOCK = 1_000_000_000


def check_level(level: int, field: str = "stock") -> int:
    if isinstance(level, bool) or not isinstance(level, int):
        raise InvalidStockLevel(field, "must be a whole number")
    if level < 0:
        raise InvalidStockLevel(field, "must not be negative")
    if level > MAX_STOCK:
        raise InvalidStockLevel(field, f"must be at most {MAX_STOCK}")
    return level


@dataclass(eq=False)
class Stock(EventRecorder):
    product_id: uuid.UUID
    on_hand: int
    updated_at: datetime
    version: int = 1

    @classmethod
    def open(cls, product_id: uuid.UUID, on_hand: int, now: datetime) -> Stock:
        """Start keeping stock for a new product; a non-zero opening level is a change."""
        stock = cls(product_id=product_id, on_hand=check_level(on_hand), updated_at=now)
        if on_hand:
            stock.record(StockChanged(product_id=product_id, stock=on_hand, delta=on_hand,
                                      version=stock.version, reason="opening stock"))
        return stock

    def can_apply(self, delta: int) -> bool:
        return self.on_hand + delta >= 0

    def apply(self, delta: int, reason: str, now: datetime) -> None:
        """Move stock by `delta`; refuse any change that would make it negative."""
        if not self.can_apply(delta):
            raise InsufficientStock(self.product_id, -delta, self.on_hand)
        check_level(self.on_hand + delta)
        self.on_hand += delta
        self.version += 1
        self.updated_at = now
        self.record(StockChanged(product_id=self.product_id, stock=self.on_hand, delta=delta,
                                 version=self.version, reason=reason))
