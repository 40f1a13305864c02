"""Ports of the ordering context."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from shop.application.ordering.views import OrderView
from shop.application.paging import Page, PageOf
from shop.domain.ordering.order import Order
from shop.domain.shared.money import Money


@dataclass(frozen=True)
class Charge:
    reference: str


class PaymentGateway(Protocol):
    """A card processor. Every call is idempotent by its key (the order id)."""

    async def charge(self, *, idempotency_key: str, amount: Money, token: str) -> Charge:
        """Capture the amount; raises PaymentDeclined or PaymentUnavailable."""
        ...

    async def find_charge(self, idempotency_key: str) -> Charge | None:
        """The captured charge made with this key, if any; raises PaymentUnavailable."""
        ...

    async def refund(self, *, idempotency_key: str, charge: Charge, amount: Money) -> None:
        """Give the money back; raises PaymentUnavailable."""
        ...


class OrderRepository(Protocol):
    async def add(self, order: Order) -> None: ...
    async def get(self, order_id: uuid.UUID) -> Order | None: ...
    async def save(self, order: Order) -> None:
        """Persist changes; raises ConcurrentModification if saved by someone else first."""
        ...
    def attach(self, order: Order) -> None:
        """Take an order this caller read or placed in an earlier transaction as loaded:
        the next `save` writes only over the version it has now (else
        ConcurrentModification), without reading it again."""
        ...
    async def pending_since(self, before: datetime, limit: int) -> Sequence[uuid.UUID]:
        """Orders still Pending that were placed before `before` (left by a crash)."""
        ...
    async def awaiting_refund(self, limit: int) -> Sequence[uuid.UUID]:
        """Cancelled orders whose refund has not gone through yet."""
        ...


@dataclass(frozen=True)
class IdempotencyRecord:
    """An Idempotency-Key as stored: whose, the fingerprint of the body, and its order."""

    customer_id: uuid.UUID
    key: str
    request_hash: str
    order_id: uuid.UUID
    created_at: datetime


class IdempotencyRepository(Protocol):
    async def claim(self, record: IdempotencyRecord) -> IdempotencyRecord | None:
        """Store the key for this customer; returns the earlier record if it already exists."""
        ...
    async def find(self, customer_id: uuid.UUID, key: str) -> IdempotencyRecord | None: ...


@dataclass(frozen=True)
class OrderCriteria:
    customer_id: uuid.UUID | None = None
    status: str | None = None


class OrderReadModel(Protocol):
    async def order(self, order_id: uuid.UUID) -> OrderView | None: ...
    async def orders(self, criteria: OrderCriteria, page: Page) -> PageOf[OrderView]: ...
