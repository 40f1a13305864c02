"""The order aggregate: lines captured at order time, and a strict status machine.

Pending -> Paid -> Shipped, and Cancelled from Pending or Paid only. Names
and prices are copied into the lines when the order is placed, so later
catalog edits (or deletions) never change what a customer bought.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from shop.domain.ordering.errors import IllegalTransition
from shop.domain.ordering.events import OrderCancelled, OrderPaid, OrderPlaced, OrderShipped
from shop.domain.shared.address import Address
from shop.domain.shared.errors import InvalidValue
from shop.domain.shared.events import EventRecorder
from shop.domain.shared.money import Money

MAX_LINES = 100
MAX_QUANTITY = 1000


class OrderStatus(enum.StrEnum):
    PENDING = "Pending"
    PAID = "Paid"
    SHIPPED = "Shipped"
    CANCELLED = "Cancelled"


ALLOWED: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING: frozenset({OrderStatus.PAID, OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED}),
    OrderStatus.SHIPPED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"
    CAPTURED = "captured"
    DECLINED = "declined"
    FAILED = "failed"
    REFUND_PENDING = "refund_pending"
    REFUNDED = "refunded"


def check_quantity(quantity: int, field: str = "quantity") -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise InvalidValue(field, "must be a whole number")
    if not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidValue(field, f"must be between 1 and {MAX_QUANTITY}")
    return quantity


@dataclass(frozen=True)
class OrderLine:
    product_id: uuid.UUID
    product_name: str
    unit_price: Money
    quantity: int

    def __post_init__(self) -> None:
        check_quantity(self.quantity)

    @property
    def line_total(self) -> Money:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class ItemRequest:
    """One line as the customer asks for it: what and how many, never a price."""

    product_id: uuid.UUID
    quantity: int


def check_items(items: Sequence[ItemRequest]) -> None:
    """The shape rules of an order request, checked before anything is reserved."""
    if not items:
        raise InvalidValue("items", "an order needs at least one line")
    if len(items) > MAX_LINES:
        raise InvalidValue("items", f"an order has at most {MAX_LINES} lines")
    seen: set[uuid.UUID] = set()
    for index, item in enumerate(items):
        check_quantity(item.quantity, f"items[{index}].quantity")
        if item.product_id in seen:
            raise InvalidValue(f"items[{index}].product_id",
                               "a product may appear only once in an order")
        seen.add(item.product_id)


@dataclass(eq=False)
class Order(EventRecorder):
    id: uuid.UUID
    customer_id: uuid.UUID
    lines: list[OrderLine]
    status: OrderStatus
    currency: str
    shipping_address: Address | None
    created_at: datetime
    updated_at: datetime
    payment_status: PaymentStatus = PaymentStatus.PENDING
    payment_reference: str | None = None
    version: int = 1

    @classmethod
    def place(
        cls,
        *,
        id: uuid.UUID,
        customer_id: uuid.UUID,
        lines: Sequence[OrderLine],
        shipping_address: Address | None,
        now: datetime,
    ) -> Order:
        if not lines:
            raise InvalidValue("items", "an order needs at least one line")
        currencies = {line.unit_price.currency for line in lines}
        if len(currencies) != 1:
            raise InvalidValue("items", "all products of one order must share a currency")
        order = cls(id=id, customer_id=customer_id, lines=list(lines),
                    status=OrderStatus.PENDING, currency=currencies.pop(),
                    shipping_address=shipping_address, created_at=now, updated_at=now)
        order.record(OrderPlaced(
            order_id=id, customer_id=customer_id, status=order.status.value,
            total=str(order.total.amount), currency=order.currency,
            lines=tuple(
                {"product_id": str(line.product_id), "product_name": line.product_name,
                 "unit_price": str(line.unit_price.amount), "quantity": line.quantity,
                 "line_total": str(line.line_total.amount)}
                for line in order.lines
            ),
            placed_at=now,
        ))
        return order

    @property
    def total(self) -> Money:
        total = Money.zero(self.currency)
        for line in self.lines:
            total = total + line.line_total
        return total

    def _move(self, wanted: OrderStatus, now: datetime) -> None:
        if wanted not in ALLOWED[self.status]:
            raise IllegalTransition(self.id, self.status.value, wanted.value)
        self.status = wanted
        self.updated_at = now
        self.version += 1

    def mark_paid(self, reference: str, now: datetime) -> None:
        self._move(OrderStatus.PAID, now)
        self.payment_status = PaymentStatus.CAPTURED
        self.payment_reference = reference
        self.record(OrderPaid(order_id=self.id, customer_id=self.customer_id,
                              status=self.status.value, payment_reference=reference))

    def ship(self, now: datetime) -> None:
        self._move(OrderStatus.SHIPPED, now)
        self.record(OrderShipped(order_id=self.id, customer_id=self.customer_id,
                                 status=self.status.value))

    def cancel(self, reason: str, now: datetime, *,
               payment_status: PaymentStatus | None = None) -> None:
        """Cancel; the caller returns the stock (and refunds first when it was paid)."""
        self._move(OrderStatus.CANCELLED, now)
        if payment_status is not None:
            self.payment_status = payment_status
        self.record(OrderCancelled(order_id=self.id, customer_id=self.customer_id,
                                   status=self.status.value, reason=reason))

    def await_refund(self, reference: str) -> None:
        """A cancelled order's refund failed: it waits, holding the charge a retry refunds.

        Idempotent: an order already waiting to refund that charge is left as it is.
        """
        if self.status is not OrderStatus.CANCELLED:
            raise IllegalTransition(self.id, self.status.value, "refund pending")
        if self.is_awaiting_refund_of(reference):
            return
        self.payment_status = PaymentStatus.REFUND_PENDING
        self.payment_reference = reference
        self.version += 1

    def is_awaiting_refund_of(self, reference: str) -> bool:
        return (self.payment_status, self.payment_reference) == (
            PaymentStatus.REFUND_PENDING, reference)

    def record_refund(self, reference: str, now: datetime) -> None:
        """The money of a cancelled order went back to the card."""
        if self.status is not OrderStatus.CANCELLED:
            raise IllegalTransition(self.id, self.status.value, "refunded")
        self.payment_status = PaymentStatus.REFUNDED
        self.payment_reference = reference
        self.updated_at = now
        self.version += 1

    @property
    def can_be_cancelled(self) -> bool:
        return OrderStatus.CANCELLED in ALLOWED[self.status]

    def check_cancellable(self) -> None:
        """Refuse (409) before anything is asked of the gateway for an order past cancelling."""
        if not self.can_be_cancelled:
            raise IllegalTransition(self.id, self.status.value, OrderStatus.CANCELLED.value)
