"""What ordering and inventory queries answer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from shop.application.customers.views import AddressView, address_view
from shop.domain.inventory.stock import Stock
from shop.domain.ordering.order import Order


@dataclass(frozen=True)
class OrderLineView:
    product_id: uuid.UUID
    product_name: str
    unit_price: Decimal
    quantity: int
    line_total: Decimal


@dataclass(frozen=True)
class PaymentView:
    status: str
    reference: str | None


@dataclass(frozen=True)
class OrderView:
    id: uuid.UUID
    customer_id: uuid.UUID
    status: str
    lines: list[OrderLineView]
    total: Decimal
    currency: str
    shipping_address: AddressView | None
    payment: PaymentView
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, order: Order) -> OrderView:
        return cls(
            id=order.id,
            customer_id=order.customer_id,
            status=order.status.value,
            lines=[OrderLineView(product_id=line.product_id, product_name=line.product_name,
                                 unit_price=line.unit_price.amount, quantity=line.quantity,
                                 line_total=line.line_total.amount) for line in order.lines],
            total=order.total.amount,
            currency=order.currency,
            shipping_address=address_view(order.shipping_address),
            payment=PaymentView(status=order.payment_status.value,
                                reference=order.payment_reference),
            created_at=order.created_at,
            updated_at=order.updated_at,
        )


@dataclass(frozen=True)
class StockView:
    product_id: uuid.UUID
    stock: int
    updated_at: datetime

    @classmethod
    def of(cls, stock: Stock) -> StockView:
        return cls(product_id=stock.product_id, stock=stock.on_hand, updated_at=stock.updated_at)


@dataclass(frozen=True)
class IdempotencyRecord:
    """An Idempotency-Key as stored: whose, the fingerprint of the body, and its order."""

    customer_id: uuid.UUID
    key: str
    request_hash: str
    order_id: uuid.UUID
    created_at: datetime
