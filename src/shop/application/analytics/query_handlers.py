"""`GetSalesSummaryHandler`: the dashboard's figures, from the projections only.

Whole days come from the daily projections; the partial days at a
timestamp window's edges come from the tracked orders placed in them, added
up with the same arithmetic the projections use.

Answers are kept per window for `cache_seconds`, so a dashboard open in many
browsers (or a benchmark) costs the database one summary per window and
period. Concurrent requests for a window being computed share that one
computation; once an answer is older than `cache_seconds` (but younger than
`stale_seconds`) it is still answered while one fresh computation runs in the
background, so requests never queue behind the database.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from shop.application.analytics.figures import (
    FiguresAccumulator,
    ProductSales,
    ProjectionFigures,
    SalesFigures,
)
from shop.application.analytics.ports import AnalyticsReadModel, ProductTotal
from shop.application.analytics.queries import GetSalesSummary
from shop.application.analytics.tracked_order import STATUSES
from shop.application.analytics.views import (
    DayRevenue,
    LowStockProduct,
    SalesSummary,
    TopProduct,
)
from shop.application.analytics.window import SalesWindow
from shop.application.ports import Clock
from shop.domain.shared.money import Money, validate_currency

UNKNOWN_PRODUCT = "(unknown product)"
CACHED_WINDOWS = 64

log = logging.getLogger("shop.analytics")

WindowKey = tuple[datetime, datetime, str]


@dataclass(frozen=True)
class SummaryPolicy:
    low_stock_threshold: int = 5
    top_products: int = 10
    low_stock_products: int = 10
    cache_seconds: float = 0.5
    stale_seconds: float = 5.0
    """Up to this age an expired answer is still given while a fresh one is computed."""


@dataclass(frozen=True)
class _Cached:
    computed_at: datetime
    summary: SalesSummary


class GetSalesSummaryHandler:
    def __init__(self, read_model: AnalyticsReadModel, clock: Clock,
                 policy: SummaryPolicy | None = None) -> None:
        self._read = read_model
        self._clock = clock
        self._policy = policy or SummaryPolicy()
        self._cache: OrderedDict[WindowKey, _Cached] = OrderedDict()
        self._computing: dict[WindowKey, asyncio.Future[SalesSummary]] = {}

    async def __call__(self, query: GetSalesSummary) -> SalesSummary:
        currency = validate_currency(query.currency)
        now = self._clock.now()
        window = SalesWindow.resolve(query.start, query.end, now)
        if self._policy.cache_seconds <= 0:
            return await self._summary(window, currency)
        key = (window.start, window.end, currency)
        cached = self._cache.get(key)
        if cached is not None:
            age = now - cached.computed_at
            if age < timedelta(seconds=self._policy.cache_seconds):
                return cached.summary
            if age < timedelta(seconds=self._policy.stale_seconds):
                self._compute_once(key, window)
                return cached.summary
        return await asyncio.shield(self._compute_once(key, window))

    def _compute_once(self, key: WindowKey, window: SalesWindow) -> asyncio.Future[SalesSummary]:
        """The window's computation in flight, started if there is none."""
        running = self._computing.get(key)
        if running is None:
            running = asyncio.ensure_future(self._compute_and_keep(key, window))
            self._computing[key] = running
            running.add_done_callback(lambda done: self._finished(key, done))
        return running

    async def _compute_and_keep(self, key: WindowKey, window: SalesWindow) -> SalesSummary:
        computed_at = self._clock.now()
        summary = await self._summary(window, key[2])
        self._cache[key] = _Cached(computed_at, summary)
        self._cache.move_to_end(key)
        while len(self._cache) > CACHED_WINDOWS:
            self._cache.popitem(last=False)
        return summary

    def _finished(self, key: WindowKey, done: asyncio.Future[SalesSummary]) -> None:
        self._computing.pop(key, None)
        if not done.cancelled() and done.exception() is not None:
            log.warning("computing an analytics summary failed", exc_info=done.exception())

    async def _summary(self, window: SalesWindow, currency: str) -> SalesSummary:
        partial = await self._partial_figures(window)
        days, statuses = await self._days_and_statuses(window, currency, partial)
        revenue = sum(figures.revenue_minor for figures in days.values())
        orders = sum(figures.orders for figures in days.values())
        return SalesSummary(
            start=window.start,
            end=window.end,
            currency=currency,
            revenue=Money.from_minor_units(revenue, currency),
            orders_count=orders,
            average_order_value=_average(revenue, orders, currency),
            orders_by_status=statuses,
            top_products=await self._top_products(window, currency, partial),
            low_stock=await self._low_stock(),
            revenue_by_day=[
                DayRevenue(day=day, orders=days.get(day, SalesFigures()).orders,
                           revenue=Money.from_minor_units(
                               days.get(day, SalesFigures()).revenue_minor, currency))
                for day in window.days
            ],
        )

    async def _partial_figures(self, window: SalesWindow) -> ProjectionFigures:
        total = FiguresAccumulator()
        for start, end in window.partial_spans:
            for order in await self._read.orders_placed(start, end):
                total.add(order.contribution())
        return total.result()

    async def _days_and_statuses(
        self, window: SalesWindow, currency: str, partial: ProjectionFigures
    ) -> tuple[dict[date, SalesFigures], dict[str, int]]:
        days: dict[date, SalesFigures] = {
            day: figures for (day, in_currency), figures in partial.sales.items()
            if in_currency == currency}
        statuses = dict.fromkeys(STATUSES, 0)
        for (_, status), count in partial.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
        whole = window.whole_days
        if whole is not None:
            for stored in await self._read.sales_by_day(currency, *whole):
                days[stored.day] = days.get(stored.day, SalesFigures()) + stored.figures
            for status, count in (await self._read.status_counts(*whole)).items():
                statuses[status] = statuses.get(status, 0) + count
        return days, statuses

    async def _top_products(self, window: SalesWindow, currency: str,
                            partial: ProjectionFigures) -> list[TopProduct]:
        limit = self._policy.top_products
        totals: dict[uuid.UUID, ProductSales] = {}
        for (_, product_id, in_currency), sales in partial.product_sales.items():
            if in_currency == currency:
                totals[product_id] = totals.get(product_id, ProductSales()) + sales
        whole = window.whole_days
        if whole is not None:
            # With partial days in play, a product outside the stored top can still win.
            stored_limit = None if totals else limit
            for total in await self._read.product_totals(currency, *whole, stored_limit):
                totals[total.product_id] = (totals.get(total.product_id, ProductSales())
                                            + total.sales)
        ranked = sorted((ProductTotal(product_id, sales)
                         for product_id, sales in totals.items() if sales.units > 0),
                        key=lambda t: (-t.sales.revenue_minor, -t.sales.units, str(t.product_id)))
        best = ranked[:limit]
        names = await self._read.product_names([t.product_id for t in best])
        return [TopProduct(product_id=t.product_id, name=names.get(t.product_id, UNKNOWN_PRODUCT),
                           units=t.sales.units,
                           revenue=Money.from_minor_units(t.sales.revenue_minor, currency))
                for t in best]

    async def _low_stock(self) -> list[LowStockProduct]:
        found = await self._read.low_stock(self._policy.low_stock_threshold,
                                           self._policy.low_stock_products)
        return [LowStockProduct(product_id=p.product_id, name=p.name or UNKNOWN_PRODUCT,
                                stock=p.stock) for p in found]


def _average(revenue_minor: int, orders: int, currency: str) -> Money:
    """Revenue per order, rounded half to even to the cent (exact integer arithmetic)."""
    if orders == 0:
        return Money.zero(currency)
    quotient, remainder = divmod(revenue_minor, orders)
    twice = 2 * remainder
    if twice > orders or (twice == orders and quotient % 2 == 1):
        quotient += 1
    return Money.from_minor_units(quotient, currency)
