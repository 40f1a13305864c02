"""The ports of the analytics context: where projections are kept, read and rebuilt from."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from shop.application.analytics.figures import ProductSales, ProjectionFigures, SalesFigures
from shop.application.analytics.tracked_order import TrackedOrder


@dataclass(frozen=True)
class ProductStock:
    """A product as the stock projection keeps it: its name and its stock on hand."""

    product_id: uuid.UUID
    name: str | None
    stock: int
    deleted: bool = False
    product_version: int = 0
    stock_version: int = 0


class ProjectionSession(Protocol):
    """The projections inside one transaction, the one that records the event as applied."""

    async def tracked_order(self, order_id: uuid.UUID) -> TrackedOrder | None:
        """The order as tracked so far, locked until the transaction ends (None: never seen)."""
        ...

    async def save_order(self, order: TrackedOrder) -> None: ...

    async def add(self, figures: ProjectionFigures) -> None:
        """Add signed amounts to the sales, product-sales and status rows (creating them)."""
        ...

    async def record_stock(self, product_id: uuid.UUID, stock: int, version: int) -> None:
        """Keep `stock` unless a newer stock version is already kept."""
        ...

    async def record_product(self, product_id: uuid.UUID, name: str, version: int) -> None:
        """Keep the product's name unless a newer product version is already kept."""
        ...

    async def record_product_deleted(self, product_id: uuid.UUID, version: int) -> None: ...


ProjectionChange = Callable[[ProjectionSession], Awaitable[None]]


class ProjectionStore(Protocol):
    async def apply_once(self, consumer: str, event_id: uuid.UUID,
                         change: ProjectionChange) -> bool:
        """Run `change` in one transaction that also records `event_id` as applied by
        `consumer`; False (and nothing runs) when that consumer already applied it."""
        ...


@dataclass(frozen=True)
class DaySales:
    """One day's row of the daily sales projection (UTC days)."""

    day: date
    figures: SalesFigures


@dataclass(frozen=True)
class ProductTotal:
    product_id: uuid.UUID
    sales: ProductSales


class AnalyticsReadModel(Protocol):
    """Reads of the projections only: never a scan of the orders table."""

    async def sales_by_day(self, currency: str, first: date, last: date) -> list[DaySales]:
        """Stored days from `first` to `last` inclusive (days without sales are absent)."""
        ...

    async def status_counts(self, first: date, last: date) -> dict[str, int]: ...

    async def product_totals(self, currency: str, first: date, last: date,
                             limit: int | None) -> list[ProductTotal]:
        """Per product over the days, best revenue first (then units); all when no limit."""
        ...

    async def orders_placed(self, start: datetime, end: datetime) -> list[TrackedOrder]:
        """Tracked orders placed in [start, end): the partial days at a window's edges."""
        ...

    async def product_names(self, product_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]: ...

    async def low_stock(self, threshold: int, limit: int) -> list[ProductStock]:
        """Products in the catalog with stock at or under `threshold`, lowest first."""
        ...


class ProductSalesHistory(Protocol):
    """Daily demand per product, for forecasting (read from `analytics_product_sales_daily`)."""

    async def daily_units(
        self, first: date, last: date, product_ids: Sequence[uuid.UUID] | None = None
    ) -> dict[uuid.UUID, dict[date, int]]:
        """Units sold (Paid or Shipped orders, all currencies) per product and day, for the
        days `first`..`last` inclusive; days without sales are absent."""
        ...


@dataclass(frozen=True)
class RebuiltProjections:
    """Everything the projections hold, computed from the orders, products and stock."""

    orders: Sequence[TrackedOrder]
    figures: ProjectionFigures
    products: Sequence[ProductStock]


class AnalyticsSource(Protocol):
    """The write side's tables, as they stand, read to rebuild the projections."""

    async def count_orders(self) -> int: ...

    def orders(self, batch_size: int) -> AsyncIterator[Sequence[TrackedOrder]]:
        """Every order with its lines as it stands now, in batches."""
        ...

    async def products(self) -> list[ProductStock]:
        """Every product ever created (deleted ones marked) with its stock."""
        ...


Recompute = Callable[[AnalyticsSource], Awaitable[RebuiltProjections]]


class ProjectionRebuilder(Protocol):
    async def rebuild(self, recompute: Recompute) -> RebuiltProjections:
        """Hold the projections' write lock, `recompute` them from the source, and swap
        every projection row for the result, all in one transaction.

        Consumers wait meanwhile and then apply their events on top of the rebuilt
        rows, which already reflect them or converge to them (see `tracked_order`).
        """
        ...
