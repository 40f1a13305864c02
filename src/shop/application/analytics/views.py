"""What the analytics queries answer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from shop.domain.shared.money import Money


@dataclass(frozen=True)
class DayRevenue:
    day: date
    revenue: Money
    orders: int


@dataclass(frozen=True)
class TopProduct:
    product_id: uuid.UUID
    name: str
    units: int
    revenue: Money


@dataclass(frozen=True)
class LowStockProduct:
    """At or under `SHOP_LOW_STOCK_THRESHOLD`, fewest first."""

    product_id: uuid.UUID
    name: str
    stock: int


@dataclass(frozen=True)
class SalesSummary:
    """Sales of the orders placed in [start, end); only Paid and Shipped orders count."""

    start: datetime
    end: datetime
    currency: str
    revenue: Money
    orders_count: int
    average_order_value: Money
    orders_by_status: dict[str, int]
    top_products: list[TopProduct]
    low_stock: list[LowStockProduct]
    revenue_by_day: list[DayRevenue]
