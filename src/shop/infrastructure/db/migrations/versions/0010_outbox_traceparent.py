"""The trace of the request that wrote each outbox event (W3C `traceparent`).

Revision ID: 0010_outbox_traceparent
Revises: 0009_notifications
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_outbox_traceparent"
down_revision = "0009_notifications"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("traceparent", sa.String(55), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("traceparent")
