"""The tables. Money is stored as integer minor units so no float ever touches it."""

from __future__ import annotations

import sqlalchemy as sa

from shop.infrastructure.db.types import UTCDateTime, big_int_pk

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING)

categories = sa.Table(
    "categories",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("name", sa.Unicode(200), nullable=False),
    sa.Column("parent_id", sa.Uuid(), sa.ForeignKey("categories.id"), nullable=True, index=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)

_live = sa.text("sku IS NOT NULL AND deleted_at IS NULL")

products = sa.Table(
    "products",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("name", sa.Unicode(200), nullable=False),
    # search_key(name): what `q` is matched against, folded in Python for every backend.
    sa.Column("name_key", sa.Unicode(800), nullable=False),
    sa.Column("description", sa.UnicodeText(), nullable=False),
    sa.Column("price_minor", sa.BigInteger(), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    # Nullable only so a category can be deleted after its products were: live
    # products always have one (the domain requires it).
    sa.Column("category_id", sa.Uuid(), sa.ForeignKey("categories.id"), nullable=True, index=True),
    sa.Column("sku", sa.Unicode(64), nullable=True),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("deleted_at", UTCDateTime(), nullable=True),
    sa.CheckConstraint("price_minor >= 0", name="price_not_negative"),
    sa.Index("ix_products_created_at", "created_at"),
    # A SKU is unique among live products; a deleted product frees its SKU.
    sa.Index(
        "uq_products_live_sku",
        "sku",
        unique=True,
        postgresql_where=_live,
        sqlite_where=_live,
        mssql_where=_live,
    ),
)

stock = sa.Table(
    "stock",
    metadata,
    sa.Column("product_id", sa.Uuid(), sa.ForeignKey("products.id"), primary_key=True),
    sa.Column("on_hand", sa.Integer(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", big_int_pk(), primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.Uuid(), nullable=False, unique=True),
    sa.Column("event_type", sa.String(100), nullable=False),
    sa.Column("aggregate_id", sa.Uuid(), nullable=False),
    sa.Column("occurred_at", UTCDateTime(), nullable=False),
    sa.Column("payload", sa.UnicodeText(), nullable=False),
    sa.Column("published_at", UTCDateTime(), nullable=True),
    sa.Column("traceparent", sa.String(55), nullable=True),
    sa.Index("ix_outbox_unpublished", "published_at", "id"),
)

customers = sa.Table(
    "customers",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    # Stored normalised (lower-case), so the unique index is case-insensitive.
    sa.Column("email", sa.Unicode(254), nullable=False, unique=True),
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
    sa.Column("disabled_at", UTCDateTime(), nullable=True),
    sa.Index("ix_customers_created_at", "created_at"),
)

refresh_tokens = sa.Table(
    "refresh_tokens",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("family_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("customer_id", sa.Uuid(), sa.ForeignKey("customers.id"), nullable=False,
              index=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("expires_at", UTCDateTime(), nullable=False),
    sa.Column("used_at", UTCDateTime(), nullable=True),
    sa.Column("revoked_at", UTCDateTime(), nullable=True),
)

password_reset_tokens = sa.Table(
    "password_reset_tokens",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("customer_id", sa.Uuid(), sa.ForeignKey("customers.id"), nullable=False,
              index=True),
    # SHA-256 of the emailed token: the table alone cannot reset anybody's password.
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("expires_at", UTCDateTime(), nullable=False),
    sa.Column("used_at", UTCDateTime(), nullable=True),
)

orders = sa.Table(
    "orders",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("customer_id", sa.Uuid(), sa.ForeignKey("customers.id"), nullable=False),
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
    sa.Index("ix_orders_customer_id_created_at", "customer_id", "created_at"),
    sa.Index("ix_orders_status_created_at", "status", "created_at"),
    sa.Index("ix_orders_created_at", "created_at"),
)

order_lines = sa.Table(
    "order_lines",
    metadata,
    sa.Column("order_id", sa.Uuid(), sa.ForeignKey("orders.id"), primary_key=True),
    sa.Column("line_no", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("product_id", sa.Uuid(), sa.ForeignKey("products.id"), nullable=False),
    sa.Column("product_name", sa.Unicode(200), nullable=False),
    sa.Column("unit_price_minor", sa.BigInteger(), nullable=False),
    sa.Column("quantity", sa.Integer(), nullable=False),
    sa.CheckConstraint("quantity > 0", name="quantity_positive"),
)

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("customer_id", sa.Uuid(), sa.ForeignKey("customers.id"), primary_key=True),
    sa.Column("key", sa.Unicode(255), primary_key=True),
    sa.Column("request_hash", sa.String(64), nullable=False),
    sa.Column("order_id", sa.Uuid(), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
)

processed_events = sa.Table(
    "processed_events",
    metadata,
    # Which consumer applied which event: written in the same transaction as the
    # consumer's effect, so a redelivered event is recognised and changes nothing.
    sa.Column("consumer", sa.String(100), primary_key=True),
    sa.Column("event_id", sa.Uuid(), primary_key=True),
    sa.Column("processed_at", UTCDateTime(), nullable=False),
)

# --- analytics: read models kept by event consumers (shop.application.analytics) ---

analytics_orders = sa.Table(
    "analytics_orders",
    metadata,
    # Each order as the sales projection follows it; placement columns stay NULL
    # until its OrderPlaced is seen (a status event may arrive first).
    sa.Column("order_id", sa.Uuid(), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("placed_at", UTCDateTime(), nullable=True),
    sa.Column("currency", sa.String(3), nullable=True),
    sa.Column("total_minor", sa.BigInteger(), nullable=True),
    sa.Index("ix_analytics_orders_placed_at", "placed_at"),
)

analytics_order_lines = sa.Table(
    "analytics_order_lines",
    metadata,
    sa.Column("order_id", sa.Uuid(), primary_key=True),
    sa.Column("line_no", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("product_id", sa.Uuid(), nullable=False),
    sa.Column("quantity", sa.Integer(), nullable=False),
    sa.Column("revenue_minor", sa.BigInteger(), nullable=False),
)

analytics_sales_daily = sa.Table(
    "analytics_sales_daily",
    metadata,
    # Paid and Shipped orders by the UTC day they were placed.
    sa.Column("day", sa.Date(), primary_key=True),
    sa.Column("currency", sa.String(3), primary_key=True),
    sa.Column("revenue_minor", sa.BigInteger(), nullable=False),
    sa.Column("orders", sa.Integer(), nullable=False),
    sa.Column("units", sa.Integer(), nullable=False),
)

analytics_product_sales_daily = sa.Table(
    "analytics_product_sales_daily",
    metadata,
    # Units and revenue of each product per UTC day (Paid and Shipped orders):
    # also the demand history that stock-out forecasts read.
    sa.Column("day", sa.Date(), primary_key=True),
    sa.Column("product_id", sa.Uuid(), primary_key=True),
    sa.Column("currency", sa.String(3), primary_key=True),
    sa.Column("units", sa.Integer(), nullable=False),
    sa.Column("revenue_minor", sa.BigInteger(), nullable=False),
    sa.Index("ix_analytics_product_sales_daily_product_id_day", "product_id", "day"),
)

analytics_orders_by_status_daily = sa.Table(
    "analytics_orders_by_status_daily",
    metadata,
    # How many of the orders placed on a UTC day are in each status now.
    sa.Column("day", sa.Date(), primary_key=True),
    sa.Column("status", sa.String(16), primary_key=True),
    sa.Column("orders", sa.Integer(), nullable=False),
)

analytics_product_stock = sa.Table(
    "analytics_product_stock",
    metadata,
    # Every product's name and stock on hand, each kept at its newest version.
    sa.Column("product_id", sa.Uuid(), primary_key=True),
    sa.Column("name", sa.Unicode(200), nullable=True),
    sa.Column("deleted", sa.Boolean(), nullable=False),
    sa.Column("product_version", sa.Integer(), nullable=False),
    sa.Column("stock", sa.Integer(), nullable=False),
    sa.Column("stock_version", sa.Integer(), nullable=False),
    sa.Index("ix_analytics_product_stock_stock", "stock"),
)

consumer_positions = sa.Table(
    "consumer_positions",
    metadata,
    # Embedded default: how far in the outbox each event consumer has read, so what was
    # committed but not yet consumed is consumed after a restart.
    sa.Column("consumer", sa.String(100), primary_key=True),
    sa.Column("position", sa.BigInteger(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)

dead_letters = sa.Table(
    "dead_letters",
    metadata,
    # Embedded default: events a consumer gave up on (with Redis: the `<stream>:dead` stream).
    # The event's fields are kept as text, exactly as they would be on the stream.
    sa.Column("id", big_int_pk(), primary_key=True, autoincrement=True),
    sa.Column("consumer", sa.String(100), nullable=False),
    sa.Column("event_type", sa.String(100), nullable=False),
    sa.Column("event_id", sa.String(64), nullable=False),
    sa.Column("occurred_at", sa.String(40), nullable=False),
    sa.Column("payload", sa.UnicodeText(), nullable=False),
    sa.Column("error", sa.UnicodeText(), nullable=False),
    sa.Column("deliveries", sa.Integer(), nullable=False),
    sa.Column("failed_at", UTCDateTime(), nullable=False),
)

notifications = sa.Table(
    "notifications",
    metadata,
    # The id is derived from (event, kind, recipient): the primary key is what makes one
    # event yield at most one notification of a kind per recipient, across processes.
    sa.Column("id", sa.Uuid(), primary_key=True),
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
    # Who may send it now: set while one process sends, so a concurrent delivery waits.
    sa.Column("leased_until", UTCDateTime(), nullable=True),
    sa.Index("ix_notifications_created_at", "created_at"),
    sa.Index("ix_notifications_customer", "customer_id", "created_at"),
)

product_embeddings = sa.Table(
    "product_embeddings",
    metadata,
    # One vector per product (float32 bytes), with the model that made it and the product
    # version it was made from: the truth every process loads its vector index from.
    sa.Column("product_id", sa.Uuid(), sa.ForeignKey("products.id"), primary_key=True),
    sa.Column("model_id", sa.Unicode(200), nullable=False),
    sa.Column("product_version", sa.Integer(), nullable=False),
    sa.Column("dimension", sa.Integer(), nullable=False),
    sa.Column("vector", sa.LargeBinary(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Index("ix_product_embeddings_updated_at", "updated_at"),
)

# The co-purchase projection (AI recommendations), kept by a consumer of OrderPaid and
# OrderCancelled: per paid order its lines, per product the orders holding it, per pair
# (stored both ways) the orders holding both.
purchased_orders = sa.Table(
    "purchased_orders",
    metadata,
    sa.Column("order_id", sa.Uuid(), primary_key=True),
    sa.Column("customer_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("paid_at", UTCDateTime(), nullable=False),
)

purchased_lines = sa.Table(
    "purchased_lines",
    metadata,
    sa.Column("order_id", sa.Uuid(), primary_key=True),
    sa.Column("product_id", sa.Uuid(), primary_key=True),
    sa.Column("customer_id", sa.Uuid(), nullable=False),
    sa.Column("quantity", sa.Integer(), nullable=False),
    sa.Column("paid_at", UTCDateTime(), nullable=False),
    sa.Index("ix_purchased_lines_customer_id_paid_at", "customer_id", "paid_at"),
)

product_purchases = sa.Table(
    "product_purchases",
    metadata,
    sa.Column("product_id", sa.Uuid(), primary_key=True),
    sa.Column("orders", sa.Integer(), nullable=False),
)

co_purchases = sa.Table(
    "co_purchases",
    metadata,
    sa.Column("product_id", sa.Uuid(), primary_key=True),
    sa.Column("other_id", sa.Uuid(), primary_key=True),
    sa.Column("orders", sa.Integer(), nullable=False),
)

SEARCH_INDEX_OBJECTS = frozenset({
    "product_search",
    "product_search_data",
    "product_search_idx",
    "product_search_content",
    "product_search_docsize",
    "product_search_config",
    "ix_products_search_document",
})
"""Full-text search objects that only migrations create, because they are per backend (an
SQLite FTS5 table and its shadow tables, a PostgreSQL GIN expression index): not in this
metadata, so schema comparisons leave them out (`include_name`)."""


def is_declared_here(name: str | None, type_: str, _parents: object = None) -> bool:
    """Alembic `include_name` hook: everything except the per-backend search objects."""
    return name not in SEARCH_INDEX_OBJECTS
