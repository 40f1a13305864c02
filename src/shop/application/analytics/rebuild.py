"""`RebuildAnalytics`: recompute every projection from the orders, products and stock.

For a new install over old data, or after a bug in a projection. It adds up
each order's contribution with the same arithmetic the live consumers apply,
so a rebuild over the same orders gives the same figures to the cent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from shop.application.analytics.figures import FiguresAccumulator
from shop.application.analytics.ports import (
    AnalyticsSource,
    ProjectionRebuilder,
    RebuiltProjections,
)
from shop.application.analytics.tracked_order import TrackedOrder

Progress = Callable[[int, int], None]
"""Called with (orders read so far, orders in all) after each batch."""

BATCH_SIZE = 1000


@dataclass(frozen=True)
class RebuildReport:
    orders: int
    products: int


class RebuildAnalytics:
    def __init__(self, rebuilder: ProjectionRebuilder, *, batch_size: int = BATCH_SIZE) -> None:
        self._rebuilder = rebuilder
        self._batch_size = batch_size

    async def __call__(self, progress: Progress | None = None) -> RebuildReport:
        async def recompute(source: AnalyticsSource) -> RebuiltProjections:
            return await self._recompute(source, progress or _silent)

        rebuilt = await self._rebuilder.rebuild(recompute)
        return RebuildReport(orders=len(rebuilt.orders), products=len(rebuilt.products))

    async def _recompute(self, source: AnalyticsSource, progress: Progress) -> RebuiltProjections:
        total = await source.count_orders()
        progress(0, total)
        figures = FiguresAccumulator()
        orders: list[TrackedOrder] = []
        async for batch in source.orders(self._batch_size):
            for order in batch:
                figures.add(order.contribution())
            orders.extend(batch)
            progress(len(orders), max(total, len(orders)))
        return RebuiltProjections(orders=orders, figures=figures.result(),
                                  products=await source.products())


def _silent(done: int, total: int) -> None:
    """No progress display (library use, tests)."""
