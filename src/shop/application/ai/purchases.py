"""`CoPurchaseProjection`: what was bought, and bought together, in paid orders.

A consumer of `OrderPaid` (the order's lines are read from the ordering
context's read model: the event carries none) and of `OrderCancelled` (a paid
order that is cancelled is refunded, so its basket stops counting). It keeps
a projection, not a scan of the orders per request: per paid order its
products and quantities, per product how many orders hold it, per pair of
products how many orders hold both. Each event applies once (the store
records its id in the same transaction as the counts).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from shop.application.consumers import ReceivedEvent
from shop.application.ordering.ports import OrderReadModel

CONSUMER_NAME = "ai-co-purchases"


@dataclass(frozen=True)
class Basket:
    order_id: uuid.UUID
    customer_id: uuid.UUID
    paid_at: datetime
    quantities: dict[uuid.UUID, int]
    """Units per product in the order (a product appears once per order)."""


@dataclass(frozen=True)
class PairCount:
    product_id: uuid.UUID
    other_id: uuid.UUID
    together: int
    """Paid, not refunded orders holding both products."""


class CoPurchaseStore(Protocol):
    async def add_basket(self, event_id: uuid.UUID, basket: Basket) -> None:
        """Count the basket once per event id (a redelivery changes nothing)."""
        ...
    async def remove_basket(self, event_id: uuid.UUID, order_id: uuid.UUID) -> None:
        """Uncount the order's basket if it was counted (a refund)."""
        ...
    async def pairs_with(self, product_ids: list[uuid.UUID]) -> list[PairCount]: ...
    async def orders_holding(self, product_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]: ...
    async def total_orders(self) -> int: ...
    async def bought_by(self, customer_id: uuid.UUID) -> list[uuid.UUID]:
        """The customer's purchased products, most recently bought first."""
        ...


class CoPurchaseProjection:
    name = CONSUMER_NAME
    event_types = frozenset({"OrderPaid", "OrderCancelled"})

    def __init__(self, orders: OrderReadModel, store: CoPurchaseStore) -> None:
        self._orders = orders
        self._store = store

    async def handle(self, event: ReceivedEvent) -> None:
        order_id = uuid.UUID(str(event.data["order_id"]))
        if event.type == "OrderCancelled":
            await self._store.remove_basket(event.event_id, order_id)
            return
        order = await self._orders.order(order_id)
        if order is None:  # impossible for a paid order; nothing to count either way
            return
        quantities: dict[uuid.UUID, int] = {}
        for line in order.lines:
            quantities[line.product_id] = quantities.get(line.product_id, 0) + line.quantity
        await self._store.add_basket(event.event_id, Basket(
            order_id=order_id, customer_id=order.customer_id, paid_at=event.occurred_at,
            quantities=quantities))
