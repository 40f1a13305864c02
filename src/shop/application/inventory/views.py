"""What inventory queries and commands answer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from shop.domain.inventory.stock import Stock


@dataclass(frozen=True)
class StockView:
    product_id: uuid.UUID
    stock: int
    updated_at: datetime

    @classmethod
    def of(cls, stock: Stock) -> StockView:
        return cls(product_id=stock.product_id, stock=stock.on_hand, updated_at=stock.updated_at)
