"""Product embeddings and each backend's full-text index of the products.

SQLite: an FTS5 table (Unicode tokenizer without diacritics, Porter stemming)
kept current by triggers on `products`. A later migration that rebuilds
`products` in batch mode drops those triggers with the old table: it must
create them again (`create_sqlite_search_triggers`).
PostgreSQL: a GIN index on the weighted tsvector expression the keyword search
queries (`PG_DOCUMENT`), maintained by PostgreSQL itself.
SQL Server and others: no index here; the keyword search uses its portable
fallback (see `shop.infrastructure.db.keyword_search`).

Revision ID: 0011_ai_search
Revises: 0010_outbox_traceparent
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shop.infrastructure.db.keyword_search import (
    PG_DOCUMENT,
    SQLITE_SEARCH_TABLE_DDL,
    create_sqlite_search_triggers,
)
from shop.infrastructure.db.types import UTCDateTime

revision = "0011_ai_search"
down_revision = "0010_outbox_traceparent"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "product_embeddings",
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("model_id", sa.Unicode(200), nullable=False),
        sa.Column("product_version", sa.Integer(), nullable=False),
        sa.Column("dimension", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"],
                                name="fk_product_embeddings_product_id_products"),
        sa.PrimaryKeyConstraint("product_id", name="pk_product_embeddings"),
    )
    op.create_index("ix_product_embeddings_updated_at", "product_embeddings", ["updated_at"])
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(SQLITE_SEARCH_TABLE_DDL)
        create_sqlite_search_triggers(op.execute)
        op.execute("INSERT INTO product_search (product_id, name, description) "
                   "SELECT id, name, description FROM products")
    elif dialect == "postgresql":
        op.execute("CREATE INDEX ix_products_search_document ON products "
                   f"USING gin ({PG_DOCUMENT})")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in ("product_search_insert", "product_search_update", "product_search_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS product_search")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_products_search_document")
    op.drop_index("ix_product_embeddings_updated_at", table_name="product_embeddings")
    op.drop_table("product_embeddings")
