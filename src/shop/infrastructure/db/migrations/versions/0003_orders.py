"""Orders, their lines, and Idempotency-Keys.

Revision ID: 0003_orders
Revises: 0002_customers
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shop.infrastructure.db.types import UTCDateTime

revision = "0003_orders"
down_revision = "0002_customers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("ship_line1", sa.Unicode(200), nullable=True),
        sa.Column("ship_line2", sa.Unicode(200), nullable=True),
        sa.Column("ship_city", sa.Unicode(100), nullable=True),
        sa.Column("ship_postal_code", sa.Unicode(20), nullable=True),
        sa.Column("ship_country", sa.String(2), nullable=True),
        sa.Column("payment_status", sa.String(16), nullable=False),
        sa.Column("payment_reference", sa.Unicode(100), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name="fk_orders_customer_id_customers"),
        sa.PrimaryKeyConstraint("id", name="pk_orders"),
    )
    op.create_index("ix_orders_customer_id_created_at", "orders", ["customer_id", "created_at"])
    op.create_index("ix_orders_status_created_at", "orders", ["status", "created_at"])
    op.create_index("ix_orders_created_at", "orders", ["created_at"])
    op.create_table(
        "order_lines",
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("line_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("product_name", sa.Unicode(200), nullable=False),
        sa.Column("unit_price_minor", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name="ck_order_lines_quantity_positive"),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"],
                                name="fk_order_lines_order_id_orders"),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"],
                                name="fk_order_lines_product_id_products"),
        sa.PrimaryKeyConstraint("order_id", "line_no", name="pk_order_lines"),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.Unicode(255), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name="fk_idempotency_keys_customer_id_customers"),
        sa.PrimaryKeyConstraint("customer_id", "key", name="pk_idempotency_keys"),
    )


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    op.drop_table("order_lines")
    op.drop_table("orders")
