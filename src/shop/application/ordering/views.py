"""What ordering queries and commands answer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from shop.application.shared import AddressView
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
        """Lines as captured when the order was placed, whatever the catalog says now."""
        return cls(
            id=order.id,
            customer_id=order.customer_id,
            status=order.status.value,
            lines=[OrderLineView(product_id=line.product_id, product_name=line.product_name,
                                 unit_price=line.unit_price.amount, quantity=line.quantity,
                                 line_total=line.line_total.amount) for line in order.lines],
            total=order.total.amount,
            currency=order.currency,
            shipping_address=(None if order.shipping_address is None
                              else AddressView.of(order.shipping_address)),
            payment=PaymentView(status=order.payment_status.value,
                                reference=order.payment_reference),
            created_at=order.created_at,
            updated_at=order.updated_at,
        )
