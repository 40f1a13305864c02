"""Read side of orders and inventory."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shop.application.inventory.views import StockView
from shop.application.ordering.ports import OrderCriteria
from shop.application.ordering.views import OrderView
from shop.application.paging import Page, PageOf
from shop.infrastructure.db.order_repositories import order_from_rows
from shop.infrastructure.db.schema import order_lines, orders, products, stock
from shop.infrastructure.db.stock_repositories import stock_from_row


class SqlOrderReadModel:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def order(self, order_id: uuid.UUID) -> OrderView | None:
        async with self._engine.connect() as conn:
            views = await self._views(conn, [order_id])
        return views[0] if views else None

    async def orders(self, criteria: OrderCriteria, page: Page) -> PageOf[OrderView]:
        conditions: list[sa.ColumnElement[bool]] = []
        if criteria.customer_id is not None:
            conditions.append(orders.c.customer_id == criteria.customer_id)
        if criteria.status is not None:
            conditions.append(orders.c.status == criteria.status)
        async with self._engine.connect() as conn:
            total = (await conn.execute(
                sa.select(sa.func.count()).select_from(orders).where(*conditions))).scalar_one()
            ids = [row.id for row in await conn.execute(
                sa.select(orders.c.id).where(*conditions)
                .order_by(orders.c.created_at.desc(), orders.c.id.desc())
                .limit(page.limit).offset(page.offset))]
            items = await self._views(conn, ids)
        return PageOf(items=items, total=total, limit=page.limit, offset=page.offset)

    async def _views(self, conn: AsyncConnection, ids: list[uuid.UUID]) -> list[OrderView]:
        if not ids:
            return []
        rows = {row.id: row for row in await conn.execute(
            sa.select(orders).where(orders.c.id.in_(ids)))}
        lines: dict[uuid.UUID, list[Any]] = defaultdict(list)
        for line in await conn.execute(
            sa.select(order_lines).where(order_lines.c.order_id.in_(ids))
        ):
            lines[line.order_id].append(line)
        return [OrderView.of(order_from_rows(rows[i], lines[i])) for i in ids if i in rows]


class SqlInventoryReadModel:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def stock(self, product_id: uuid.UUID) -> StockView | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(
                sa.select(stock.c.on_hand, stock.c.version, stock.c.updated_at)
                .select_from(stock.join(products, products.c.id == stock.c.product_id))
                .where(stock.c.product_id == product_id, products.c.deleted_at.is_(None))
            )).first()
        return None if row is None else StockView.of(stock_from_row(product_id, row))
