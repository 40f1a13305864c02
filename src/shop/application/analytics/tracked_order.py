"""An order as the analytics projections know it, and what it adds to them.

The projections follow each order through its events: `OrderPlaced` brings
what was bought and when, `OrderPaid`, `OrderShipped` and `OrderCancelled`
move its status. The status only ever moves forward (Pending -> Paid ->
Shipped, or to Cancelled), so an event delivered late, or twice, or a
rebuild that already saw the order's latest state, leaves the order where it
is: the projections converge on the orders table whatever the delivery order.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from shop.application.analytics.figures import (
    ProductSales,
    ProductSalesKey,
    ProjectionFigures,
    SalesFigures,
)

PENDING, PAID, SHIPPED, CANCELLED = "Pending", "Paid", "Shipped", "Cancelled"
STATUSES: tuple[str, ...] = (PENDING, PAID, SHIPPED, CANCELLED)
REVENUE_STATUSES = frozenset({PAID, SHIPPED})
"""Only money that was taken and kept counts: a cancelled (refunded) order leaves revenue."""

_PROGRESS = {PENDING: 0, PAID: 1, SHIPPED: 2, CANCELLED: 2}
_FINAL = frozenset({SHIPPED, CANCELLED})


def later_status(current: str, incoming: str) -> str:
    """The status an order is in once both were seen, in whatever order they arrived."""
    if current in _FINAL:
        return current
    return incoming if _PROGRESS[incoming] > _PROGRESS[current] else current


@dataclass(frozen=True)
class TrackedLine:
    """An order line as the sales projection keeps it: enough to count units and revenue
    per product without reading the orders table again."""

    product_id: uuid.UUID
    quantity: int
    revenue_minor: int
    """The line total in minor units: unit price times quantity, as charged."""


@dataclass(frozen=True)
class Placement:
    """What `OrderPlaced` tells: when, in which currency, what for how much."""

    placed_at: datetime
    currency: str
    total_minor: int
    lines: tuple[TrackedLine, ...]

    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.lines)


@dataclass(frozen=True)
class TrackedOrder:
    """An order's status and, once `OrderPlaced` was seen, its placement."""

    order_id: uuid.UUID
    status: str
    placement: Placement | None = None

    @classmethod
    def unseen(cls, order_id: uuid.UUID) -> TrackedOrder:
        return cls(order_id=order_id, status=PENDING)

    def moved_to(self, status: str) -> TrackedOrder:
        return replace(self, status=later_status(self.status, status))

    def placed(self, placement: Placement) -> TrackedOrder:
        return replace(self, placement=self.placement or placement)

    def contribution(self) -> ProjectionFigures:
        """What this order adds to the projections in its current status (dated by placement)."""
        if self.placement is None:
            return ProjectionFigures()
        placement = self.placement
        day = placement.placed_at.astimezone(UTC).date()
        statuses = {(day, self.status): 1}
        if self.status not in REVENUE_STATUSES:
            return ProjectionFigures(statuses=statuses)
        sales = {(day, placement.currency):
                 SalesFigures(placement.total_minor, 1, placement.units)}
        product_sales: dict[ProductSalesKey, ProductSales] = {}
        for line in placement.lines:
            key = (day, line.product_id, placement.currency)
            product_sales[key] = (product_sales.get(key, ProductSales())
                                  + ProductSales(line.quantity, line.revenue_minor))
        return ProjectionFigures(sales=sales, product_sales=product_sales, statuses=statuses)


def change_between(before: TrackedOrder | None, after: TrackedOrder) -> ProjectionFigures:
    """What the projections must add so they reflect `after` instead of `before`."""
    if before is None:
        return after.contribution()
    return after.contribution() - before.contribution()

