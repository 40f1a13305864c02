"""The co-purchase projection behind the recommendations.

Revision ID: 0012_co_purchases
Revises: 0011_ai_search
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shop.infrastructure.db.types import UTCDateTime

revision = "0012_co_purchases"
down_revision = "0011_ai_search"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "purchased_orders",
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("paid_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("order_id", name="pk_purchased_orders"),
    )
    op.create_index("ix_purchased_orders_customer_id", "purchased_orders", ["customer_id"])
    op.create_table(
        "purchased_lines",
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("paid_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("order_id", "product_id", name="pk_purchased_lines"),
    )
    op.create_index("ix_purchased_lines_customer_id_paid_at", "purchased_lines",
                    ["customer_id", "paid_at"])
    op.create_table(
        "product_purchases",
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("product_id", name="pk_product_purchases"),
    )
    op.create_table(
        "co_purchases",
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("other_id", sa.Uuid(), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("product_id", "other_id", name="pk_co_purchases"),
    )


def downgrade() -> None:
    op.drop_table("co_purchases")
    op.drop_table("product_purchases")
    op.drop_index("ix_purchased_lines_customer_id_paid_at", table_name="purchased_lines")
    op.drop_table("purchased_lines")
    op.drop_index("ix_purchased_orders_customer_id", table_name="purchased_orders")
    op.drop_table("purchased_orders")
