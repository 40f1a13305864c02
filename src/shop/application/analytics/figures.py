"""What the analytics projections add up: sales per day, per product per day, orders per status.

Every projection change is expressed as `ProjectionFigures`, a sparse set of
signed amounts keyed by day. A consumer applies the difference between an
order's contribution before and after an event; the rebuild adds up every
order's contribution; the summary adds the contributions of orders on the
window's partial days to the stored whole days. One arithmetic, so live,
rebuilt and partial figures cannot drift apart. Money is integer minor units.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

K = TypeVar("K")


@dataclass(frozen=True)
class SalesFigures:
    """Revenue (minor units), orders and units of one day in one currency."""

    revenue_minor: int = 0
    orders: int = 0
    units: int = 0

    def __add__(self, other: SalesFigures) -> SalesFigures:
        return SalesFigures(self.revenue_minor + other.revenue_minor,
                            self.orders + other.orders, self.units + other.units)

    def __neg__(self) -> SalesFigures:
        return SalesFigures(-self.revenue_minor, -self.orders, -self.units)

    @property
    def is_zero(self) -> bool:
        return self.revenue_minor == 0 and self.orders == 0 and self.units == 0


@dataclass(frozen=True)
class ProductSales:
    """Units and revenue (minor units) of one product on one day in one currency."""

    units: int = 0
    revenue_minor: int = 0

    def __add__(self, other: ProductSales) -> ProductSales:
        return ProductSales(self.units + other.units, self.revenue_minor + other.revenue_minor)

    def __neg__(self) -> ProductSales:
        return ProductSales(-self.units, -self.revenue_minor)

    @property
    def is_zero(self) -> bool:
        return self.units == 0 and self.revenue_minor == 0


SalesKey = tuple[date, str]
"""(day, currency)"""
ProductSalesKey = tuple[date, uuid.UUID, str]
"""(day, product id, currency)"""
StatusKey = tuple[date, str]
"""(day the order was placed, status)"""


V = TypeVar("V", SalesFigures, ProductSales, int)


def _add_into(target: dict[K, V], source: Mapping[K, V], zero: V) -> None:
    """Add `source` into `target` key by key, dropping rows that come to zero."""
    for key, value in source.items():
        total = target.get(key, zero) + value
        if total == zero:
            target.pop(key, None)
        else:
            target[key] = total


@dataclass(frozen=True)
class ProjectionFigures:
    """A sparse, signed amount for each projection row it touches (zero rows are left out)."""

    sales: Mapping[SalesKey, SalesFigures] = field(default_factory=dict)
    product_sales: Mapping[ProductSalesKey, ProductSales] = field(default_factory=dict)
    statuses: Mapping[StatusKey, int] = field(default_factory=dict)

    def __add__(self, other: ProjectionFigures) -> ProjectionFigures:
        total = FiguresAccumulator()
        total.add(self)
        total.add(other)
        return total.result()

    def __neg__(self) -> ProjectionFigures:
        return ProjectionFigures(
            sales={key: -value for key, value in self.sales.items()},
            product_sales={key: -value for key, value in self.product_sales.items()},
            statuses={key: -value for key, value in self.statuses.items()},
        )

    def __sub__(self, other: ProjectionFigures) -> ProjectionFigures:
        return self + (-other)

    @property
    def is_zero(self) -> bool:
        return not (self.sales or self.product_sales or self.statuses)


class FiguresAccumulator:
    """Adds up many contributions in place: the rebuild's and the summary's running total.

    `ProjectionFigures` is immutable (a consumer's delta must not change under
    it); summing 100,000 orders through `+` would copy the maps each time.
    """

    def __init__(self) -> None:
        self.sales: dict[SalesKey, SalesFigures] = {}
        self.product_sales: dict[ProductSalesKey, ProductSales] = {}
        self.statuses: dict[StatusKey, int] = {}

    def add(self, figures: ProjectionFigures) -> None:
        _add_into(self.sales, figures.sales, SalesFigures())
        _add_into(self.product_sales, figures.product_sales, ProductSales())
        _add_into(self.statuses, figures.statuses, 0)

    def result(self) -> ProjectionFigures:
        return ProjectionFigures(sales=dict(self.sales), product_sales=dict(self.product_sales),
                                 statuses=dict(self.statuses))
