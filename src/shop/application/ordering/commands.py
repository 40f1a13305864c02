"""Ordering commands: place, ship, cancel, and settle what a crash left Pending."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from shop.application.messages import Command
from shop.application.ordering.views import OrderView
from shop.application.shared import AddressInput, Principal
from shop.domain.ordering.order import ItemRequest


@dataclass(frozen=True, kw_only=True)
class PlaceOrder(Command[OrderView]):
    customer_id: uuid.UUID
    items: tuple[ItemRequest, ...]
    payment_token: str
    shipping_address: AddressInput | None = None
    idempotency_key: str | None = None
    request_fingerprint: str = field(default="", compare=False)
    """A hash of the request body, compared when an Idempotency-Key comes back."""


@dataclass(frozen=True, kw_only=True)
class ShipOrder(Command[OrderView]):
    order_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class CancelOrder(Command[OrderView]):
    """By its customer or an admin (the principal says which); a Paid order is refunded."""

    order_id: uuid.UUID
    principal: Principal


@dataclass(frozen=True, kw_only=True)
class SettlePendingOrders(Command[int]):
    """Recovery: decide every order a crash left Pending by asking the gateway."""

    older_than_seconds: float = 60.0
    limit: int = 100
