"""The analytics projections' write side: one transaction per event, claimed once.

`SqlProjectionStore.apply_once` records the event in `processed_events` and
runs the consumer's change in the same transaction, so an event is applied
once however often it is delivered. Amounts are added with one multi-row
upsert per table (PostgreSQL and SQLite `ON CONFLICT`, elsewhere update then
insert), rows sorted by key so two concurrent consumers lock them in the same
order and cannot deadlock.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shop.application.analytics.figures import ProjectionFigures
from shop.application.analytics.ports import ProjectionChange
from shop.application.analytics.tracked_order import Placement, TrackedLine, TrackedOrder
from shop.application.ports import Clock
from shop.infrastructure.db import schema
from shop.infrastructure.db.engine import write_transaction
from shop.infrastructure.db.processed_events import claim_event


class SqlProjectionStore:
    def __init__(self, engine: AsyncEngine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    async def apply_once(self, consumer: str, event_id: uuid.UUID,
                         change: ProjectionChange) -> bool:
        async with write_transaction(self._engine) as conn:
            if not await claim_event(conn, consumer, event_id, self._clock.now()):
                return False
            await change(SqlProjectionSession(conn))
        return True


def figure_rows(figures: ProjectionFigures) -> dict[sa.Table, list[dict[str, Any]]]:
    """The rows of each daily table that `figures` touches, sorted by key."""
    return {
        schema.analytics_sales_daily: [
            {"day": day, "currency": currency, "revenue_minor": sales.revenue_minor,
             "orders": sales.orders, "units": sales.units}
            for (day, currency), sales in sorted(figures.sales.items())
        ],
        schema.analytics_product_sales_daily: [
            {"day": day, "product_id": product_id, "currency": currency,
             "units": sales.units, "revenue_minor": sales.revenue_minor}
            for (day, product_id, currency), sales in sorted(
                figures.product_sales.items(), key=lambda item: (item[0][0], str(item[0][1])))
        ],
        schema.analytics_orders_by_status_daily: [
            {"day": day, "status": status, "orders": count}
            for (day, status), count in sorted(figures.statuses.items())
        ],
    }


def order_row(order: TrackedOrder) -> dict[str, Any]:
    placement = order.placement
    return {
        "order_id": order.order_id,
        "status": order.status,
        "placed_at": placement.placed_at if placement else None,
        "currency": placement.currency if placement else None,
        "total_minor": placement.total_minor if placement else None,
    }


def line_rows(order: TrackedOrder) -> list[dict[str, Any]]:
    if order.placement is None:
        return []
    return [{"order_id": order.order_id, "line_no": number, "product_id": line.product_id,
             "quantity": line.quantity, "revenue_minor": line.revenue_minor}
            for number, line in enumerate(order.placement.lines, start=1)]


def tracked_order_of(row: Any, lines: Sequence[Any]) -> TrackedOrder:
    """A tracked order from its `analytics_orders`-shaped row and its line rows."""
    placement = None
    if row.placed_at is not None:
        placement = Placement(
            placed_at=row.placed_at, currency=row.currency, total_minor=row.total_minor,
            lines=tuple(TrackedLine(product_id=line.product_id, quantity=line.quantity,
                                    revenue_minor=line.revenue_minor) for line in lines))
    return TrackedOrder(order_id=row.order_id, status=row.status, placement=placement)


class SqlProjectionSession:
    """`ProjectionSession` on one connection inside the event's transaction."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self._loaded: dict[uuid.UUID, TrackedOrder | None] = {}

    async def tracked_order(self, order_id: uuid.UUID) -> TrackedOrder | None:
        row = (await self._conn.execute(
            sa.select(schema.analytics_orders).where(schema.analytics_orders.c.order_id == order_id)
            .with_for_update())).first()
        order = None
        if row is not None:
            lines = (await self._conn.execute(
                sa.select(schema.analytics_order_lines)
                .where(schema.analytics_order_lines.c.order_id == order_id)
                .order_by(schema.analytics_order_lines.c.line_no))).all()
            order = tracked_order_of(row, lines)
        self._loaded[order_id] = order
        return order

    async def save_order(self, order: TrackedOrder) -> None:
        before = self._loaded.get(order.order_id)
        if before is None:
            await self._conn.execute(sa.insert(schema.analytics_orders).values(order_row(order)))
        else:
            await self._conn.execute(
                sa.update(schema.analytics_orders)
                .where(schema.analytics_orders.c.order_id == order.order_id)
                .values(order_row(order)))
        if order.placement is not None and (before is None or before.placement is None):
            await self._conn.execute(sa.insert(schema.analytics_order_lines), line_rows(order))
        self._loaded[order.order_id] = order

    async def add(self, figures: ProjectionFigures) -> None:
        for table, rows in figure_rows(figures).items():
            if rows:
                await add_amounts(self._conn, table, rows)

    async def record_stock(self, product_id: uuid.UUID, stock: int, version: int) -> None:
        await self._keep_newer(product_id, "stock_version", version, {"stock": stock})

    async def record_product(self, product_id: uuid.UUID, name: str, version: int) -> None:
        await self._keep_newer(product_id, "product_version", version, {"name": name})

    async def record_product_deleted(self, product_id: uuid.UUID, version: int) -> None:
        await self._keep_newer(product_id, "product_version", version, {"deleted": True})

    async def _keep_newer(self, product_id: uuid.UUID, version_column: str, version: int,
                          values: dict[str, Any]) -> None:
        table = schema.analytics_product_stock
        done = await self._conn.execute(
            sa.update(table)
            .where(table.c.product_id == product_id, table.c[version_column] < version)
            .values(**values, **{version_column: version}))
        if done.rowcount:
            return
        exists = await self._conn.scalar(
            sa.select(sa.literal(1)).where(table.c.product_id == product_id))
        if exists is None:
            row = {"product_id": product_id, "name": None, "deleted": False,
                   "product_version": 0, "stock": 0, "stock_version": 0}
            await self._conn.execute(
                sa.insert(table).values({**row, **values, version_column: version}))


async def add_amounts(conn: AsyncConnection, table: sa.Table,
                      rows: Sequence[dict[str, Any]]) -> None:
    """Add each row's amounts to the row with the same key, creating rows that are missing."""
    keys = [column.name for column in table.primary_key.columns]
    amounts = [name for name in rows[0] if name not in keys]
    dialect = conn.dialect.name
    if dialect in {"postgresql", "sqlite"}:
        insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
        statement = insert.values(list(rows))
        await conn.execute(statement.on_conflict_do_update(
            index_elements=keys,
            set_={name: table.c[name] + statement.excluded[name] for name in amounts}))
        return
    for row in rows:
        done = await conn.execute(
            sa.update(table)
            .where(*(table.c[key] == row[key] for key in keys))
            .values({name: table.c[name] + row[name] for name in amounts}))
        if not done.rowcount:
            await conn.execute(sa.insert(table).values(row))
