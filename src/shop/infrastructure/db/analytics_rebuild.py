"""Rebuilding the analytics projections from the orders, products and stock tables.

The whole rebuild is one transaction that first takes the projections' write
lock (PostgreSQL: `LOCK TABLE ... IN EXCLUSIVE MODE`, which lets readers of the
dashboard through; SQLite: the database's write lock), so a consumer applying
an event meanwhile waits and then applies it on top of the rebuilt rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shop.application.analytics.ports import ProductStock, RebuiltProjections, Recompute
from shop.application.analytics.tracked_order import Placement, TrackedLine, TrackedOrder
from shop.infrastructure.db import schema
from shop.infrastructure.db.analytics_projections import figure_rows, line_rows, order_row
from shop.infrastructure.db.engine import write_transaction
from shop.infrastructure.db.schema import order_lines, orders, products, stock

PROJECTION_TABLES = (schema.analytics_orders, schema.analytics_order_lines,
                     schema.analytics_sales_daily, schema.analytics_product_sales_daily,
                     schema.analytics_orders_by_status_daily, schema.analytics_product_stock)
INSERT_CHUNK = 5000


class SqlAnalyticsSource:
    """`AnalyticsSource` on the connection of the rebuild's transaction."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def count_orders(self) -> int:
        return int(await self._conn.scalar(sa.select(sa.func.count()).select_from(orders)) or 0)

    async def orders(self, batch_size: int) -> AsyncIterator[Sequence[TrackedOrder]]:
        after = None
        while True:
            query = sa.select(orders.c.id, orders.c.status, orders.c.created_at,
                              orders.c.currency, orders.c.total_minor)
            if after is not None:
                query = query.where(orders.c.id > after)
            rows = (await self._conn.execute(query.order_by(orders.c.id).limit(batch_size))).all()
            if not rows:
                return
            lines = await self._lines([row.id for row in rows])
            yield [TrackedOrder(order_id=row.id, status=row.status, placement=Placement(
                       placed_at=row.created_at, currency=row.currency,
                       total_minor=row.total_minor, lines=tuple(lines[row.id])))
                   for row in rows]
            after = rows[-1].id

    async def _lines(self, order_ids: list[Any]) -> dict[Any, list[TrackedLine]]:
        found: dict[Any, list[TrackedLine]] = defaultdict(list)
        for line in await self._conn.execute(
            sa.select(order_lines.c.order_id, order_lines.c.product_id, order_lines.c.quantity,
                      order_lines.c.unit_price_minor)
            .where(order_lines.c.order_id.in_(order_ids))
            .order_by(order_lines.c.order_id, order_lines.c.line_no)
        ):
            found[line.order_id].append(TrackedLine(
                product_id=line.product_id, quantity=line.quantity,
                revenue_minor=line.unit_price_minor * line.quantity))
        return found

    async def products(self) -> list[ProductStock]:
        rows = await self._conn.execute(
            sa.select(products.c.id, products.c.name, products.c.version,
                      products.c.deleted_at, stock.c.on_hand, stock.c.version.label("sv"))
            .select_from(products.outerjoin(stock, stock.c.product_id == products.c.id)))
        return [ProductStock(product_id=row.id, name=row.name, stock=row.on_hand or 0,
                             deleted=row.deleted_at is not None, product_version=row.version,
                             stock_version=row.sv or 0)
                for row in rows]


class SqlProjectionRebuilder:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def rebuild(self, recompute: Recompute) -> RebuiltProjections:
        async with write_transaction(self._engine) as conn:
            if conn.dialect.name == "postgresql":
                names = ", ".join(table.name for table in PROJECTION_TABLES)
                await conn.execute(sa.text(f"LOCK TABLE {names} IN EXCLUSIVE MODE"))
            rebuilt = await recompute(SqlAnalyticsSource(conn))
            for table in PROJECTION_TABLES:
                await conn.execute(sa.delete(table))
            await _insert(conn, schema.analytics_orders, [order_row(o) for o in rebuilt.orders])
            await _insert(conn, schema.analytics_order_lines,
                          [line for o in rebuilt.orders for line in line_rows(o)])
            for table, rows in figure_rows(rebuilt.figures).items():
                await _insert(conn, table, rows)
            await _insert(conn, schema.analytics_product_stock, [
                {"product_id": p.product_id, "name": p.name, "deleted": p.deleted,
                 "product_version": p.product_version, "stock": p.stock,
                 "stock_version": p.stock_version} for p in rebuilt.products])
        return rebuilt


async def _insert(conn: AsyncConnection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), INSERT_CHUNK):
        await conn.execute(sa.insert(table), rows[start:start + INSERT_CHUNK])
