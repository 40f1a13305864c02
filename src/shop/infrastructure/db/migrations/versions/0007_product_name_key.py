"""The case-folded search form of product names, so `q` matches alike on every database.

Revision ID: 0007_product_name_key
Revises: 0006_account_security
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shop.domain.catalog.names import search_key

revision = "0007_product_name_key"
down_revision = "0006_account_security"
branch_labels = None
depends_on = None

_products = sa.table("products", sa.column("id", sa.Uuid()), sa.column("name", sa.Unicode(200)),
                     sa.column("name_key", sa.Unicode(800)))


def upgrade() -> None:
    with op.batch_alter_table("products") as batch:
        batch.add_column(sa.Column("name_key", sa.Unicode(800), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.select(_products.c.id, _products.c.name)).all()
    for row in rows:  # folded in Python: the same function the application uses
        connection.execute(sa.update(_products).where(_products.c.id == row.id)
                           .values(name_key=search_key(row.name)))
    with op.batch_alter_table("products") as batch:
        batch.alter_column("name_key", existing_type=sa.Unicode(800), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("products") as batch:
        batch.drop_column("name_key")
