"""The NotificationService: the event consumer that emails customers and admins.

| event | kind | to |
|---|---|---|
| CustomerRegistered | welcome | the new customer |
| OrderPaid | order_confirmation (lines, total) | the order's customer |
| OrderShipped | order_shipped | the order's customer |
| OrderCancelled | order_cancelled ("refunded" when the payment went back) | the order's customer |
| StockChanged crossing the low-stock threshold downwards | low_stock | every admin |

A low-stock alert is sent when a change takes stock from above the threshold
to at or below it: once per crossing, not once per change below it. Every
email is a recorded notification (see `NotificationSender`), so a redelivered
event sends nothing twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal
from typing import Any

from shop.application.catalog.ports import CatalogReadModel
from shop.application.consumers import ReceivedEvent
from shop.application.notifications.ports import Recipient, Recipients
from shop.application.notifications.sender import Draft, NotificationBeingSent, NotificationSender
from shop.application.ordering.ports import OrderReadModel
from shop.application.ordering.views import OrderView
from shop.domain.notifications.notification import NotificationKind

REFUNDED_PAYMENTS = frozenset({"refunded", "refund_pending"})

Drafting = Callable[[Mapping[str, Any]], Awaitable[list[Draft]]]


class NotificationService:
    name = "notifications"

    def __init__(self, sender: NotificationSender, recipients: Recipients,
                 orders: OrderReadModel, catalog: CatalogReadModel,
                 low_stock_threshold: int) -> None:
        self._sender = sender
        self._recipients = recipients
        self._orders = orders
        self._catalog = catalog
        self._threshold = low_stock_threshold
        self._drafting: dict[str, Drafting] = {
            "CustomerRegistered": self._welcome,
            "OrderPaid": self._order_confirmation,
            "OrderShipped": self._order_shipped,
            "OrderCancelled": self._order_cancelled,
            "StockChanged": self._low_stock,
        }

    @property
    def event_types(self) -> frozenset[str]:
        return frozenset(self._drafting)

    async def handle(self, event: ReceivedEvent) -> None:
        """Send every draft; one being sent elsewhere makes the event come back later."""
        busy: list[NotificationBeingSent] = []
        for draft in await self._drafting[event.type](event.data):
            try:
                await self._sender.send(draft, event.event_id)
            except NotificationBeingSent as error:
                busy.append(error)
        if busy:
            raise busy[0]

    async def _welcome(self, data: Mapping[str, Any]) -> list[Draft]:
        customer = await self._recipients.customer(uuid.UUID(data["customer_id"]))
        if customer is None:
            return []
        return [Draft(NotificationKind.WELCOME, customer, {"name": customer.name})]

    async def _order_confirmation(self, data: Mapping[str, Any]) -> list[Draft]:
        return await self._about_order(NotificationKind.ORDER_CONFIRMATION, data)

    async def _order_shipped(self, data: Mapping[str, Any]) -> list[Draft]:
        return await self._about_order(NotificationKind.ORDER_SHIPPED, data)

    async def _order_cancelled(self, data: Mapping[str, Any]) -> list[Draft]:
        return await self._about_order(NotificationKind.ORDER_CANCELLED, data)

    async def _about_order(self, kind: NotificationKind, data: Mapping[str, Any]) -> list[Draft]:
        order = await self._orders.order(uuid.UUID(data["order_id"]))
        if order is None:
            return []
        customer = await self._recipients.customer(order.customer_id)
        if customer is None:
            return []
        return [Draft(kind, customer, order_context(order, customer))]

    async def _low_stock(self, data: Mapping[str, Any]) -> list[Draft]:
        stock, delta = int(data["stock"]), int(data["delta"])
        if not stock <= self._threshold < stock - delta:
            return []
        product = await self._catalog.product(uuid.UUID(data["product_id"]))
        if product is None:  # deleted meanwhile: nothing left to restock
            return []
        context = {"product_name": product.name, "product_id": str(product.id), "stock": stock,
                   "threshold": self._threshold}
        return [Draft(NotificationKind.LOW_STOCK, admin, {**context, "name": admin.name})
                for admin in await self._recipients.admins()]


def order_context(order: OrderView, customer: Recipient) -> dict[str, Any]:
    refunded = order.payment.status in REFUNDED_PAYMENTS
    return {
        "name": customer.name,
        "order_id": str(order.id),
        "lines": [{"product_name": line.product_name, "quantity": line.quantity,
                   "unit_price": line.unit_price, "line_total": line.line_total}
                  for line in order.lines],
        "total": Decimal(order.total),
        "currency": order.currency,
        "refunded": refunded,
        "refund_pending": order.payment.status == "refund_pending",
    }
