"""The notification records of the NotificationService.

Revision ID: 0009_notifications
Revises: 0008_consumer_positions
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shop.infrastructure.db.types import UTCDateTime

revision = "0009_notifications"
down_revision = "0008_consumer_positions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("recipient", sa.Unicode(254), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("subject", sa.Unicode(300), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("error", sa.UnicodeText(), nullable=True),
        sa.Column("leased_until", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
    )
    op.create_index("ix_notifications_created_at", "notifications", ["created_at"])
    op.create_index("ix_notifications_customer", "notifications", ["customer_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_notifications_customer", table_name="notifications")
    op.drop_index("ix_notifications_created_at", table_name="notifications")
    op.drop_table("notifications")
