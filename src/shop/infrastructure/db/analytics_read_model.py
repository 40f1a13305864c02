"""Reads of the analytics projections: the summary's figures and the demand history.

Only the `analytics_*` tables are read here, never `orders`: a window costs a
few dozen daily rows whatever the number of orders behind them.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from shop.application.analytics.figures import ProductSales, SalesFigures
from shop.application.analytics.ports import DaySales, ProductStock, ProductTotal
from shop.application.analytics.tracked_order import TrackedOrder
from shop.infrastructure.db import schema
from shop.infrastructure.db.analytics_projections import tracked_order_of

sales = schema.analytics_sales_daily
product_sales = schema.analytics_product_sales_daily
stock = schema.analytics_product_stock


class SqlAnalyticsReadModel:
    """`AnalyticsReadModel` and `ProductSalesHistory` over the projection tables."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def sales_by_day(self, currency: str, first: date, last: date) -> list[DaySales]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                sa.select(sales.c.day, sales.c.revenue_minor, sales.c.orders, sales.c.units)
                .where(sales.c.currency == currency, sales.c.day.between(first, last))
                .order_by(sales.c.day))
            return [DaySales(day=row.day, figures=SalesFigures(row.revenue_minor, row.orders,
                                                               row.units))
                    for row in rows]

    async def status_counts(self, first: date, last: date) -> dict[str, int]:
        table = schema.analytics_orders_by_status_daily
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                sa.select(table.c.status, sa.func.sum(table.c.orders).label("orders"))
                .where(table.c.day.between(first, last))
                .group_by(table.c.status))
            return {row.status: int(row.orders) for row in rows}

    async def product_totals(self, currency: str, first: date, last: date,
                             limit: int | None) -> list[ProductTotal]:
        revenue = sa.func.sum(product_sales.c.revenue_minor).label("revenue_minor")
        units = sa.func.sum(product_sales.c.units).label("units")
        query = (sa.select(product_sales.c.product_id, units, revenue)
                 .where(product_sales.c.currency == currency,
                        product_sales.c.day.between(first, last))
                 .group_by(product_sales.c.product_id)
                 .having(units > 0)
                 .order_by(revenue.desc(), units.desc(), product_sales.c.product_id))
        if limit is not None:
            query = query.limit(limit)
        async with self._engine.connect() as conn:
            return [ProductTotal(row.product_id, ProductSales(int(row.units),
                                                              int(row.revenue_minor)))
                    for row in await conn.execute(query)]

    async def orders_placed(self, start: datetime, end: datetime) -> list[TrackedOrder]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(
                sa.select(schema.analytics_orders)
                .where(schema.analytics_orders.c.placed_at >= start,
                       schema.analytics_orders.c.placed_at < end)
            )).all()
            lines: dict[uuid.UUID, list[sa.Row[tuple[object, ...]]]] = defaultdict(list)
            if rows:
                placed_in_span = (sa.select(schema.analytics_orders.c.order_id)
                                  .where(schema.analytics_orders.c.placed_at >= start,
                                         schema.analytics_orders.c.placed_at < end))
                for line in await conn.execute(
                    sa.select(schema.analytics_order_lines)
                    .where(schema.analytics_order_lines.c.order_id.in_(placed_in_span))
                    .order_by(schema.analytics_order_lines.c.order_id,
                              schema.analytics_order_lines.c.line_no)
                ):
                    lines[line.order_id].append(line)
        return [tracked_order_of(row, lines[row.order_id]) for row in rows]

    async def product_names(self, product_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
        if not product_ids:
            return {}
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                sa.select(stock.c.product_id, stock.c.name)
                .where(stock.c.product_id.in_(list(product_ids)), stock.c.name.is_not(None)))
            return {row.product_id: row.name for row in rows}

    async def low_stock(self, threshold: int, limit: int) -> list[ProductStock]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                sa.select(stock)
                .where(stock.c.stock <= threshold, stock.c.deleted.is_(False),
                       stock.c.name.is_not(None))
                .order_by(stock.c.stock, stock.c.name, stock.c.product_id)
                .limit(limit))
            return [ProductStock(product_id=row.product_id, name=row.name, stock=row.stock,
                                 deleted=row.deleted, product_version=row.product_version,
                                 stock_version=row.stock_version) for row in rows]

    async def daily_units(
        self, first: date, last: date, product_ids: Sequence[uuid.UUID] | None = None
    ) -> dict[uuid.UUID, dict[date, int]]:
        query = (sa.select(product_sales.c.product_id, product_sales.c.day,
                           sa.func.sum(product_sales.c.units).label("units"))
                 .where(product_sales.c.day.between(first, last))
                 .group_by(product_sales.c.product_id, product_sales.c.day))
        if product_ids is not None:
            query = query.where(product_sales.c.product_id.in_(list(product_ids)))
        history: dict[uuid.UUID, dict[date, int]] = defaultdict(dict)
        async with self._engine.connect() as conn:
            for row in await conn.execute(query):
                if row.units:
                    history[row.product_id][row.day] = int(row.units)
        return dict(history)
