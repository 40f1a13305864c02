"""Customers and their refresh tokens.

Revision ID: 0002_customers
Revises: 0001_catalog
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shop.infrastructure.db.types import UTCDateTime

revision = "0002_customers"
down_revision = "0001_catalog"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.Unicode(254), nullable=False),
        sa.Column("full_name", sa.Unicode(200), nullable=False),
        sa.Column("phone", sa.Unicode(32), nullable=True),
        sa.Column("ship_line1", sa.Unicode(200), nullable=True),
        sa.Column("ship_line2", sa.Unicode(200), nullable=True),
        sa.Column("ship_city", sa.Unicode(100), nullable=True),
        sa.Column("ship_postal_code", sa.Unicode(20), nullable=True),
        sa.Column("ship_country", sa.String(2), nullable=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_customers"),
        sa.UniqueConstraint("email", name="uq_customers_email"),
    )
    op.create_index("ix_customers_created_at", "customers", ["created_at"])
    op.create_table(
        "refresh_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name="fk_refresh_tokens_customer_id_customers"),
        sa.PrimaryKeyConstraint("id", name="pk_refresh_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_refresh_tokens_token_hash"),
    )
    op.create_index("ix_refresh_tokens_family_id", "refresh_tokens", ["family_id"])
    op.create_index("ix_refresh_tokens_customer_id", "refresh_tokens", ["customer_id"])


def downgrade() -> None:
    op.drop_table("refresh_tokens")
    op.drop_table("customers")
