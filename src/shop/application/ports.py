"""The ports the use cases depend on. Adapters in `shop.infrastructure` implement them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from shop.application.catalog.views import (
    CategoryView,
    Page,
    PageOf,
    ProductFilter,
    ProductView,
)
from shop.application.customers.ports import (
    CustomerRepository,
    PasswordResetTokenRepository,
    RefreshTokenRepository,
)
from shop.application.ordering.ports import IdempotencyRepository, OrderRepository
from shop.domain.catalog.category import Category
from shop.domain.catalog.product import Product
from shop.domain.inventory.stock import Stock
from shop.domain.shared.events import DomainEvent


class Clock(Protocol):
    def now(self) -> datetime: ...


class CategoryRepository(Protocol):
    async def add(self, category: Category) -> None: ...
    async def get(self, category_id: uuid.UUID) -> Category | None: ...
    async def save(self, category: Category) -> None: ...
    async def remove(self, category: Category) -> None: ...
    async def lineage(self, category_id: uuid.UUID) -> list[uuid.UUID]:
        """The category's id followed by the ids of all its ancestors, up to a root."""
        ...
    async def has_children(self, category_id: uuid.UUID) -> bool: ...
    async def has_products(self, category_id: uuid.UUID) -> bool: ...


class ProductRepository(Protocol):
    async def add(self, product: Product) -> None: ...
    async def get(self, product_id: uuid.UUID) -> Product | None:
        """The product if it is in the catalog (deleted products are not)."""
        ...
    async def save(self, product: Product) -> None:
        """Persist changes; raises ConcurrentModification if someone saved a newer version first."""
        ...
    async def remove(self, product: Product) -> None: ...
    async def sku_taken(self, sku: str, *, other_than: uuid.UUID | None = None) -> bool: ...


class StockRepository(Protocol):
    async def add(self, stock: Stock) -> None: ...
    async def get(self, product_id: uuid.UUID) -> Stock | None: ...
    async def apply_delta(self, product_id: uuid.UUID, delta: int, now: datetime) -> Stock | None:
        """Move stock atomically, only if it stays >= 0; None if it would not (or no row).

        Implementations use one conditional UPDATE so that the rule holds across
        any number of concurrent transactions and processes.
        """
        ...
    async def set_level(
        self, product_id: uuid.UUID, on_hand: int, now: datetime
    ) -> tuple[Stock, int] | None:
        """Set the level outright; the new state and the delta it made (None: no such row)."""
        ...


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
    def record(self, event: DomainEvent) -> None:
        """Record an event not carried by an aggregate the repositories saw."""
        ...
    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...
    def committed_events(self) -> list[DomainEvent]: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


class ProductCache(Protocol):
    """Cache-aside store of product views.

    Entries are versioned: a put never replaces a newer view, and an
    invalidation leaves a marker so a slow reader cannot put back an older one.
    """

    async def get(self, product_id: uuid.UUID) -> ProductView | None: ...
    async def put(self, view: ProductView) -> None: ...
    async def invalidate(
        self,
        product_id: uuid.UUID,
        *,
        product_version: int = 0,
        stock_version: int = 0,
    ) -> None: ...
    async def invalidate_listings(self) -> None:
        """Lists of products or categories changed (a product created, a category changed):
        cached list pages, if the cache keeps any, are dropped."""
        ...


class CatalogReadModel(Protocol):
    """Read side of the catalog: answers queries straight from storage."""

    async def product(self, product_id: uuid.UUID) -> ProductView | None: ...
    async def products(self, criteria: ProductFilter, page: Page) -> PageOf[ProductView]: ...
    async def category(self, category_id: uuid.UUID) -> CategoryView | None: ...
    async def categories(self, page: Page) -> PageOf[CategoryView]: ...
    async def all_categories(self) -> Sequence[CategoryView]: ...
