"""The analytics projections: tracked orders, daily sales, orders by status, product stock.

Revision ID: 0005_analytics
Revises: 0004_processed_events
Create Date: 2026-12-01

Existing installs start with empty projections: `shop analytics rebuild`
fills them from the orders, products and stock already there.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shop.infrastructure.db.types import UTCDateTime

revision = "0005_analytics"
down_revision = "0004_processed_events"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analytics_orders",
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("placed_at", UTCDateTime(), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("total_minor", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("order_id", name="pk_analytics_orders"),
    )
    op.create_index("ix_analytics_orders_placed_at", "analytics_orders", ["placed_at"])
    op.create_table(
        "analytics_order_lines",
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("line_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("revenue_minor", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("order_id", "line_no", name="pk_analytics_order_lines"),
    )
    op.create_table(
        "analytics_sales_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("revenue_minor", sa.BigInteger(), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "currency", name="pk_analytics_sales_daily"),
    )
    op.create_table(
        "analytics_product_sales_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("revenue_minor", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "product_id", "currency",
                                name="pk_analytics_product_sales_daily"),
    )
    op.create_index("ix_analytics_product_sales_daily_product_id_day",
                    "analytics_product_sales_daily", ["product_id", "day"])
    op.create_table(
        "analytics_orders_by_status_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "status", name="pk_analytics_orders_by_status_daily"),
    )
    op.create_table(
        "analytics_product_stock",
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Unicode(200), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("product_version", sa.Integer(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("stock_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("product_id", name="pk_analytics_product_stock"),
    )
    op.create_index("ix_analytics_product_stock_stock", "analytics_product_stock", ["stock"])


def downgrade() -> None:
    for table in ("analytics_product_stock", "analytics_orders_by_status_daily",
                  "analytics_product_sales_daily", "analytics_sales_daily",
                  "analytics_order_lines", "analytics_orders"):
        op.drop_table(table)
