"""The embedded consumer runtime's read positions in the outbox and its dead letters.

Revision ID: 0008_consumer_positions
Revises: 0007_product_name_key
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shop.infrastructure.db.types import UTCDateTime, big_int_pk

revision = "0008_consumer_positions"
down_revision = "0007_product_name_key"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consumer_positions",
        sa.Column("consumer", sa.String(100), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("consumer", name="pk_consumer_positions"),
    )
    op.create_table(
        "dead_letters",
        sa.Column("id", big_int_pk(), autoincrement=True, nullable=False),
        sa.Column("consumer", sa.String(100), nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("occurred_at", sa.String(40), nullable=False),
        sa.Column("payload", sa.UnicodeText(), nullable=False),
        sa.Column("error", sa.UnicodeText(), nullable=False),
        sa.Column("deliveries", sa.Integer(), nullable=False),
        sa.Column("failed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dead_letters"),
    )


def downgrade() -> None:
    op.drop_table("dead_letters")
    op.drop_table("consumer_positions")
