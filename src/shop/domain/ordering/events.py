"""Facts of an order's life."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shop.domain.shared.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class OrderEvent(DomainEvent):
    order_id: uuid.UUID
    customer_id: uuid.UUID
    status: str

    @property
    def aggregate_id(self) -> uuid.UUID:
        return self.order_id


@dataclass(frozen=True, kw_only=True)
class OrderPlaced(OrderEvent):
    total: str
    currency: str
    lines: tuple[dict[str, Any], ...]
    placed_at: datetime
    """The order's own creation time (its `created_at`), which sales are dated by."""


@dataclass(frozen=True, kw_only=True)
class OrderPaid(OrderEvent):
    payment_reference: str


@dataclass(frozen=True, kw_only=True)
class OrderShipped(OrderEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class OrderCancelled(OrderEvent):
    reason: str
