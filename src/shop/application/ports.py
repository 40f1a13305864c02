"""The ports every context shares: the unit of work over all repositories, and the clock.

Each context's own ports live in its package (`catalog/ports.py`,
`inventory/ports.py`, ...); adapters in `shop.infrastructure` implement them.
"""

from __future__ import annotations

from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from shop.application.catalog.ports import CategoryRepository, ProductRepository
from shop.application.customers.ports import (
    CustomerRepository,
    PasswordResetTokenRepository,
    RefreshTokenRepository,
)
from shop.application.inventory.ports import StockRepository
from shop.application.ordering.ports import IdempotencyRepository, OrderRepository
from shop.domain.shared.events import DomainEvent


class Clock(Protocol):
    def now(self) -> datetime: ...


class UnitOfWork(Protocol):
    """One database transaction with the repositories that work inside it.

    `commit` writes the aggregates and the events they recorded (as outbox rows)
    atomically; `committed_events` then hands those events to the message bus.
    """

    categories: CategoryRepository
    products: ProductRepository
    stock: StockRepository
    customers: CustomerRepository
    refresh_tokens: RefreshTokenRepository
    password_resets: PasswordResetTokenRepository
    orders: OrderRepository
    idempotency: IdempotencyRepository

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...
    def committed_events(self) -> list[DomainEvent]: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...
