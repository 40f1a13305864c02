"""The rebuild over orders that never went through the projections (a year written directly)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from shop.application.analytics.rebuild import RebuildAnalytics
from shop.infrastructure.db.analytics_read_model import SqlAnalyticsReadModel
from shop.infrastructure.db.analytics_rebuild import SqlProjectionRebuilder
from shop.infrastructure.db.schema import order_lines, orders

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from sales_history import load_sales_history  # bench/ is not a package

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


async def test_a_rebuild_adds_up_every_paid_and_shipped_order_of_the_tables(
    engine: AsyncEngine,
) -> None:
    loaded = await load_sales_history(engine, orders_count=300, days=60, products_count=12,
                                      now=NOW)
    progress: list[tuple[int, int]] = []

    report = await RebuildAnalytics(SqlProjectionRebuilder(engine), batch_size=100)(
        lambda done, total: progress.append((done, total)))

    assert report.orders == loaded.orders == 300
    assert progress[0] == (0, 300) and progress[-1] == (300, 300)
    async with engine.connect() as conn:
        counted = orders.c.status.in_(["Paid", "Shipped"])
        revenue = await conn.scalar(sa.select(sa.func.sum(orders.c.total_minor)).where(counted))
        units = await conn.scalar(
            sa.select(sa.func.sum(order_lines.c.quantity))
            .select_from(order_lines.join(orders, orders.c.id == order_lines.c.order_id))
            .where(counted))
    read = SqlAnalyticsReadModel(engine)
    days = await read.sales_by_day("USD", (NOW - timedelta(days=61)).date(), NOW.date())
    assert sum(day.figures.revenue_minor for day in days) == revenue
    assert sum(day.figures.units for day in days) == units
    history = await read.daily_units((NOW - timedelta(days=61)).date(), NOW.date())
    assert sum(sum(per_day.values()) for per_day in history.values()) == units
    assert set(history) <= set(loaded.product_ids)
