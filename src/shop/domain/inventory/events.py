"""Facts about stock levels."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from shop.domain.shared.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class StockChanged(DomainEvent):
    """Stock of a product moved by `delta` and now stands at `stock`."""

    product_id: uuid.UUID
    stock: int
    delta: int
    version: int
    reason: str

    @property
    def aggregate_id(self) -> uuid.UUID:
        return self.product_id
