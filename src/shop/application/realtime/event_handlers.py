"""Committed stock and order events turned into realtime notices.

These run as in-process event handlers of the message bus, after the unit of
work committed, so a client is never told about a change that was rolled back;
controllers never push anything themselves.
"""

from __future__ import annotations

from shop.application.realtime.ports import RealtimeNotifier
from shop.domain.inventory.events import StockChanged
from shop.domain.ordering.events import OrderEvent


class PushRealtimeChanges:
    """Forwards each stock change and each order status change to the notifier."""

    def __init__(self, notifier: RealtimeNotifier) -> None:
        self._notifier = notifier

    async def on_stock_changed(self, event: StockChanged) -> None:
        await self._notifier.notify_stock_changed(event.product_id, event.stock,
                                                  event.occurred_at)

    async def on_order_event(self, event: OrderEvent) -> None:
        """Every order event carries the status it left the order in (placed is the first)."""
        await self._notifier.notify_order_status_changed(
            event.order_id, event.customer_id, event.status, event.occurred_at
        )

