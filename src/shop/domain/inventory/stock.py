"""Stock is its own aggregate, one per product, so orders reserving units never
contend with edits of the product's name or price.

The rule it guards: stock is never negative. Adapters apply a change as one
conditional update (`on_hand + delta >= 0`), so the rule holds across
processes; the Stock they hand back records what changed (`record_change`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from shop.domain.inventory.errors import InvalidStockLevel
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
            stock.record_change(on_hand, "opening stock")
        return stock

    def record_change(self, delta: int, reason: str) -> None:
        """Record that this stock, as it now stands, was moved by `delta` (and why).

        The change itself is applied by the repository as one conditional update
        (`0 <= on_hand + delta <= MAX_STOCK`), atomic across processes; the
        aggregate it hands back states the fact, so every stock event is made here.
        """
        self.record(StockChanged(product_id=self.product_id, stock=self.on_hand, delta=delta,
                                 version=self.version, reason=reason))
